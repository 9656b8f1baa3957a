/** An SFU call's failure as the WHIP/WHEP client sees it: a typed error, never an untyped 500 for what the client sent. */
import { SfuError } from '../../sfu/errors';
import { AppError } from '../protocol/errors';

export function sfuFailure(error: unknown): never {
  if (error instanceof SfuError) {
    if (error.code === 'bad_request') throw new AppError('bad_request', `the media server refused the offer's media parameters (${error.message})`);
    if (error.code === 'unavailable') throw new AppError('unavailable', 'no media capacity right now; try again shortly', 5_000);
    if (error.code === 'not_found') throw new AppError('conflict', 'the meeting changed while connecting; try again');
    throw new AppError('forbidden', error.message);
  }
  throw error;
}
