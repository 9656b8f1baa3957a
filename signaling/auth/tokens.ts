/**
 * Meeting tokens (JWT). Verification pins the algorithm, checks exp/nbf/iss/aud with a small clock
 * skew, and validates the claims with zod. Errors never echo the token.
 */
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { AppError } from '../protocol/errors';

export const roleSchema = z.enum(['host', 'province_host', 'teacher']);

export const claimsSchema = z.object({
  sub: z.string().min(1).max(64),
  name: z.string().min(1).max(128),
  role: roleSchema,
  /** Province code (see data/provinces.json), or null for national staff. */
  province: z.string().regex(/^[0-9]{2}$/).nullable().default(null),
  school: z.string().max(128).nullable().default(null),
  /** Meetings this token may join. */
  meetings: z.array(z.string().min(1).max(64)).min(1).max(32),
  exp: z.number().int(),
});

export type Claims = z.infer<typeof claimsSchema>;
export type ClaimsInput = Omit<z.input<typeof claimsSchema>, 'exp'>;

export interface TokenKeys {
  secret: string;
  issuer: string;
  audience: string;
  clockSkewS: number;
}

const ALGORITHM = 'HS256' as const;

export function issueToken(keys: TokenKeys, claims: ClaimsInput, ttlS: number): string {
  return jwt.sign({ ...claims }, keys.secret, {
    algorithm: ALGORITHM,
    expiresIn: ttlS,
    issuer: keys.issuer,
    audience: keys.audience,
  });
}

/** Verifies a token and returns its claims, or throws AppError('unauthorized'). */
export function verifyToken(keys: TokenKeys, token: unknown): Claims {
  if (typeof token !== 'string' || token.length === 0) throw new AppError('unauthorized', 'token missing');
  if (token.length > 8192) throw new AppError('unauthorized', 'token too large');
  let payload: unknown;
  try {
    payload = jwt.verify(token, keys.secret, {
      algorithms: [ALGORITHM],
      issuer: keys.issuer,
      audience: keys.audience,
      clockTolerance: keys.clockSkewS,
    });
  } catch (error) {
    if (error instanceof jwt.TokenExpiredError) throw new AppError('unauthorized', 'token expired');
    if (error instanceof jwt.NotBeforeError) throw new AppError('unauthorized', 'token not yet valid');
    throw new AppError('unauthorized', 'token invalid');
  }
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) throw new AppError('unauthorized', 'token claims invalid');
  return claims.data;
}
