/**
 * Whether a playing <video> is frozen: its clock has not advanced for STALL_AFTER_MS while it
 * should be playing (started, not paused by the viewer, not ended). hls.js raises no error when a
 * fragment load hangs or playback sits on a gap, so the page watches the clock itself. While
 * frozen, it asks for a recovery step now and then, each later one stronger and further apart
 * (the player decides what a step does: jump, re-attach, reload). A clock that advanced again
 * for STALL_AFTER_MS starts the steps over.
 */

/** The clock standing still this long while it should play is a stall. */
export const STALL_AFTER_MS = 4_000;
/** Wait before recovery step n (0 at once); later steps wait the last value. */
export const RECOVERY_BACKOFF_MS = [0, 4_000, 8_000, 15_000];

export interface StallVerdict {
  stalled: boolean;
  /** The recovery step to take now (0, 1, 2, …), or null. */
  recover: number | null;
}

export class StallWatch {
  readonly #stallAfterMs: number;
  #lastTime = -1;
  #lastProgressAt = 0;
  #stalled = false;
  #attempts = 0;
  #nextAttemptAt = 0;
  /** When the clock last started advancing after a stall (to start the steps over). */
  #resumedAt: number | null = null;

  constructor(stallAfterMs = STALL_AFTER_MS) {
    this.#stallAfterMs = stallAfterMs;
  }

  /** One look at the video: `now` in ms, its clock in s, and whether it should be playing. */
  sample(now: number, currentTime: number, shouldPlay: boolean): StallVerdict {
    const advanced = currentTime > this.#lastTime + 0.01;
    this.#lastTime = currentTime;
    if (!shouldPlay || advanced) {
      this.#lastProgressAt = now;
      if (this.#stalled) this.#resumedAt = now;
      this.#stalled = false;
      if (this.#resumedAt !== null && now - this.#resumedAt >= this.#stallAfterMs) {
        this.#attempts = 0;
        this.#resumedAt = null;
      }
      if (!shouldPlay) {
        this.#attempts = 0;
        this.#resumedAt = null;
      }
      return { stalled: false, recover: null };
    }
    if (now - this.#lastProgressAt < this.#stallAfterMs) return { stalled: this.#stalled, recover: null };
    if (!this.#stalled) {
      this.#stalled = true;
      this.#resumedAt = null;
      this.#nextAttemptAt = now + (RECOVERY_BACKOFF_MS[Math.min(this.#attempts, RECOVERY_BACKOFF_MS.length - 1)] ?? 0);
    }
    if (now < this.#nextAttemptAt) return { stalled: true, recover: null };
    const step = this.#attempts++;
    this.#nextAttemptAt = now + (RECOVERY_BACKOFF_MS[Math.min(this.#attempts, RECOVERY_BACKOFF_MS.length - 1)] ?? 0);
    return { stalled: true, recover: step };
  }

  /** The player moved the clock itself (a jump to the live edge): not progress. */
  rebase(currentTime: number): void {
    this.#lastTime = currentTime;
  }
}
