/**
 * The timer of timed breakouts, armed on every node whenever the breakouts change: at their end
 * it runs the meeting's recall (`onBreakoutTimer`, set by breakoutFlow through the socket layer);
 * the store lets one node end them. A recall that fails is tried again while the same breakouts
 * still run: never leave breakouts running past their end ("0:00 left").
 */
import type { Logger } from '../../common/log';
import { detached } from '../../common/SerialQueue';
import type { Breakouts } from '../store/types';

/** A timed recall that failed (the store did not answer) is tried again after this. */
const RECALL_RETRY_MS = 2_000;

/** What the timer reads of the meeting (Meeting implements it). */
export interface TimerMeeting {
  readonly breakouts: Breakouts | null;
  readonly log: Logger;
  readonly closed: boolean;
  /** Ends the breakouts when their time runs out. */
  readonly onBreakoutTimer: (() => Promise<void>) | null;
}

export class BreakoutTimer {
  readonly #meeting: TimerMeeting;
  #timer: NodeJS.Timeout | null = null;

  constructor(meeting: TimerMeeting) {
    this.#meeting = meeting;
  }

  /** (Re)arms the timer for the breakouts as they are now (none, or no end: disarmed). */
  arm(): void {
    const m = this.#meeting;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const endsAt = m.breakouts?.endsAt;
    if (!endsAt || m.closed) return;
    // Every node arms it; the store lets one of them end the breakouts. The recall is a flow of
    // its own (it waits for the queue), not part of the event being applied now.
    const arm = (delayMs: number): void => {
      this.#timer = detached(() => setTimeout(fire, delayMs));
      this.#timer.unref();
    };
    const fire = (): void => {
      this.#timer = null;
      void m.onBreakoutTimer?.().catch((error: unknown) => {
        // Never leave breakouts running past their end ("0:00 left"): try again while they do.
        m.log.error({ err: String(error) }, 'timed recall failed; trying again');
        if (!m.closed && m.breakouts?.endsAt === endsAt && !this.#timer) arm(RECALL_RETRY_MS);
      });
    };
    arm(Math.max(0, endsAt - Date.now()));
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
  }
}
