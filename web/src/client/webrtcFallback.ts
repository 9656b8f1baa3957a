/**
 * When a teacher watches the delayed HLS stream instead of real time, and when they come back:
 *
 * - WebRTC cannot connect: the receive transport is not connected after WEBRTC_CONNECT_TIMEOUT_MS
 *   (UDP and TCP media blocked), or the browser cannot make a peer connection at all;
 * - the SFU refuses for capacity (`unavailable`);
 * - the teacher chose it ("data saver, delayed").
 *
 * The join flow keeps retrying WebRTC in the background (every BACKGROUND_RETRY_MS while on HLS);
 * the first receive transport that connects switches the page back, unless HLS was chosen.
 * Hands, questions and reactions go over the socket, which stays joined either way.
 */
import { useStore, type HlsReason } from '../state/store';

export const WEBRTC_CONNECT_TIMEOUT_MS = 10_000;
export const BACKGROUND_RETRY_MS = 15_000;

export class WebRtcFallback {
  #timer: ReturnType<typeof setTimeout> | null = null;

  /** A receive transport exists: fall back if it is not connected in time. */
  watch(): void {
    this.#clear();
    this.#timer = setTimeout(() => this.use('blocked'), WEBRTC_CONNECT_TIMEOUT_MS);
  }

  /** The receive transport connected: real time again (unless the teacher chose HLS). */
  connected(): void {
    this.#clear();
    const { mediaPath, hlsReason, setMediaPath } = useStore.getState();
    if (mediaPath === 'hls' && hlsReason !== 'chosen') setMediaPath('webrtc', null);
  }

  use(reason: HlsReason): void {
    this.#clear();
    const { mediaPath, hlsReason, setMediaPath } = useStore.getState();
    if (mediaPath === 'hls' && hlsReason === 'chosen' && reason !== 'chosen') return;
    setMediaPath('hls', reason);
  }

  /** How long the join flow waits before trying WebRTC again after a failure. */
  retryDelay(defaultMs: number): number {
    return useStore.getState().mediaPath === 'hls' ? Math.max(defaultMs, BACKGROUND_RETRY_MS) : defaultMs;
  }

  #clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  close(): void {
    this.#clear();
  }
}
