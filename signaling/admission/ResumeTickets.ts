/**
 * Resume tickets: proof that a user was admitted to a meeting recently, so that coming back (after
 * a `rejoin`, a dropped network, or the death of their signaling node) goes in the rejoin lane,
 * ahead of new joins. `<issued at, ms>.<HMAC-SHA256(user, meeting, issued at)>`, checked on any
 * node that holds the same key; valid for `ttlMs`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** A ticket from the future by more than this is refused (clock skew between nodes). */
const MAX_SKEW_MS = 60_000;

export type TicketCheck = 'valid' | 'expired' | 'invalid';

export class ResumeTickets {
  readonly #key: Buffer;
  readonly #ttlMs: number;

  constructor(key: Buffer, ttlMs: number) {
    this.#key = key;
    this.#ttlMs = ttlMs;
  }

  issue(userId: string, meetingId: string, now = Date.now()): string {
    return `${now}.${this.#mac(userId, meetingId, now)}`;
  }

  /** 'expired' is an honest ticket that is too old (a new join); 'invalid' was forged or altered. */
  check(ticket: string, userId: string, meetingId: string, now = Date.now()): TicketCheck {
    const match = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(ticket);
    if (!match) return 'invalid';
    const issuedAt = Number(match[1]);
    const expected = Buffer.from(this.#mac(userId, meetingId, issuedAt));
    const given = Buffer.from(match[2]!);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    if (issuedAt > now + MAX_SKEW_MS) return 'invalid';
    return now - issuedAt > this.#ttlMs ? 'expired' : 'valid';
  }

  #mac(userId: string, meetingId: string, issuedAt: number): string {
    return createHmac('sha256', this.#key).update(`resume\n${userId}\n${meetingId}\n${issuedAt}`).digest('base64url');
  }
}
