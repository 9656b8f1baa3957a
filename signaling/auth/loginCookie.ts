/**
 * What a sign-in in progress remembers between `/auth/login` and `/auth/callback`: the state, the
 * nonce, the PKCE verifier and the page to come back to, sealed (AES-256-GCM, a key derived from
 * the server's secret) into a short-lived cookie. The browser holds it but can neither read the
 * verifier nor change a field; one from another server, or older than its lifetime, opens to null.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';

export const LOGIN_COOKIE_TTL_S = 600;

const loginSchema = z.object({
  state: z.string().min(1).max(256),
  nonce: z.string().min(1).max(256),
  verifier: z.string().min(43).max(128),
  returnTo: z.string().min(1).max(512),
  /** Seconds since epoch after which it is refused. */
  exp: z.number().int(),
});

export type PendingLogin = Omit<z.infer<typeof loginSchema>, 'exp'>;

export class LoginSealer {
  readonly #key: Buffer;

  constructor(secret: string) {
    // Its own key: a cookie can never be mistaken for a token, nor a token for a cookie.
    this.#key = createHmac('sha256', secret).update('hoinghi oidc login cookie v1').digest();
  }

  seal(login: PendingLogin, nowMs = Date.now()): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify({ ...login, exp: Math.floor(nowMs / 1000) + LOGIN_COOKIE_TTL_S }), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** The pending login, or null (missing, tampered with, from another key, or expired). */
  open(sealed: string | undefined, nowMs = Date.now()): PendingLogin | null {
    if (!sealed || sealed.length > 4096) return null;
    try {
      const raw = Buffer.from(sealed, 'base64url');
      if (raw.length < 29) return null;
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      const parsed = loginSchema.safeParse(JSON.parse(text));
      if (!parsed.success || parsed.data.exp * 1000 < nowMs) return null;
      const { exp: _exp, ...login } = parsed.data;
      return login;
    } catch {
      return null;
    }
  }
}
