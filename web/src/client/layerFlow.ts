/**
 * Which video layers this page receives (signaling/meeting/layerFlow.ts is the server side):
 *   setConsumerLayer(consumer, layer | null)  one video shown large (pinned, full screen) or back
 *   setDataSaver(on) / setAudioOnly(on)       a metered or weak connection (kept across visits)
 *   setLayerCeiling(layer | null)             sent by the page's own layer control (linkWatch.ts)
 *                                             on a link the SFU does not estimate
 * The ceiling learnt survives reconnects (the same link): `startConsuming` presents it again.
 */
import type { types as msTypes } from 'mediasoup-client';
import { useStore } from '../state/store';
import type { Connection } from './connection';
import { LinkWatch } from './linkWatch';
import { MASS_AUDIENCE_SPATIAL_LAYER, TOP_SPATIAL_LAYER } from './sharpLayer';

export class LayerFlow {
  readonly #conn: Connection;
  readonly #consumers: ReadonlyMap<string, msTypes.Consumer>;
  /** Consumer id → the layer this page asked for it (`setConsumerLayer`: pinned, full screen). */
  readonly #asked = new Map<string, number>();
  /** The page's own layer control, on a link the SFU does not estimate (client/layerGovernor.ts). */
  readonly #link: LinkWatch;

  /** @param consumers the receiver's live consumers, by id */
  constructor(conn: Connection, consumers: ReadonlyMap<string, msTypes.Consumer>) {
    this.#conn = conn;
    this.#consumers = consumers;
    this.#link = new LinkWatch(
      () => this.#wantedLayer(),
      (spatialLayer) => conn.request('setLayerCeiling', { spatialLayer }),
    );
  }

  /**
   * Asks the server for a simulcast layer of one video consumer (`null`: back to its default);
   * see client/sharpLayer.ts for when. Skipped while disconnected or once the consumer is gone
   * (a consumer here exists on the server: the join flow made it on this connection).
   */
  async setConsumerLayer(consumerId: string, spatialLayer: number | null): Promise<void> {
    if (!this.#conn.connected || !this.#consumers.has(consumerId)) return;
    if (spatialLayer === null) this.#asked.delete(consumerId);
    else this.#asked.set(consumerId, spatialLayer);
    await this.#conn.request('setConsumerLayers', { consumerId, spatialLayer });
  }

  /** The ceiling learnt of this link (null: none), presented at `startConsuming`. */
  get ceiling(): number | null {
    return this.#link.ceiling;
  }

  /** `startConsuming` answered: the page controls its layers itself (`adaptsLayer`), or the SFU does. */
  started(recv: msTypes.Transport, adaptsLayer: boolean): void {
    // The SFU estimates this link itself: what the page learnt is dropped (the server did too).
    if (adaptsLayer) this.#link.watch(recv);
    else this.#link.reset();
  }

  forget(consumerId: string): void {
    this.#asked.delete(consumerId);
  }

  /** The media closed: what was asked goes; the ceiling learnt is kept for the next connection (the same link). */
  closed(): void {
    this.#link.stop();
    this.#asked.clear();
  }

  /** The client stops: the ceiling learnt goes too. */
  reset(): void {
    this.#link.reset();
  }

  /** The highest layer any video here asks for now (null: no video), for the page's layer control. */
  #wantedLayer(): number | null {
    // The page's layer control speaks of cameras (a screen share's two layers follow the same ceiling on the server).
    const video = [...this.#consumers.values()].filter((c) => c.kind === 'video' && !c.closed && c.appData.source !== 'screen');
    if (video.length === 0) return null;
    const { dataSaver, massAudienceReceive } = useStore.getState();
    if (dataSaver) return 0;
    const asked = video.map((c) => this.#asked.get(c.id) ?? 0);
    return Math.max(massAudienceReceive ? MASS_AUDIENCE_SPATIAL_LAYER : TOP_SPATIAL_LAYER, ...asked);
  }
}

/** Data saver on or off: the server caps this viewer's downlink (lowest video layer). */
export async function setDataSaver(conn: Connection, receiving: boolean, on: boolean): Promise<void> {
  useStore.getState().setDataSaver(on);
  if (receiving) await conn.request('setDataSaver', { on });
}

/** Receive audio only, or audio and video again. */
export async function setAudioOnly(conn: Connection, receiving: boolean, on: boolean): Promise<void> {
  useStore.getState().setAudioOnly(on);
  if (receiving) await conn.request('setAudioOnly', { on });
}
