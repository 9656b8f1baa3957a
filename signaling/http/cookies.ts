/** Reading the Cookie header and writing Set-Cookie values (the few cookies of the sign-in). */

/** The cookies of a request by name (the first of a name wins; malformed pairs are skipped). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header || header.length > 16_384) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!out.has(name)) {
      try {
        out.set(name, decodeURIComponent(value));
      } catch {
        /* not a value we wrote */
      }
    }
  }
  return out;
}

export interface CookieOptions {
  path: string;
  sameSite: 'Strict' | 'Lax';
  secure: boolean;
  /** Seconds; 0 clears the cookie. */
  maxAgeS: number;
}

/** A Set-Cookie value: always HttpOnly (no script of the page reads these). */
export function cookie(name: string, value: string, o: CookieOptions): string {
  return [
    `${name}=${encodeURIComponent(value)}`,
    `Path=${o.path}`,
    `Max-Age=${o.maxAgeS}`,
    ...(o.maxAgeS === 0 ? ['Expires=Thu, 01 Jan 1970 00:00:00 GMT'] : []),
    'HttpOnly',
    `SameSite=${o.sameSite}`,
    ...(o.secure ? ['Secure'] : []),
  ].join('; ');
}
