/**
 * Who may join which meeting, decided at `join`. The meeting domain asks; the scheduled meetings
 * (schedule/joinAuthorizers.ts) answer, from the token's meeting list or from the database.
 */
import type { Claims } from '../auth/tokens';

export interface JoinAuthorizer {
  /** Resolves when `claims` may join `meetingId` now; throws a typed AppError otherwise. */
  authorize(claims: Claims, meetingId: string): Promise<void>;
  /**
   * The audience part of that decision alone, whatever the meeting's state: whether `claims` is
   * among the people the meeting is for (its recordings, live or after the end, follow it).
   * Throws `forbidden` outside the audience, `not_found` for an unknown meeting.
   */
  inAudience(claims: Claims, meetingId: string): Promise<void>;
}
