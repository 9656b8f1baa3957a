/**
 * Watches one receive transport's link for the page's own layer control (layerGovernor.ts): every
 * WINDOW_MS it reads the transport's WebRTC stats, feeds the governor, and sends a changed ceiling
 * to the server (`setLayerCeiling`). A ceiling that could not be sent (the socket was down) is sent
 * at the next window. The store shows what it does (a note on the large video).
 */
import type { types as msTypes } from 'mediasoup-client';
import { useStore } from '../state/store';
import { LayerGovernor, WINDOW_MS, type LinkSample } from './layerGovernor';

/** Sums the inbound RTP of a stats report and reads the STUN round trips of its selected ICE pair. */
export function linkSample(report: RTCStatsReport, at: number): LinkSample {
  const sample: LinkSample = { at, packetsReceived: 0, packetsLost: 0 };
  let selected: string | undefined;
  report.forEach((s: { type: string; packetsReceived?: number; packetsLost?: number; selectedCandidatePairId?: string }) => {
    if (s.type === 'inbound-rtp') {
      sample.packetsReceived += s.packetsReceived ?? 0;
      sample.packetsLost += s.packetsLost ?? 0;
    } else if (s.type === 'transport' && s.selectedCandidatePairId) {
      selected = s.selectedCandidatePairId;
    }
  });
  const pair = selected ? (report.get(selected) as { totalRoundTripTime?: number; responsesReceived?: number } | undefined) : undefined;
  if (pair?.totalRoundTripTime !== undefined && pair.responsesReceived !== undefined) {
    sample.rttTotalS = pair.totalRoundTripTime;
    sample.rttResponses = pair.responsesReceived;
  }
  return sample;
}

export class LinkWatch {
  #governor = new LayerGovernor();
  readonly #wanted: () => number | null;
  readonly #send: (spatialLayer: number | null) => Promise<unknown>;
  #timer: ReturnType<typeof setInterval> | null = null;
  #transport: msTypes.Transport | null = null;
  /** The ceiling the server has (undefined: not known to match; sent at the next window). */
  #sent: number | null | undefined = null;

  /**
   * @param wanted the highest layer any video of the page asks for now (null: no video)
   * @param send tells the server the ceiling
   */
  constructor(wanted: () => number | null, send: (spatialLayer: number | null) => Promise<unknown>) {
    this.#wanted = wanted;
    this.#send = send;
  }

  /** The ceiling the page keeps (carried to a new connection before it consumes). */
  get ceiling(): number | null {
    return this.#governor.ceiling;
  }

  /** Starts (or moves) the watch to this transport; the server already has `ceiling` (startConsuming carried it). */
  watch(transport: msTypes.Transport): void {
    this.stop();
    this.#governor.rebase();
    this.#transport = transport;
    this.#sent = this.#governor.ceiling;
    this.#timer = setInterval(() => void this.#tick(), WINDOW_MS);
  }

  /** The transport is gone or the SFU estimates this link itself: no more windows. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#transport = null;
  }

  /** Forgets what was learnt of the link (the SFU estimates the next one itself). */
  reset(): void {
    this.stop();
    this.#governor = new LayerGovernor();
    this.#sent = null;
    useStore.getState().setLinkState(null, false);
  }

  async #tick(): Promise<void> {
    const transport = this.#transport;
    if (!transport || transport.closed) return;
    const report = await transport.getStats().catch(() => null);
    if (!report || this.#transport !== transport) return;
    this.#governor.observe(linkSample(report, performance.now()), this.#wanted());
    const ceiling = this.#governor.ceiling;
    useStore.getState().setLinkState(ceiling, this.#governor.atFloor);
    if (ceiling === this.#sent) return;
    this.#sent = ceiling;
    await this.#send(ceiling).catch((error) => {
      // Not delivered (disconnected): the next window sends it again.
      this.#sent = undefined;
      console.warn('hoinghi: setLayerCeiling failed:', error);
    });
  }
}
