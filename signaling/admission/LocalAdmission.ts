/**
 * Admission on one node, in memory: the same bucket and queue rule as `RedisAdmission` (see
 * types.ts), on this process's monotonic clock.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ArrivalOrder } from './ArrivalOrder';
import type { Admission, AdmissionLane, AdmissionOptions, AdmitRequest, AdmitResult, QueueLengths } from './types';

export class LocalAdmission implements Admission {
  readonly kind = 'local';
  readonly options: AdmissionOptions;
  readonly #ratePerMs: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;
  readonly #lanes: Record<AdmissionLane, ArrivalOrder> = { rejoin: new ArrivalOrder(), new: new ArrivalOrder() };
  /** Ticket → time of its last poll; Map order is refresh order, so the stalest come first. */
  readonly #seen = new Map<string, number>();

  constructor(options: AdmissionOptions, now: () => number = () => performance.now()) {
    this.options = options;
    this.#ratePerMs = options.joinsPerSecond / 1000;
    this.#now = now;
    this.#tokens = options.burst;
    this.#last = now();
  }

  async admit({ ticket, lane }: AdmitRequest): Promise<AdmitResult> {
    const now = this.#now();
    this.#expire(now);
    const rejoins = this.#lanes.rejoin.size;
    const cap = this.options.burst + (rejoins + this.#lanes.new.size > 0 ? this.options.holdMs * this.#ratePerMs : 0);
    if (now > this.#last) this.#tokens = Math.min(cap, this.#tokens + (now - this.#last) * this.#ratePerMs);
    this.#last = Math.max(this.#last, now);

    let held: AdmissionLane | null = null;
    let rank: number;
    const r = ticket === null ? undefined : this.#lanes.rejoin.rank(ticket);
    if (r !== undefined) {
      held = 'rejoin';
      rank = r;
    } else {
      const n = ticket === null ? undefined : this.#lanes.new.rank(ticket);
      if (n !== undefined) {
        held = 'new';
        rank = rejoins + n;
      } else {
        rank = lane === 'rejoin' ? rejoins : rejoins + this.#lanes.new.size;
      }
    }

    if (this.#tokens >= rank + 1) {
      this.#tokens -= 1;
      if (held && ticket) this.#drop(ticket);
      return { status: 'admitted' };
    }
    // An expired ticket comes back under its own id, at the back of its lane.
    const id = ticket ?? randomUUID();
    if (!held) {
      if (rejoins + this.#lanes.new.size >= this.options.maxQueue) return { status: 'full' };
      this.#lanes[lane].add(id);
    }
    this.#seen.delete(id);
    this.#seen.set(id, now);
    return {
      status: 'queued',
      ticket: id,
      lane: held ?? lane,
      position: rank + 1,
      etaMs: Math.ceil((rank + 1 - this.#tokens) / this.#ratePerMs),
    };
  }

  async cancel(ticket: string): Promise<void> {
    this.#drop(ticket);
  }

  async queueLengths(): Promise<QueueLengths> {
    this.#expire(this.#now());
    return { rejoin: this.#lanes.rejoin.size, new: this.#lanes.new.size };
  }

  async close(): Promise<void> {
    this.#seen.clear();
  }

  #drop(ticket: string): void {
    this.#lanes.rejoin.remove(ticket);
    this.#lanes.new.remove(ticket);
    this.#seen.delete(ticket);
  }

  #expire(now: number): void {
    for (const [ticket, at] of this.#seen) {
      if (now - at < this.options.ticketTtlMs) break;
      this.#drop(ticket);
    }
  }
}
