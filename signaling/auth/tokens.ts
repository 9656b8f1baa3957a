/**
 * Meeting tokens (JWT). The algorithm is pinned by configuration: ES256 or RS256 with a public key
 * file or a JWKS file (keys chosen by `kid`), or HS256 with a shared secret only where configured.
 * exp, nbf, iss and aud are checked with a small clock skew; claims are validated with zod.
 * Errors never echo the token.
 */
import fs from 'node:fs';
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
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
  /** When it was issued, seconds (a revocation refuses the tokens issued before it). */
  iat: z.number().int().optional(),
  /** The same in milliseconds, in tokens this server issues (a revocation is exact for them). */
  iatMs: z.number().int().optional(),
});

/** When a token was issued, ms since epoch (0 when it does not say). */
export const issuedAtMs = (claims: Pick<Claims, 'iat' | 'iatMs'>): number => claims.iatMs ?? (claims.iat ?? 0) * 1000;

export type Claims = z.infer<typeof claimsSchema>;
export type ClaimsInput = Omit<z.input<typeof claimsSchema>, 'exp' | 'iat' | 'iatMs'>;

export type JwtAlgorithm = 'HS256' | 'ES256' | 'RS256';

/** How tokens are verified (and, for the demo, issued). */
export type TokenKeySource =
  | { kind: 'secret'; secret: string }
  | { kind: 'publicKeyFile'; path: string; algorithm: 'ES256' | 'RS256' }
  | { kind: 'jwksFile'; path: string };

export interface TokenSettings {
  keys: TokenKeySource;
  issuer: string;
  audience: string;
  clockSkewS: number;
}

interface VerifyKey {
  key: KeyObject;
  algorithm: JwtAlgorithm;
}

const JwkSchema = z.object({
  kid: z.string().min(1).max(128),
  kty: z.enum(['EC', 'RSA']),
  alg: z.enum(['ES256', 'RS256']).optional(),
  use: z.string().optional(),
});
const JwksSchema = z.object({ keys: z.array(z.looseObject(JwkSchema.shape)).min(1).max(64) });

export class TokenConfigError extends Error {
  override name = 'TokenConfigError';
}

/** Verifies meeting tokens with the configured, pinned algorithm and keys. */
export class TokenVerifier {
  readonly settings: TokenSettings;
  /** The single key (secret or public key file), or keys by kid (JWKS). */
  readonly #single: VerifyKey | null;
  readonly #byKid: Map<string, VerifyKey>;
  /** Whether a sign-in was ended before this token's time (auth/revocations.ts); unset: none are. */
  revoked: ((claims: Claims) => boolean) | null = null;

  constructor(settings: TokenSettings) {
    this.settings = settings;
    this.#byKid = new Map();
    const k = settings.keys;
    if (k.kind === 'secret') {
      this.#single = { key: createSecretKey(Buffer.from(k.secret)), algorithm: 'HS256' };
    } else if (k.kind === 'publicKeyFile') {
      const key = createPublicKey(fs.readFileSync(k.path));
      const expected = k.algorithm === 'ES256' ? 'ec' : 'rsa';
      if (key.asymmetricKeyType !== expected) throw new TokenConfigError(`${k.path} is not an ${expected.toUpperCase()} public key`);
      this.#single = { key, algorithm: k.algorithm };
    } else {
      this.#single = null;
      const parsed = JwksSchema.safeParse(JSON.parse(fs.readFileSync(k.path, 'utf8')));
      if (!parsed.success) throw new TokenConfigError(`${k.path} is not a JWKS file with kid on every key`);
      for (const jwk of parsed.data.keys) {
        const key = createPublicKey({ key: jwk as never, format: 'jwk' });
        const algorithm = jwk.alg ?? (jwk.kty === 'EC' ? 'ES256' : 'RS256');
        this.#byKid.set(jwk.kid, { key, algorithm });
      }
    }
  }

  /** Whether this verifier can also issue tokens (demo sign-in needs a shared secret). */
  get canIssue(): boolean {
    return this.settings.keys.kind === 'secret';
  }

  issue(claims: ClaimsInput, ttlS: number): string {
    const k = this.settings.keys;
    if (k.kind !== 'secret') throw new TokenConfigError('issuing tokens needs HS256 with a secret');
    return jwt.sign({ ...claims, iatMs: Date.now() }, k.secret, {
      algorithm: 'HS256',
      expiresIn: ttlS,
      issuer: this.settings.issuer,
      audience: this.settings.audience,
    });
  }

  /** Verifies a token and returns its claims, or throws AppError('unauthorized'). */
  verify(token: unknown): Claims {
    if (typeof token !== 'string' || token.length === 0) throw new AppError('unauthorized', 'token missing');
    if (token.length > 8192) throw new AppError('unauthorized', 'token too large');
    const key = this.#keyFor(token);
    let payload: unknown;
    try {
      payload = jwt.verify(token, key.key, {
        algorithms: [key.algorithm],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        clockTolerance: this.settings.clockSkewS,
      });
    } catch (error) {
      if (error instanceof jwt.TokenExpiredError) throw new AppError('unauthorized', 'token expired');
      if (error instanceof jwt.NotBeforeError) throw new AppError('unauthorized', 'token not yet valid');
      throw new AppError('unauthorized', 'token invalid');
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new AppError('unauthorized', 'token claims invalid');
    if (this.revoked?.(claims.data)) throw new AppError('unauthorized', 'sign-in ended (signed out or revoked)');
    return claims.data;
  }

  #keyFor(token: string): VerifyKey {
    if (this.#single) return this.#single;
    let kid: unknown;
    try {
      kid = jwt.decode(token, { complete: true })?.header.kid;
    } catch {
      kid = undefined;
    }
    const key = typeof kid === 'string' ? this.#byKid.get(kid) : undefined;
    if (!key) throw new AppError('unauthorized', 'token invalid');
    return key;
  }
}
