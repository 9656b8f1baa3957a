/**
 * The hand queue of one meeting session: raised hands in raise order, with counts per province.
 *
 * Raise order is arrival order on this node, so a Map (insertion-ordered) is the queue: raise,
 * lower and the head of the queue are O(1)/O(k), and counts per province are kept incrementally.
 * Every change bumps `seq`; hosts get a throttled summary (total, per-province counts, the first
 * entries) at most once per interval and only when `seq` moved. Hand events never go to viewers.
 */
import type { HandEntry, HandQueueSummary } from '../protocol/events';

export const NO_PROVINCE = '--';

export interface HandOwner {
  userId: string;
  name: string;
  province: string | null;
  school: string | null;
}

export class HandQueue {
  readonly #entries = new Map<string, HandEntry>();
  readonly #byProvince = new Map<string, number>();
  #seq = 0;

  get size(): number {
    return this.#entries.size;
  }

  /** The sequence number of the last change. */
  get seq(): number {
    return this.#seq;
  }

  has(userId: string): boolean {
    return this.#entries.has(userId);
  }

  get(userId: string): HandEntry | undefined {
    return this.#entries.get(userId);
  }

  /** Raises a hand; raising an already raised hand changes nothing. Returns the entry. */
  raise(owner: HandOwner, now = Date.now()): { entry: HandEntry; changed: boolean } {
    const existing = this.#entries.get(owner.userId);
    if (existing) return { entry: existing, changed: false };
    this.#seq += 1;
    const entry: HandEntry = {
      userId: owner.userId,
      name: owner.name,
      province: owner.province,
      school: owner.school,
      raisedAt: now,
      seq: this.#seq,
    };
    this.#entries.set(owner.userId, entry);
    const key = owner.province ?? NO_PROVINCE;
    this.#byProvince.set(key, (this.#byProvince.get(key) ?? 0) + 1);
    return { entry, changed: true };
  }

  /** Lowers one hand; returns whether it was raised. */
  lower(userId: string): boolean {
    const entry = this.#entries.get(userId);
    if (!entry) return false;
    this.#entries.delete(userId);
    const key = entry.province ?? NO_PROVINCE;
    const left = (this.#byProvince.get(key) ?? 1) - 1;
    if (left > 0) this.#byProvince.set(key, left);
    else this.#byProvince.delete(key);
    this.#seq += 1;
    return true;
  }

  /** Lowers every hand (or every hand of one province); returns the user ids lowered. */
  lowerWhere(province?: string): string[] {
    const lowered: string[] = [];
    for (const [userId, entry] of this.#entries) {
      if (province === undefined || (entry.province ?? NO_PROVINCE) === province) lowered.push(userId);
    }
    for (const userId of lowered) this.lower(userId);
    return lowered;
  }

  /** Entries from `offset`, in raise order. */
  page(offset: number, limit: number): HandEntry[] {
    const out: HandEntry[] = [];
    if (limit <= 0) return out;
    let i = 0;
    for (const entry of this.#entries.values()) {
      if (i++ < offset) continue;
      out.push(entry);
      if (out.length >= limit) break;
    }
    return out;
  }

  summary(headSize: number, now = Date.now()): HandQueueSummary {
    return {
      seq: this.#seq,
      total: this.#entries.size,
      byProvince: Object.fromEntries(this.#byProvince),
      head: this.page(0, headSize),
      serverNow: now,
    };
  }
}

/**
 * Emits a summary at most once per `intervalMs`, and only after a change: the first change after
 * a quiet period goes out at once, later ones are coalesced into one emission per interval.
 */
export class Throttle {
  readonly #intervalMs: number;
  readonly #emit: () => void;
  #lastAt = -Infinity;
  #timer: NodeJS.Timeout | null = null;

  constructor(intervalMs: number, emit: () => void) {
    this.#intervalMs = intervalMs;
    this.#emit = emit;
  }

  /** Something changed. */
  poke(): void {
    if (this.#timer) return;
    const wait = this.#lastAt + this.#intervalMs - Date.now();
    if (wait <= 0) {
      this.#fire();
      return;
    }
    this.#timer = setTimeout(() => this.#fire(), wait);
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = null;
    this.#lastAt = Date.now();
    this.#emit();
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
