/**
 * Runs a mediasoup call that takes parameters a client supplied: mediasoup's TypeError and
 * UnsupportedError become SfuError('bad_request'), so a malformed offer is the client's mistake,
 * not a server failure. Kept apart from sfu/errors.ts so that errors.ts never loads mediasoup.
 */
import * as mediasoup from 'mediasoup';
import { withClientInput } from '../errors';

const isUnsupported = (e: unknown): boolean => e instanceof mediasoup.types.UnsupportedError;

export const clientInput = <T>(call: () => Promise<T>): Promise<T> => withClientInput(call, isUnsupported);
