/**
 * Keeps the connection's token fresh: a minute before it expires (halfway, for short ones) it gets
 * a new one from the page (`refreshToken` option) and hands it to the server (`refreshToken`), so a
 * long meeting is not cut off when the sign-in token runs out.
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
    const at = Math.max(1_000, Math.min(left - 60_000, left / 2));
    this.#timer = setTimeout(() => void this.#refresh(), Math.min(at, 2 ** 31 - 1));
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #refresh(): Promise<void> {
    try {
      const token = await this.#fetch?.();
      if (!token || this.#holder.closed) return;
      await this.#holder.useToken(token);
    } catch (error) {
      warn('refreshToken', error);
    }
    this.schedule();
  }
}
