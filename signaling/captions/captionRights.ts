/**
 * Who may write captions: a meeting's captioners (the crew role the lead adds to Meeting) and
 * national hosts. The one place this is decided: the socket flow asks here, and so would any
 * other way in.
 */
import type { Meeting } from '../meeting/Meeting';
import type { Peer } from '../meeting/Peer';

type CrewRole = 'producer' | 'presenter' | 'interpreter' | 'captioner' | null;
/** `Meeting.crewRole(userId)` once per-meeting crew roles exist (read structurally until then). */
type WithCrew = { crewRole?: (userId: string) => CrewRole | Promise<CrewRole> };

export async function mayCaption(meeting: Meeting, peer: Peer): Promise<boolean> {
  if (peer.isHost) return true;
  const crewRole = (meeting as unknown as WithCrew).crewRole;
  return typeof crewRole === 'function' && (await crewRole.call(meeting, peer.userId)) === 'captioner';
}
