/** The meetings HTTP API, with the signed-in token as a bearer. */
import type { MeetingInfo, MeetingRights } from '../../../signaling/schedule/types';
import { useStore } from '../state/store';

/** A 401: the sign-in is over (expired or revoked); the page asks to sign in again. */
function refused(status: number): void {
  if (status === 401) useStore.getState().setSignInExpired();
}

export type MeetingView = MeetingInfo & { rights: MeetingRights; serverTime?: string };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** With `bad_request`: the field at fault, as the server names it (`startsAt`, `audience.provinces.0`). */
    readonly field?: string,
    /** With `rate_limited` or an hourly `quota_exceeded`: how long to wait, ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export async function api<T>(token: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const json = (await res.json().catch(() => null)) as { error?: { code: string; message: string; field?: string; retryAfterMs?: number } } | null;
  if (!res.ok) {
    refused(res.status);
    const e = json?.error;
    throw new ApiError(res.status, e?.code ?? 'internal', e?.message ?? `HTTP ${res.status}`, e?.field, e?.retryAfterMs);
  }
  return json as T;
}

/** Downloads an export (the bearer header cannot ride on a plain link). */
export async function download(token: string, path: string, filename: string): Promise<void> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) {
    refused(res.status);
    throw new ApiError(res.status, res.status === 401 ? 'unauthorized' : 'internal', `HTTP ${res.status}`);
  }
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function go(path: string): void {
  window.history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}
