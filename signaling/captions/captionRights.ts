/**
 * Who may write captions: the meeting's captioners (crew role `captioner`, meeting/production.ts)
 * and national hosts. The one place this is decided: the socket flow asks here, and so would any
 * other way in.
 */
import type { Meeting } from '../meeting/Meeting';
import type { Peer } from '../meeting/Peer';

export function mayCaption(meeting: Meeting, peer: Peer): boolean {
  return peer.isHost || meeting.crewRole(peer.userId) === 'captioner';
}
