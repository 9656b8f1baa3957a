/**
 * Recording and the delayed stream (signaling/recording/ is the server side): session hosts record
 * their session (the replay, and the live HLS teachers fall back to); a teacher asks where the
 * delayed stream of their session is.
 */
import type { AckOf } from '../../../signaling/protocol/events';
import type { Connection } from './connection';

export function startRecording(conn: Connection): Promise<AckOf<'startRecording'>> {
  return conn.request('startRecording', {});
}

export function stopRecording(conn: Connection): Promise<AckOf<'stopRecording'>> {
  return conn.request('stopRecording', {});
}

/** Where the delayed stream (live HLS) of the teacher's session is; the server starts it if needed. */
export function watchLive(conn: Connection): Promise<AckOf<'watchLive'>> {
  return conn.request('watchLive', {});
}
