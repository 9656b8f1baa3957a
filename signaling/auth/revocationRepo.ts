/** Revocations in the database (auth/revocations.ts), one row per user: the latest instant. */
import type { Queryable } from '../db/Db';
import type { Revocation, RevocationStore } from './revocations';

export function revocationRepo(db: Queryable): RevocationStore {
  return {
    async save({ userId, beforeMs }) {
      await db.query(
        `INSERT INTO revocations (user_id, revoked_before) VALUES ($1, to_timestamp($2 / 1000.0))
         ON CONFLICT (user_id) DO UPDATE SET revoked_before = greatest(revocations.revoked_before, excluded.revoked_before)`,
        [userId, beforeMs],
      );
    },
    async since(sinceMs) {
      const rows = await db.query<{ user_id: string; ms: string | number }>(
        `SELECT user_id, (extract(epoch FROM revoked_before) * 1000)::bigint AS ms FROM revocations WHERE revoked_before > to_timestamp($1 / 1000.0)`,
        [sinceMs],
      );
      return rows.map((r): Revocation => ({ userId: r.user_id, beforeMs: Number(r.ms) }));
    },
  };
}
