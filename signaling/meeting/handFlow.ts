/**
 * Raise hand: a participant raises and lowers their own hand (rate-limited per user); hosts
 * lower hands (one, all, or one province) and page through the queue. Hosts see the queue only
 * through throttled summaries; no participant ever hears of another's hand.
 */
import { AppError, forbidden } from '../protocol/errors';
import type { ClientPayload } from '../protocol/schemas';
import type { ClientResultMap } from '../protocol/events';
import { withJitter } from '../admission';
import type { Meeting } from './Meeting';
import type { MeetingSession } from './MeetingSession';
import type { Peer } from './Peer';
import type { Session } from './Session';

function takeToggle(meeting: Meeting, peer: Peer): void {
  const wait = meeting.takeHandToken(peer.userId);
  if (wait > 0) throw new AppError('rate_limited', 'hand toggled too often', withJitter(wait));
}

/** The caller must host the session they are in (national host: main; province host: theirs). */
export function requireSessionHost(session: Session): { meeting: Meeting; peer: Peer; ms: MeetingSession } {
  const { meeting, peer } = session.joined();
  const ms = meeting.sessionOf(peer);
  if (!ms.isHost(peer)) throw forbidden('only the host of this session may do that');
  return { meeting, peer, ms };
}

export async function raiseHand(session: Session): Promise<ClientResultMap['raiseHand']> {
  const { meeting, peer } = session.joined();
  const ms = meeting.sessionOf(peer);
  if (peer.isHost || ms.isHost(peer)) throw forbidden('hosts do not raise hands');
  takeToggle(meeting, peer);
  const { entry, changed } = ms.hands.raise({
    userId: peer.userId,
    name: peer.claims.name,
    province: peer.claims.province,
    school: peer.claims.school,
  });
  if (changed) ms.handsChanged();
  return { handRaised: true, seq: entry.seq };
}

export async function lowerHand(session: Session): Promise<ClientResultMap['lowerHand']> {
  const { meeting, peer } = session.joined();
  takeToggle(meeting, peer);
  const ms = meeting.sessionOf(peer);
  if (ms.hands.lower(peer.userId)) ms.handsChanged();
  return { handRaised: false };
}

export async function lowerHands(
  session: Session,
  payload: ClientPayload<'lowerHands'>,
): Promise<ClientResultMap['lowerHands']> {
  const { meeting, ms } = requireSessionHost(session);
  if (payload.scope === 'province' && !ms.isMain && payload.province !== ms.key) {
    throw forbidden('outside your province');
  }
  let lowered: string[];
  if (payload.scope === 'user') lowered = ms.hands.lower(payload.userId) ? [payload.userId] : [];
  else lowered = ms.hands.lowerWhere(payload.scope === 'province' ? payload.province : undefined);
  if (lowered.length > 0) ms.handsChanged();
  // Each lowered participant hears of their own hand only.
  for (const userId of lowered) meeting.pushSpeakState(userId);
  return { lowered: lowered.length };
}

export async function handQueuePage(
  session: Session,
  { offset, limit }: ClientPayload<'handQueuePage'>,
): Promise<ClientResultMap['handQueuePage']> {
  const { ms } = requireSessionHost(session);
  return { entries: ms.hands.page(offset, limit), total: ms.hands.size };
}
