/**
 * How many meetings one account may schedule: so many in the last hour, and so many not yet ended
 * at once (issue 23: a province host's script created 201 meetings in 9 s and pushed the live
 * national meeting out of everyone's list). Counted in the database, so that every signaling node
 * counts the same meetings, inside the creating transaction under a lock per account, so that
 * simultaneous requests cannot both take the last place. Deleted meetings no longer count.
 */
import type { Queryable } from '../db/Db';
import { AppError } from '../protocol/errors';
import { AUTO_END_AFTER_MS } from './meetingRepo';

export interface CreationQuota {
  /** Meetings an account may schedule in the last 60 minutes (0: no limit). */
  perHour: number;
  /** Meetings an account may have not yet ended (0: no limit). */
  notEnded: number;
}

export const NO_QUOTA: CreationQuota = { perHour: 0, notEnded: 0 };

/** Throws `quota_exceeded` when `account` may not schedule one more meeting now. Run it in the creating transaction. */
export async function checkCreationQuota(tx: Queryable, account: string, quota: CreationQuota): Promise<void> {
  if (quota.perHour === 0 && quota.notEnded === 0) return;
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`meeting-quota:${account}`]);
  const [row] = await tx.query<{ last_hour: number; wait_ms: number | null; not_ended: number }>(
    `SELECT count(*) FILTER (WHERE created_at > now() - interval '1 hour')::int AS last_hour,
            (extract(epoch FROM (min(created_at) FILTER (WHERE created_at > now() - interval '1 hour') + interval '1 hour' - now())) * 1000)::float8 AS wait_ms,
            count(*) FILTER (WHERE state <> 'ended' AND ends_at + ($2::int * interval '1 millisecond') > now())::int AS not_ended
     FROM meetings WHERE created_by = $1`,
    [account, AUTO_END_AFTER_MS],
  );
  if (quota.perHour > 0 && row!.last_hour >= quota.perHour) {
    throw new AppError('quota_exceeded', `at most ${quota.perHour} meetings an hour per account`, Math.max(1000, Math.ceil(row!.wait_ms ?? 3600_000)));
  }
  if (quota.notEnded > 0 && row!.not_ended >= quota.notEnded) {
    throw new AppError('quota_exceeded', `at most ${quota.notEnded} meetings not yet ended per account: end or delete one first`);
  }
}
