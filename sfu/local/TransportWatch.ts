/**
 * Watched WebRTC transports: those whose client has nobody else to say it left (a studio encoder
 * over WHIP, a WHEP player: no socket, only media). A watched transport is reported lost
 * (`transportLost`) once, when
 *   - its DTLS fails or is closed by the client (at once);
 *   - its ICE is 'disconnected' (its TCP connection closed) for longer than the grace;
 *   - it receives nothing for longer than the grace. mediasoup 3.12.16 has no ICE consent check:
 *     a client that loses its network over UDP leaves ICE 'connected' for ever. But a live client
 *     always sends (STUN consent checks every few seconds, RTCP, media), and every byte counts in
 *     the transport's `bytesReceived`, which this reads every `pollMs`. A client that never
 *     connects is silent from the start.
 * The watch reports; it closes nothing. The transport's owner decides (WhipIngest ends its ingest).
 */
import type { types } from 'mediasoup';
import { TypedEmitter } from '../../common/TypedEmitter';
import type { SfuEvents } from '../types';

type WatchEvents = Pick<SfuEvents, 'transportLost'>;
type LostReason = SfuEvents['transportLost'][0]['reason'];

interface Watched {
  transport: types.WebRtcTransport;
  bytes: number;
  /** When `bytes` last grew (or the watch started). */
  heardAt: number;
  /** Since when ICE has been 'disconnected', if it is. */
  iceDownSince: number | null;
  reading: boolean;
}

export class TransportWatch extends TypedEmitter<WatchEvents> {
  readonly #graceMs: number;
  readonly #pollMs: number;
  readonly #watched = new Map<string, Watched>();
  #timer: NodeJS.Timeout | null = null;

  constructor(graceMs: number, pollMs = Math.max(250, Math.min(2_500, Math.floor(graceMs / 4)))) {
    super();
    this.#graceMs = graceMs;
    this.#pollMs = pollMs;
  }

  get size(): number {
    return this.#watched.size;
  }

  watch(transport: types.WebRtcTransport): void {
    const w: Watched = { transport, bytes: 0, heardAt: Date.now(), iceDownSince: null, reading: false };
    this.#watched.set(transport.id, w);
    transport.observer.once('close', () => this.#forget(transport.id));
    transport.on('icestatechange', (state) => {
      w.iceDownSince = state === 'disconnected' ? (w.iceDownSince ?? Date.now()) : null;
    });
    transport.on('dtlsstatechange', (state) => {
      if (state === 'failed' || state === 'closed') this.#lost(w, state === 'failed' ? 'dtls_failed' : 'dtls_closed');
    });
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#check(), this.#pollMs);
      this.#timer.unref();
    }
  }

  close(): void {
    for (const id of [...this.#watched.keys()]) this.#forget(id);
  }

  #check(): void {
    const now = Date.now();
    for (const w of [...this.#watched.values()]) {
      if (w.iceDownSince !== null && now - w.iceDownSince >= this.#graceMs) {
        this.#lost(w, 'ice_disconnected');
        continue;
      }
      if (w.reading) continue;
      w.reading = true;
      w.transport
        .getStats()
        .then((stats) => {
          const bytes = stats.reduce((n, s) => n + (s.bytesReceived ?? 0), 0);
          if (bytes !== w.bytes) {
            w.bytes = bytes;
            w.heardAt = Date.now();
          } else if (Date.now() - w.heardAt >= this.#graceMs) this.#lost(w, 'silent');
        })
        // A transport closed meanwhile: its `close` forgets it.
        .catch(() => undefined)
        .finally(() => {
          w.reading = false;
        });
    }
  }

  #lost(w: Watched, reason: LostReason): void {
    if (this.#watched.get(w.transport.id) !== w) return;
    this.#forget(w.transport.id);
    this.safeEmit('transportLost', { transportId: w.transport.id, reason });
  }

  #forget(id: string): void {
    this.#watched.delete(id);
    if (this.#watched.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }
}
