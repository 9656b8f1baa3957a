/**
 * Ingest tokens: what a studio encoder (OBS, a hardware encoder) presents to `POST /whip/:meetingId`.
 * A national host mints one for one meeting, with a name the participants see ("Bộ mã hoá phòng
 * thu") and an expiry. It is a JWT signed (HS256) with a key of its own, derived from the
 * server's secret, with a purpose claim and an audience of its own: it is never a sign-in token,
 * and a sign-in token is never an ingest token.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { AppError } from '../protocol/errors';

export const INGEST_PURPOSE = 'whip-ingest';
/** Longest an ingest token lives: a week (a conference that runs several days uses one). */
export const MAX_INGEST_TTL_S = 7 * 24 * 3600;
export const DEFAULT_INGEST_TTL_S = 12 * 3600;

const ingestClaims = z.object({
  purpose: z.literal(INGEST_PURPOSE),
  meeting: z.string().min(1).max(64),
  name: z.string().min(1).max(64),
  /** Who minted it (a national host's user id). */
  by: z.string().min(1).max(64),
  jti: z.string().min(1).max(64),
  exp: z.number().int(),
});

export type IngestClaims = z.infer<typeof ingestClaims>;

/** Key material: the JWT secret (HS256), else HOINGHI_ADMISSION_SECRET, else a random key (one node only; tokens die with the process). */
export function ingestKey(material: string | undefined): { key: Buffer; shared: boolean } {
  return {
    key: createHmac('sha256', material ?? randomBytes(32)).update('hoinghi whip ingest tokens v1').digest(),
    shared: material !== undefined,
  };
}

export class IngestTokens {
  readonly #key: Buffer;
  readonly #issuer: string;
  readonly #audience: string;

  constructor(key: Buffer, issuer: string, audience: string) {
    this.#key = key;
    this.#issuer = issuer;
    this.#audience = `${audience}#whip`;
  }

  mint(meetingId: string, name: string, by: string, ttlS: number): { token: string; expiresAt: number } {
    const exp = Math.floor(Date.now() / 1000) + ttlS;
    const token = jwt.sign({ purpose: INGEST_PURPOSE, meeting: meetingId, name, by, jti: randomUUID(), exp }, this.#key, {
      algorithm: 'HS256',
      issuer: this.#issuer,
      audience: this.#audience,
    });
    return { token, expiresAt: exp * 1000 };
  }

  /**
   * The claims of a token for `meetingId`, or AppError('unauthorized'). `ignoreExpiry`: ending a
   * live ingest (DELETE) with the token it started with, even if it expired meanwhile.
   */
  verify(token: string | undefined, meetingId: string, ignoreExpiry = false): IngestClaims {
    if (!token) throw new AppError('unauthorized', 'ingest token missing (Authorization: Bearer <token>)');
    if (token.length > 4096) throw new AppError('unauthorized', 'ingest token invalid');
    let payload: unknown;
    try {
      payload = jwt.verify(token, this.#key, { algorithms: ['HS256'], issuer: this.#issuer, audience: this.#audience, ignoreExpiration: ignoreExpiry, clockTolerance: 5 });
    } catch (error) {
      if (error instanceof jwt.TokenExpiredError) throw new AppError('unauthorized', 'ingest token expired: ask a host for a new one');
      throw new AppError('unauthorized', 'ingest token invalid');
    }
    const claims = ingestClaims.safeParse(payload);
    if (!claims.success) throw new AppError('unauthorized', 'ingest token invalid');
    if (claims.data.meeting !== meetingId) throw new AppError('unauthorized', 'this ingest token is for another meeting');
    return claims.data;
  }
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | undefined): string | undefined {
  return typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}
