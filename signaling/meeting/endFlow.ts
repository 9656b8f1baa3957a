/**
 * The end of a meeting for the participants connected through this node (its hosts ended or
 * deleted it), in two steps: everyone is told at once (`meetingEnded`: the page shows the end and
 * stops its media); then, once the recordings are closed, everyone leaves the meeting as by an
 * explicit leave (media closed, out of the roster, attendance closed) and is disconnected with
 * `disconnectReason` `meeting_ended`: there is nothing left to reconnect to. Every signaling node
 * runs it for its own participants (signaling/meetingEnder.ts reaches the others); the registry
 * refuses later joins.
 */
import type { MeetingEndedInfo } from '../protocol/events';
import { forEachLimited } from './concurrency';
import type { Meeting } from './Meeting';

/** Participants taken out at once (each closes its transports on the SFU). */
const END_CONCURRENCY = 32;

/** Tells everyone connected through this node that the meeting is over (one message per node). */
export function announceEnd(meeting: Meeting, info: MeetingEndedInfo): void {
  meeting.notify.toLocalRoom(meeting.roomName, 'meetingEnded', info);
}

/** Takes every participant connected through this node out of the meeting and disconnects them; returns how many. */
export async function endForParticipants(meeting: Meeting): Promise<number> {
  const peers = [...meeting.peers.values()];
  meeting.notify.toLocalRoom(meeting.roomName, 'disconnectReason', { reason: 'meeting_ended' });
  await forEachLimited(peers, END_CONCURRENCY, async (peer) => {
    // Out of the meeting (and the roster) before the disconnect, whose own leave then finds
    // nothing to do: it would keep the participant as a departure within the grace instead.
    const removed = meeting.removePeer(peer);
    try {
      if (await meeting.state.leave(peer.userId, peer.socketId)) meeting.attendance.left(meeting.id, peer.userId, true);
    } catch (error) {
      meeting.log.warn({ peer: peer.userId, err: String(error) }, 'taking a participant out of the roster failed');
    }
    meeting.notify.disconnect(peer.socketId);
    await removed.catch((error: unknown) => meeting.log.warn({ peer: peer.userId, err: String(error) }, 'closing a participant\'s media failed'));
  });
  meeting.log.info({ participants: peers.length }, 'meeting ended for the participants here');
  return peers.length;
}
