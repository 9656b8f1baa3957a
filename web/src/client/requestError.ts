/** A request the server answered with an error: its protocol code (never classify by the message). */
import type { QueueInfo, WireError } from '../../../signaling/protocol/errors';

export class RequestError extends Error {
  readonly code: WireError['code'];
  readonly retryAfterMs: number | undefined;
  /** With `queued`: the join's place in the waiting queue. */
  readonly queue: QueueInfo | undefined;
  constructor(error: WireError) {
    super(error.message);
    this.name = 'RequestError';
    this.code = error.code;
    this.retryAfterMs = error.retryAfterMs;
    this.queue = error.queue;
  }
}
