/**
 * The page's side of the sign-in with the ministry's account: the server keeps the session (an
 * HttpOnly refresh cookie the page never reads); the page asks `POST /auth/token` for a short
 * access token when it loads and before the token runs out, and `POST /auth/logout` to end it.
 * No token ever travels in a URL. Refreshes are serialised across the tabs of this site (Web
 * Locks): each rotates the refresh cookie, and two at once would look like a stolen token.
 */
import type { AuthConfigAnswer, SessionTokenAnswer } from '../../../signaling/protocol/http';

let config: Promise<AuthConfigAnswer> | null = null;
/** A sign-out still on its way: a resume waits for it, or it would sign straight back in. */
let loggingOut: Promise<unknown> = Promise.resolve();

/** How this server signs people in (asked once per page). */
export function authConfig(): Promise<AuthConfigAnswer> {
  config ??= fetch('/api/auth/config')
    .then(async (r) => (r.ok ? ((await r.json()) as AuthConfigAnswer) : { oidc: false, demo: true }))
    .catch(() => {
      config = null;
      return { oidc: false, demo: true };
    });
  return config;
}

function oneAtATime<T>(fn: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? (navigator as Navigator & { locks?: LockManager }).locks : undefined;
  return locks ? (locks.request('hoinghi-session', fn) as Promise<T>) : fn();
}

/** A fresh access token of the session (null: there is none, or it is over). Throws on a network failure or a server error. */
export async function sessionToken(): Promise<SessionTokenAnswer | null> {
  await loggingOut;
  return oneAtATime(async () => {
    const res = await fetch('/auth/token', { method: 'POST', credentials: 'same-origin' });
    if (res.status === 401) return null;
    if (!res.ok) throw new Error(`session refresh answered ${res.status}`);
    return (await res.json()) as SessionTokenAnswer;
  });
}

/** Starts the sign-in at the provider; it comes back to `returnTo` (a path of this site). */
export function startOidcSignIn(returnTo: string): void {
  window.location.assign(`/auth/login?return=${encodeURIComponent(returnTo)}`);
}

/** Ends the session on the server (its cookie is cleared there). */
export function endOidcSession(): void {
  loggingOut = fetch('/auth/logout', { method: 'POST', credentials: 'same-origin', keepalive: true }).catch(() => undefined);
}
