/**
 * What the viewer chose to look at (pin), and the receive profile the server gave this
 * connection: plain state, a slice of the one store (store.ts). The slice reads and writes only
 * its own fields, so it is typed by itself and the store imports it (never the other way round).
 */
import type { StateCreator } from 'zustand';

export interface ViewSlice {
  /**
   * This connection receives with the mass-audience profile (the server's `startConsuming`
   * answer): videos come on the middle simulcast layer unless shown pinned or full screen.
   */
  massAudienceReceive: boolean;
  setMassAudienceReceive: (on: boolean) => void;
  /**
   * The page's own layer control (client/layerGovernor.ts, on a link the SFU does not estimate):
   * the highest layer its link carries now (null: no limit), and whether the link stays bad even
   * on the lowest layer (audio only would help).
   */
  linkCeiling: number | null;
  linkAtFloor: boolean;
  setLinkState: (ceiling: number | null, atFloor: boolean) => void;
  /** The producer whose video the viewer pinned as the large one (null: the default layout). */
  pinnedProducerId: string | null;
  setPinnedProducer: (producerId: string | null) => void;
}

export const createViewSlice: StateCreator<ViewSlice, [], [], ViewSlice> = (set) => ({
  massAudienceReceive: false,
  setMassAudienceReceive: (massAudienceReceive) => set({ massAudienceReceive }),
  linkCeiling: null,
  linkAtFloor: false,
  setLinkState: (linkCeiling, linkAtFloor) => set((s) => (s.linkCeiling === linkCeiling && s.linkAtFloor === linkAtFloor ? s : { linkCeiling, linkAtFloor })),
  pinnedProducerId: null,
  setPinnedProducer: (pinnedProducerId) => set({ pinnedProducerId }),
});
