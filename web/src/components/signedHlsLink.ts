/**
 * Keeps a player's signed HLS link fresh (signaling/recording/hlsLinks.ts): the playlist asked
 * for with the token names `/hls/<expires>/<signature>/<stream folder>/index.m3u8`, good for a
 * while. Before it expires, the same playlist is asked for again (with the token: the audience is
 * checked again) and every later request of the player is rewritten to the new link, so playback
 * goes on without reloading the stream.
 */

/** The signed part of a link's path: `/hls/<expires>/<signature>/`. */
const SIGNED = /\/hls\/([0-9]{1,12})\/([A-Za-z0-9_-]{22})\//;

export const isSignedLink = (url: URL): boolean => SIGNED.test(url.pathname);

export class SignedHlsLink {
  /** The newest `/hls/<expires>/<signature>/`, once a signed link was seen. */
  #current: string | null = null;
  #expiresS = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;
  readonly #src: string;
  readonly #token: () => string;
  readonly #serverNow: () => number;

  /**
   * @param src the playlist asked for with the token (it answers the signed link)
   * @param serverNow the server's clock, ms (link expiries are the server's)
   */
  constructor(src: string, token: () => string, serverNow: () => number) {
    this.#src = src;
    this.#token = token;
    this.#serverNow = serverNow;
  }

  /** The player loaded a media playlist from `url`: if it is a signed link, keep it fresh. */
  observe(url: string): void {
    const m = SIGNED.exec(new URL(url, window.location.href).pathname);
    if (m) this.#adopt(m[0], Number(m[1]));
  }

  /** `url` with the newest signature when it carries an older one; null when it needs no change. */
  rewrite(url: string): string | null {
    const abs = new URL(url, window.location.href);
    const m = SIGNED.exec(abs.pathname);
    if (!m || this.#current === null || m[0] === this.#current) return null;
    abs.pathname = abs.pathname.replace(SIGNED, this.#current);
    return abs.href;
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  /** Takes a link that lasts longer than the one held (an older one seen again is ignored). */
  #adopt(signed: string, expiresS: number): void {
    if (expiresS <= this.#expiresS) return;
    this.#current = signed;
    this.#expiresS = expiresS;
    if (this.#timer) clearTimeout(this.#timer);
    // Renew at three quarters of what is left (at least 5 s from now).
    const left = expiresS * 1000 - this.#serverNow();
    this.#timer = setTimeout(() => void this.#renew(), Math.max(5_000, left * 0.75));
  }

  async #renew(): Promise<void> {
    try {
      const res = await fetch(this.#src, { headers: { Authorization: `Bearer ${this.#token()}` } });
      if (!res.ok) throw new Error(String(res.status));
      const m = SIGNED.exec(await res.text());
      if (!m) throw new Error('no signed link');
      if (!this.#closed) this.#adopt(m[0], Number(m[1]));
    } catch {
      // Offline a moment, or the server restarting: try again; the player's own 401 path remains.
      if (!this.#closed) this.#timer = setTimeout(() => void this.#renew(), 10_000);
    }
  }
}
