/**
 * Keeps the connection's token fresh: a minute before it expires (halfway, for short ones) it gets
 * a new one from the page (`refreshToken` option) and hands it to the server (`refreshToken`), so a
 * long meeting is not cut off when the sign-in token runs out. A refresh that fails (an HTTP
 * error, the network, the server refusing) is tried again, sooner each time the end comes closer,
 * until the token has run out; then the server ends the connection and the page asks to sign in.
 */
import { warn } from './warn';

/** Seconds since epoch at which a JWT expires, read from its payload (no verification here). */
export function tokenExpiry(token: string): number | null {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp : null;
  } catch {
    return null;
  }
}

export interface TokenHolder {
  readonly token: string;
  readonly closed: boolean;
  /** Presents the fresh token to the server, then keeps it for reconnects. */
  useToken(token: string): Promise<void>;
}

export class TokenRefresh {
  readonly #holder: TokenHolder;
  readonly #fetch: (() => Promise<string | null>) | undefined;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** Failed refreshes in a row. */
  #failures = 0;

  /** @param fetch gets a fresh token (null: none available); without it nothing is refreshed */
  constructor(holder: TokenHolder, fetch: (() => Promise<string | null>) | undefined) {
    this.#holder = holder;
    this.#fetch = fetch;
  }

  /** Arms the refresh for the current token (again after each connect and each refresh). */
  schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    const exp = tokenExpiry(this.#holder.token);
    if (!exp || !this.#fetch) return;
    const left = exp * 1000 - Date.now();
    // Halfway, or a minute before the end if that comes first; a short token (2 min or less) halfway
    // (a minute before would be at once: it renewed every second).
    const at = Math.max(1_000, left > 120_000 ? Math.min(left - 60_000, left / 2) : left / 2);
    this.#timer = setTimeout(() => void this.#refresh(), Math.min(at, 2 ** 31 - 1));
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #refresh(): Promise<void> {
    try {
      const token = await this.#fetch?.();
      if (this.#holder.closed) return;
      if (!token) throw new Error('no fresh token');
      await this.#holder.useToken(token);
      this.#failures = 0;
      this.schedule();
    } catch (error) {
      warn('refreshToken', error);
      this.#retry();
    }
  }

  /** Again in 2, 4, 8 … s (at most 30 s, and within what the token has left), while it lasts. */
  #retry(): void {
    if (this.#holder.closed) return;
    this.#failures += 1;
    const exp = tokenExpiry(this.#holder.token);
    const left = exp ? exp * 1000 - Date.now() : 0;
    if (left <= 0) return;
    const wait = Math.min(2 ** this.#failures * 1_000, 30_000, Math.max(500, left / 2));
    this.#timer = setTimeout(() => void this.#refresh(), wait * (0.8 + Math.random() * 0.4));
  }
}
