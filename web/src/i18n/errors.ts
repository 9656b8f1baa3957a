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
  return t(BY_CODE[code], { n });
}
