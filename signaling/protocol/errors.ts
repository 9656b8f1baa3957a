/**
 * Error codes the client can act on. Shared by server and web client; never classify an error by
 * its message text, always by `code`.
 */
export const ERROR_CODES = [
  /** The payload failed validation (shape, types, sizes). Nothing changed. */
  'bad_request',
  /** Missing, invalid or expired credentials. */
  'unauthorized',
  /** The caller's role or grant does not allow this action. Nothing changed. */
  'forbidden',
  /** The id does not exist, or does not belong to the caller (same answer on purpose). */
  'not_found',
  /** The caller must join a meeting first. */
  'not_joined',
  /** Too many requests; retry after `retryAfterMs`. */
  'rate_limited',
  /** The action conflicts with current state (e.g. a limit was reached). */
  'conflict',
  /**
   * The account has used its allowance (meetings scheduled this hour, or not yet ended): with
   * `retryAfterMs` when waiting helps, without when something must end first. Nothing changed.
   */
  'quota_exceeded',
  /** The event name is not part of the protocol. */
  'unknown_event',
  /** Server-side failure; the client may retry. */
  'internal',
  /** No media capacity right now (or the waiting queue is full); retry after `retryAfterMs`. */
  'unavailable',
  /**
   * This signaling node is shutting down: connect again (the load balancer sends the new
   * connection to another node) after `retryAfterMs`. Nothing changed.
   */
  'draining',
  /**
   * The join is waiting its turn: `queue` says where it stands. The server keeps the socket's
   * ticket; send `join` again after `retryAfterMs` (polling keeps the ticket alive).
   */
  'queued',
  /** The resume ticket is forged, altered, or someone else's: join again without it. Nothing changed. */
  'invalid_ticket',
  /** The meeting has not opened yet (wait in the lobby), or has ended. */
  'not_open',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Where a queued join stands (with the `queued` code). */
export interface QueueInfo {
  /** 1-based place in the cluster's queue (rejoins ahead of new joins). */
  position: number;
  /** Estimated wait, ms, from the join rate. */
  etaMs: number;
  /** 'rejoin': a participant coming back, ahead of 'new' joins. */
  lane: 'rejoin' | 'new';
}

export interface WireError {
  code: ErrorCode;
  message: string;
  retryAfterMs?: number;
  queue?: QueueInfo;
  /** With `bad_request`: the path of the offending field in the payload (`audience.provinces.0`). */
  field?: string;
}

/** An error that carries a protocol code. Handlers throw it; the dispatcher turns it into an ack. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, retryAfterMs?: number) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }

  toWire(): WireError {
    return this.retryAfterMs === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, retryAfterMs: this.retryAfterMs };
  }
}

/** A join refused for now, with its place in the waiting queue. */
export class QueuedError extends AppError {
  readonly queue: QueueInfo;

  constructor(queue: QueueInfo, retryAfterMs: number) {
    super('queued', `waiting to join: position ${queue.position}`, retryAfterMs);
    this.name = 'QueuedError';
    this.queue = queue;
  }

  override toWire(): WireError {
    return { ...super.toWire(), queue: this.queue };
  }
}

/** Bad input, naming the field at fault (its path in the payload, dot-separated). Nothing changed. */
export class FieldError extends AppError {
  readonly field: string;

  constructor(field: string, message: string) {
    super('bad_request', message);
    this.name = 'FieldError';
    this.field = field;
  }

  override toWire(): WireError {
    return { ...super.toWire(), field: this.field };
  }
}

export const forbidden = (what: string): AppError => new AppError('forbidden', `forbidden: ${what}`);
export const notFound = (what: string): AppError => new AppError('not_found', `${what} not found`);
