/**
 * What a client event is answered with when it is refused: its payload checked (size, then zod,
 * naming fields and never echoing values), and any error mapped to a typed protocol error by its
 * class, never by its message text.
 */
import { ZodError, type z } from 'zod';
import { QueueStallError } from '../common/SerialQueue';
import { SfuError } from '../sfu/errors';
import { AppError, type WireError } from './protocol/errors';
import type { Ack } from './protocol/events';
import { MAX_EVENT_BYTES, clientEventSchemas, type ClientEventName } from './protocol/schemas';
import { withJitter } from './rateLimit';

export function fail(error: unknown): { ok: false; error: WireError } {
  return { ok: false, error: toWireError(error) };
}

export function parsePayload(name: ClientEventName, payload: unknown): Ack<unknown> {
  let size: number;
  try {
    size = JSON.stringify(payload ?? null).length;
  } catch {
    return fail(new AppError('bad_request', 'payload is not JSON'));
  }
  if (size > MAX_EVENT_BYTES[name]) return fail(new AppError('bad_request', `payload larger than ${MAX_EVENT_BYTES[name]} bytes`));
  const schema: z.ZodType = clientEventSchemas[name];
  const result = schema.safeParse(payload);
  if (!result.success) return fail(new AppError('bad_request', describe(result.error)));
  return { ok: true, data: result.data };
}

/** Field paths and messages only: never echo the values a client sent. */
function describe(error: ZodError): string {
  return (
    'invalid payload: ' +
    error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ')
  );
}

/** Maps any error to a protocol error by its class, never by its message text. */
export function toWireError(error: unknown): WireError {
  if (error instanceof AppError) return error.toWire();
  // The action took too long and was left behind (the watchdog reloads the meeting's state).
  if (error instanceof QueueStallError) return { code: 'internal', message: 'the server did not finish this action in time: try again', retryAfterMs: withJitter(1_000) };
  if (error instanceof SfuError) {
    // No media capacity right now (every worker full, or one being replaced): come back soon.
    if (error.code === 'unavailable') return { code: error.code, message: error.message, retryAfterMs: withJitter(1_000) };
    return { code: error.code, message: error.message };
  }
  return { code: 'internal', message: 'internal error' };
}
