/**
 * Sessions of this server after a sign-in with the ministry's provider: a family per sign-in, and
 * rotating refresh tokens. Each refresh marks the presented token used and hands out the next one;
 * a used token presented again means it was copied (or replayed), so the whole family is revoked
 * and every later refresh of it fails. Refresh tokens are stored only as SHA-256 hashes. Who the
 * person is (name, role, province, school) is kept with the family, as the records said at sign-in.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Db, Queryable } from '../db/Db';
import { AppError } from '../protocol/errors';
import { roleSchema, type ClaimsInput } from './tokens';
import { logger } from '../../common/log';

const log = logger('sessions');

/** Who a session is for: the claims of its access tokens but the meeting list. */
export type SessionPerson = Omit<ClaimsInput, 'meetings'> & { province: string | null; school: string | null };

const personSchema = z.object({
  sub: z.string().min(1).max(64),
  name: z.string().min(1).max(128),
  role: roleSchema,
  province: z.string().regex(/^[0-9]{2}$/).nullable(),
  school: z.string().max(128).nullable(),
});

/** A refresh token as the client holds it: 32 random bytes, base64url (43 characters). */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
const newToken = (): string => randomBytes(32).toString('base64url');

export interface Rotated {
  familyId: string;
  person: SessionPerson;
  /** The next refresh token (the presented one is used from now on). */
  refreshToken: string;
}

export class Sessions {
  readonly #db: Db;
  readonly #ttlS: number;

  /** @param ttlS how long a family lasts from its sign-in */
  constructor(db: Db, ttlS: number) {
    this.#db = db;
    this.#ttlS = ttlS;
  }

  /** A new family for one sign-in; returns its first refresh token. */
  async start(person: SessionPerson): Promise<{ familyId: string; refreshToken: string }> {
    const p = personSchema.parse(person);
    const familyId = randomBytes(18).toString('base64url');
    const refreshToken = newToken();
    await this.#db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO session_families (id, user_id, claims, expires_at) VALUES ($1, $2, $3::jsonb, now() + make_interval(secs => $4))`,
        [familyId, p.sub, JSON.stringify(p), this.#ttlS],
      );
      await tx.query('INSERT INTO refresh_tokens (hash, family_id) VALUES ($1, $2)', [hashToken(refreshToken), familyId]);
    });
    await this.prune().catch((error: unknown) => log.warn({ err: error }, 'could not prune old sessions'));
    return { familyId, refreshToken };
  }

  /**
   * Exchanges a refresh token for the next one. Throws AppError('unauthorized') for a token that
   * is unknown, of a revoked or expired family, or already used (which revokes its family).
   */
  async rotate(token: unknown): Promise<Rotated> {
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) throw new AppError('unauthorized', 'no session');
    const hash = hashToken(token);
    const next = newToken();
    const rotated = await this.#db.transaction(async (tx) => {
      const rows = await tx.query<{ id: string; claims: unknown }>(
        `UPDATE refresh_tokens r SET used_at = now() FROM session_families f
         WHERE r.hash = $1 AND r.used_at IS NULL AND f.id = r.family_id AND f.revoked_at IS NULL AND f.expires_at > now()
         RETURNING f.id, f.claims`,
        [hash],
      );
      const row = rows[0];
      if (!row) return null;
      await tx.query('INSERT INTO refresh_tokens (hash, family_id) VALUES ($1, $2)', [hashToken(next), row.id]);
      return row;
    });
    if (!rotated) {
      await this.#refused(hash);
      throw new AppError('unauthorized', 'session over');
    }
    const claims = typeof rotated.claims === 'string' ? (JSON.parse(rotated.claims) as unknown) : rotated.claims;
    return { familyId: rotated.id, person: personSchema.parse(claims), refreshToken: next };
  }

  /** Ends the family of this refresh token (used or not): sign-out. Unknown tokens change nothing. */
  async revoke(token: unknown): Promise<boolean> {
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) return false;
    const rows = await this.#db.query<{ id: string }>(
      `UPDATE session_families f SET revoked_at = now() FROM refresh_tokens r
       WHERE r.hash = $1 AND f.id = r.family_id AND f.revoked_at IS NULL RETURNING f.id`,
      [hashToken(token)],
    );
    return rows.length > 0;
  }

  /** Ends every family of a person (an operator's revoke, a sign-out everywhere); returns how many. */
  async revokeUser(userId: string): Promise<number> {
    const rows = await this.#db.query<{ id: string }>('UPDATE session_families SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id', [userId]);
    return rows.length;
  }

  /** Families long over (expired or revoked a day ago) go, with their tokens. */
  async prune(db: Queryable = this.#db): Promise<void> {
    await db.query(`DELETE FROM session_families WHERE expires_at < now() - interval '1 day' OR revoked_at < now() - interval '1 day'`);
  }

  /** A refused token: if it was used already, its family is revoked (someone holds a copy). */
  async #refused(hash: string): Promise<void> {
    const rows = await this.#db.query<{ id: string; user_id: string }>(
      `UPDATE session_families f SET revoked_at = now() FROM refresh_tokens r
       WHERE r.hash = $1 AND r.used_at IS NOT NULL AND f.id = r.family_id AND f.revoked_at IS NULL RETURNING f.id, f.user_id`,
      [hash],
    );
    for (const r of rows) log.warn({ user: r.user_id }, 'a used refresh token came back: its session is revoked');
  }
}
