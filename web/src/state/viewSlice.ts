/**
 * What the viewer chose to look at (pin), and the receive profile the server gave this
 * connection: plain state, a slice of the one store (store.ts).
 */
import type { StateCreator } from 'zustand';
import type { Store } from './store';

export interface ViewSlice {
  /**
   * This connection receives with the mass-audience profile (the server's `startConsuming`
   * answer): videos come on the middle simulcast layer unless shown pinned or full screen.
   */
  massAudienceReceive: boolean;
  setMassAudienceReceive: (on: boolean) => void;
  /** The producer whose video the viewer pinned as the large one (null: the default layout). */
  pinnedProducerId: string | null;
  setPinnedProducer: (producerId: string | null) => void;
}

export const createViewSlice: StateCreator<Store, [], [], ViewSlice> = (set) => ({
  massAudienceReceive: false,
  setMassAudienceReceive: (massAudienceReceive) => set({ massAudienceReceive }),
  pinnedProducerId: null,
  setPinnedProducer: (pinnedProducerId) => set({ pinnedProducerId }),
});
