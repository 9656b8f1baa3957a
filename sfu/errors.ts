/**
 * Errors the SFU raises that a client can act on, with a code signaling maps to the protocol
 * (signaling/socketServer.ts toWireError): the caller's mistakes (`not_found`, `forbidden`,
 * `bad_request`) and no media capacity right now (`unavailable`: every worker full or dead; the
 * client is told to retry after a delay). Anything else a client sees as `internal`.
 */
export type SfuErrorCode = 'not_found' | 'forbidden' | 'bad_request' | 'unavailable';

export class SfuError extends Error {
  readonly code: SfuErrorCode;

  constructor(code: SfuErrorCode, message: string) {
    super(message);
    this.name = 'SfuError';
    this.code = code;
  }
}

/**
 * Runs an SFU call that takes client-supplied parameters. mediasoup rejects malformed parameters
 * with TypeError and unsupported ones with UnsupportedError; both become SfuError('bad_request').
 */
export async function withClientInput<T>(call: () => Promise<T>, isUnsupported: (e: unknown) => boolean): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof TypeError || isUnsupported(error)) throw new SfuError('bad_request', 'invalid media parameters');
    throw error;
  }
}
