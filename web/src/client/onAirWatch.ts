/**
 * "On air" means bytes actually leaving for the SFU, not a button pressed: while this page
 * produces, its producers' outbound RTP is read every second; on air while the bytes sent rise,
 * off air after ON_AIR_STALE_POLLS polls without (or with no producer left). Each producer is
 * compared with itself: the new producers of a rejoin start from zero bytes again.
 */
import type { types as msTypes } from 'mediasoup-client';
import { useStore } from '../state/store';

/** Outgoing media counts as on air while bytes sent rose within this many polls (1 s each). */
const ON_AIR_STALE_POLLS = 3;

export class OnAirWatch {
  readonly #producers: () => Iterable<msTypes.Producer>;
  #poll: ReturnType<typeof setInterval> | null = null;
  /** Bytes sent by each producer at the last poll. */
  #bytesSent = new Map<string, number>();
  #stalePolls = 0;

  constructor(producers: () => Iterable<msTypes.Producer>) {
    this.#producers = producers;
  }

  /** Starts polling (once; it goes on until `stop`). */
  start(): void {
    if (this.#poll) return;
    this.#poll = setInterval(() => void this.#check(), 1_000);
  }

  stop(): void {
    if (this.#poll) clearInterval(this.#poll);
    this.#poll = null;
  }

  async #check(): Promise<void> {
    const store = useStore.getState();
    const producers = [...this.#producers()].filter((p) => !p.closed);
    if (producers.length === 0) {
      this.#bytesSent.clear();
      this.#stalePolls = 0;
      store.setOnAir(false);
      return;
    }
    const now = new Map<string, number>();
    let rose = false;
    for (const producer of producers) {
      const report = await producer.getStats().catch(() => null);
      let bytes = 0;
      report?.forEach((s: { type: string; bytesSent?: number }) => {
        if (s.type === 'outbound-rtp') bytes += s.bytesSent ?? 0;
      });
      now.set(producer.id, bytes);
      if (bytes > (this.#bytesSent.get(producer.id) ?? 0)) rose = true;
    }
    if (rose) {
      this.#stalePolls = 0;
      store.setOnAir(true);
    } else if (++this.#stalePolls >= ON_AIR_STALE_POLLS) {
      store.setOnAir(false);
    }
    this.#bytesSent = now;
  }
}
