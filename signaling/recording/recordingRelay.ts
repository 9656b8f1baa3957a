/**
 * Stopping a session's recording from whichever signaling node its host is connected to now.
 *
 * A recording is made by the node that started it (its ffmpeg, its folder), and goes on there
 * when its host reconnects through another node (a reload, a network change, a drained node):
 * every page still shows "recording", so "stop" must work from the new node too. The node asked
 * passes the request to the others through the socket.io adapter's server-side emit (Redis); the
 * node that records the session stops it and answers with it, every other node answers null.
 * One node (no adapter to cross): nothing is elsewhere.
 */
import { logger } from '../../common/log';
import { AppError } from '../protocol/errors';
import type { ClientResultMap } from '../protocol/events';
import type { TypedServer } from '../socketTypes';
import type { RecordingManager } from './RecordingManager';

const log = logger('recording');

/**
 * A stop is answered within this long, the last segment or not (the stop goes on after it): a
 * socket's queue is not held past its watchdog, and the adapter waits 5 s for other nodes.
 */
export const STOP_ANSWER_MS = 4_000;

type Stopped = ClientResultMap['stopRecording'];

export interface RecordingRelay {
  /**
   * Stops the session's recording on the node that makes it. Null when no node does; rejects
   * with a retryable `unavailable` when a node did not answer and none said it stopped it.
   */
  stopElsewhere(meetingId: string, sessionKey: string): Promise<Stopped | null>;
}

export const NO_RELAY: RecordingRelay = { stopElsewhere: async () => null };

/** Answers other nodes' stop requests with this node's recordings, and sends this node's. */
export function recordingRelay(io: TypedServer, recordings: RecordingManager): RecordingRelay {
  io.on('stopRecording', (req, done) => {
    const meetingId = typeof req?.meetingId === 'string' ? req.meetingId : '';
    const sessionKey = typeof req?.sessionKey === 'string' ? req.sessionKey : '';
    if (!recordings.isRecording(meetingId, sessionKey)) return done(null);
    recordings
      .stopWithin(meetingId, sessionKey, 'host', STOP_ANSWER_MS)
      .then((stopped) => {
        log.info({ meeting: meetingId, session: sessionKey, recording: stopped.id }, 'recording stopped at another node\'s request');
        return stopped;
      })
      // Stopped meanwhile by its own check or by another request: not this answer's.
      .catch(() => null)
      .then(done);
  });
  return {
    stopElsewhere: (meetingId, sessionKey) =>
      new Promise((resolve, reject) => {
        // The callback form: a node that did not answer in time does not hide another's answer.
        const emit = io.serverSideEmit.bind(io) as unknown as (
          ev: 'stopRecording',
          req: { meetingId: string; sessionKey: string },
          ack: (err: Error | null, answers: (Stopped | null)[]) => void,
        ) => void;
        emit('stopRecording', { meetingId, sessionKey }, (err, answers) => {
          const stopped = (answers ?? []).find((a): a is Stopped => a !== null && typeof a === 'object' && typeof a.id === 'string');
          if (stopped) return resolve(stopped);
          if (err) {
            log.warn({ meeting: meetingId, session: sessionKey, err: String(err) }, 'not every signaling node answered a recording stop');
            return reject(new AppError('unavailable', 'the node recording this session did not answer: try again', 2_000));
          }
          resolve(null);
        });
      }),
  };
}
