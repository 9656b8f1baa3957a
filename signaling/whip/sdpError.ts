/**
 * Errors of the WHIP and WHEP endpoints. Each is a typed AppError (the JSON `{ error: { code,
 * message, field? } }` of every router); `status` is the HTTP status when it is not the one the
 * code maps to (413 too large, 415 not SDP, 406 no codec in common).
 */
import { AppError, FieldError, type ErrorCode } from '../protocol/errors';

/** An SDP offer that cannot be answered; `field` says where (`sdp.media.1.mid`). HTTP 400. */
export class SdpError extends FieldError {
  constructor(field: string, message: string) {
    super(field, message);
    this.name = 'SdpError';
  }
}

/** An error with an HTTP status of its own. */
export class StatusError extends AppError {
  readonly status: number;

  constructor(status: number, code: ErrorCode, message: string) {
    super(code, message);
    this.name = 'StatusError';
    this.status = status;
  }
}
