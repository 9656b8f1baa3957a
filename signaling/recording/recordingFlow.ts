/**
 * What a session host does with recordings: start and stop recording their own session (the
 * national host the main session, a province host their province's breakout). Everyone in the
 * meeting hears which sessions are being recorded (the "recording" indicator, and the live HLS
 * a teacher falls back to), at join and on every change.
 */
import { forbidden } from '../protocol/errors';
import type { ClientResultMap, LiveRecording } from '../protocol/events';
import type { Session } from '../meeting/Session';
import type { Meeting } from '../meeting/Meeting';
import type { MeetingNotifier } from '../meeting/Notifier';
import type { RecordableStream, RecordingInfo, RecordingManager, RecordingSources } from './RecordingManager';

export interface RecordingDeps {
  recordings: RecordingManager;
}

const live = (info: RecordingInfo): LiveRecording => ({ id: info.id, sessionKey: info.sessionKey, startedAt: info.startedAt });

/** The caller's session, which they must host. */
function hostedSession(session: Session) {
  const { meeting, peer } = session.joined();
  const ms = meeting.sessionOf(peer);
  if (!ms.isHost(peer)) throw forbidden('only the session host records it');
  return { meeting, peer, ms };
}

export async function startRecording(deps: RecordingDeps, session: Session): Promise<ClientResultMap['startRecording']> {
  const { meeting, peer, ms } = hostedSession(session);
  return live(await deps.recordings.start(meeting.id, ms.key, peer.userId));
}

export async function stopRecording(deps: RecordingDeps, session: Session): Promise<ClientResultMap['stopRecording']> {
  const { meeting, ms } = hostedSession(session);
  const info = await deps.recordings.stop(meeting.id, ms.key, 'host');
  return { id: info.id, durationS: info.durationS };
}

/** Tells a socket that just joined which sessions are being recorded. */
export function sendRecordings(deps: RecordingDeps, notify: MeetingNotifier, session: Session): void {
  const meeting = session.meeting;
  if (meeting) notify.toSocket(session.socketId, 'recordings', deps.recordings.active(meeting.id).map(live));
}

/** Every change reaches the whole meeting (one event per start or stop, not per viewer action). */
export function announceChanges(deps: RecordingDeps, notify: MeetingNotifier, roomOf: (meetingId: string) => string | undefined): void {
  deps.recordings.on('changed', ({ meetingId }) => {
    const room = roomOf(meetingId);
    if (room) notify.toRoom(room, 'recordings', deps.recordings.active(meetingId).map(live));
  });
}

/** The session hosts' streams, read from the meetings open on this node. */
export function meetingSources(get: (meetingId: string) => Meeting | undefined): RecordingSources {
  return {
    streams(meetingId, sessionKey) {
      const meeting = get(meetingId);
      const ms = meeting?.sessions.get(sessionKey);
      if (!meeting || !ms) return null;
      const out: RecordableStream[] = [];
      for (const p of meeting.published.values()) {
        if (p.sessionKey !== sessionKey) continue;
        // A publisher connected to another signaling node is not among this node's peers: a
        // national host's streams are known as such; a breakout host's only from a local peer.
        const publisher = meeting.peers.get(p.peerId);
        const byHost = publisher ? ms.isHost(publisher) : p.national && ms.isMain;
        if (byHost) out.push({ producerId: p.id, kind: p.kind, source: p.source });
      }
      return out;
    },
  };
}
