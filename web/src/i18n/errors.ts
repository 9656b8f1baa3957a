/**
 * Server errors in the reader's language: by the protocol's error code (never by message text),
 * with the wait in seconds where the server gave one.
 */
import type { ErrorCode } from '../../../signaling/protocol/errors';
import type { StringKey } from './strings';
import type { T } from './useT';

const BY_CODE: Record<ErrorCode, StringKey> = {
  bad_request: 'err_bad_request',
  unauthorized: 'err_unauthorized',
  forbidden: 'err_forbidden',
  not_found: 'err_not_found',
  not_joined: 'err_not_joined',
  rate_limited: 'err_rate_limited',
  conflict: 'err_conflict',
  quota_exceeded: 'err_quota_exceeded',
  unknown_event: 'err_unknown_event',
  internal: 'err_internal',
  unavailable: 'err_unavailable',
  draining: 'err_draining',
  queued: 'err_queued',
  invalid_ticket: 'err_invalid_ticket',
  not_open: 'err_not_open',
};

/** Anything carrying `code` (and maybe `retryAfterMs`) → translated text; other errors → network. */
export function errorText(t: T, error: unknown): string {
  const e = error as { code?: unknown; retryAfterMs?: unknown } | null;
  const code = typeof e?.code === 'string' && e.code in BY_CODE ? (e.code as ErrorCode) : null;
  if (!code) return t('err_network');
  const n = typeof e?.retryAfterMs === 'number' ? Math.max(1, Math.ceil(e.retryAfterMs / 1000)) : 1;
  // Over the hourly allowance, waiting helps (in minutes); over the not-yet-ended one, ending a meeting does.
  if (code === 'quota_exceeded') return typeof e?.retryAfterMs === 'number' ? t('err_quota_hour', { n: Math.max(1, Math.ceil(n / 60)) }) : t('err_quota_exceeded');
  return t(BY_CODE[code], { n });
}

/** A camera, microphone or screen that could not be opened (the DOMException's name) → what helps. */
export function deviceErrorText(t: T, name: string): string {
  const key = DEVICE_ERRORS[name];
  return key ? t(key) : `${t('mediaError')} (${name})`;
}

const DEVICE_ERRORS: Record<string, StringKey | undefined> = {
  NotAllowedError: 'device_NotAllowedError',
  SecurityError: 'device_NotAllowedError',
  NotFoundError: 'device_NotFoundError',
  OverconstrainedError: 'device_NotFoundError',
  NotReadableError: 'device_NotReadableError',
  AbortError: 'device_NotReadableError',
};
