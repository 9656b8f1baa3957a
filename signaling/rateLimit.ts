/**
 * Token buckets for the limits of one process: events per socket and per user, sign-ins per IP,
 * hand toggles. A refused caller gets a retry-after with jitter, so refused clients do not come
 * back in lockstep. Joins are admitted cluster-wide by `admission/` instead.
 */
export class TokenBucket {
  readonly #ratePerMs: number;
  readonly #burst: number;
  #tokens: number;
  #last: number;

  /** @param ratePerSecond refill rate; @param burst bucket size (and initial fill). */
  constructor(ratePerSecond: number, burst: number, now = Date.now()) {
    this.#ratePerMs = ratePerSecond / 1000;
    this.#burst = burst;
    this.#tokens = burst;
    this.#last = now;
  }

  /** Takes a token and returns 0, or returns the ms to wait before one is available. */
  take(now = Date.now()): number {
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#last) * this.#ratePerMs);
    this.#last = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - this.#tokens) / this.#ratePerMs);
  }
}

/** A retry delay with ±50% jitter around `baseMs` (at least 50 ms). */
export function withJitter(baseMs: number, random = Math.random): number {
  return Math.max(50, Math.round(baseMs * (0.5 + random())));
}
