/**
 * The admission step of a join, per node: keeps each waiting socket's ticket, picks the lane,
 * and turns the admission's answer into the protocol's typed errors.
 *   - Hosts and province hosts are never queued (a meeting without its host helps nobody).
 *   - A join on a socket already in the meeting (after `rejoin`), or with a valid resume ticket
 *     (a reconnect, on any node), goes in the rejoin lane.
 *   - A refused join gets `queued` with its place and an estimated wait; the client polls with
 *     `join` after `retryAfterMs`, which keeps its ticket alive. Leaving or disconnecting cancels it.
 */
import { randomUUID } from 'node:crypto';
import { logger } from '../../common/log';
import { AppError, QueuedError } from '../protocol/errors';
import { withJitter } from '../rateLimit';
import type { Session } from '../meeting/Session';
import type { Admission, AdmissionLane } from './types';
import type { ResumeTickets } from './ResumeTickets';

const log = logger('admission');

/** Polls come at most this often (the per-user join budget allows one a second)… */
export const MIN_POLL_MS = 1_000;
/** …and at least this often, so a ticket never expires while its socket is alive. */
export const MAX_POLL_MS = 10_000;

/** When to poll again: a little before the estimated turn, within [MIN_POLL_MS, MAX_POLL_MS]. */
export function pollDelay(etaMs: number, random = Math.random): number {
  return Math.round(Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, etaMs * (0.7 + 0.25 * random()))));
}

export interface GateEvents {
  admitted?: (lane: AdmissionLane) => void;
  queued?: (lane: AdmissionLane) => void;
}

export class JoinGate {
  readonly admission: Admission;
  readonly #tickets: ResumeTickets;
  readonly #waiting = new Map<Session, string>();
  readonly #events: GateEvents;

  constructor(admission: Admission, tickets: ResumeTickets, events: GateEvents = {}) {
    this.admission = admission;
    this.#tickets = tickets;
    this.#events = events;
  }

  /** Sockets of this node holding a ticket. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /** Returns when the join may go ahead; throws `queued`, `unavailable` or `invalid_ticket`. */
  async admit(session: Session, meetingId: string, resumeTicket: string | undefined): Promise<void> {
    const { claims } = session;
    if (claims.role !== 'teacher') return;
    let lane: AdmissionLane = session.peer && session.meeting?.id === meetingId ? 'rejoin' : 'new';
    if (resumeTicket !== undefined) {
      const check = this.#tickets.check(resumeTicket, claims.sub, meetingId);
      if (check === 'invalid') throw new AppError('invalid_ticket', 'this resume ticket is not valid: join without it');
      if (check === 'valid') lane = 'rejoin';
    }
    // The ticket id is chosen here and kept before asking: if the answer is lost (a Redis timeout
    // after the script ran), the next poll presents the same id and keeps the same place.
    const fresh = !this.#waiting.has(session);
    const ticket = this.#waiting.get(session) ?? randomUUID();
    this.#waiting.set(session, ticket);
    let result;
    try {
      result = await this.admission.admit({ ticket, lane });
    } catch (error) {
      log.warn({ err: error instanceof Error ? `${error.name}: ${error.message} ${error.stack?.split('\n')[1]?.trim() ?? ''}` : String(error) }, 'admission unreachable; refusing joins for now');
      throw new AppError('unavailable', 'admission is unavailable right now', withJitter(2_000));
    }
    if (result.status === 'admitted') {
      this.#waiting.delete(session);
      this.#events.admitted?.(lane);
      return;
    }
    if (result.status === 'full') {
      this.#waiting.delete(session);
      throw new AppError('unavailable', 'the waiting queue is full', withJitter(MAX_POLL_MS));
    }
    if (fresh) this.#events.queued?.(result.lane);
    throw new QueuedError({ position: result.position, etaMs: result.etaMs, lane: result.lane }, pollDelay(result.etaMs));
  }

  /** A fresh resume ticket for a participant just admitted. */
  resumeTicket(session: Session, meetingId: string): string {
    return this.#tickets.issue(session.claims.sub, meetingId);
  }

  /** The socket left or disconnected: its place in the queue goes. */
  async release(session: Session): Promise<void> {
    const ticket = this.#waiting.get(session);
    if (ticket === undefined) return;
    this.#waiting.delete(session);
    await this.admission.cancel(ticket).catch((error: unknown) => log.warn({ err: String(error) }, 'cancel failed'));
  }
}
