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
import type { Peer } from './Peer';
import type { Session } from './Session';

function takeToggle(meeting: Meeting, peer: Peer): void {
  const wait = meeting.takeHandToken(peer.userId);
  if (wait > 0) throw new AppError('rate_limited', 'hand toggled too often', withJitter(wait));
}

export function requireHost(session: Session): { meeting: Meeting; peer: Peer } {
  const joined = session.joined();
  if (!joined.peer.isHost) throw forbidden('host only');
  return joined;
}

export async function raiseHand(session: Session): Promise<ClientResultMap['raiseHand']> {
  const { meeting, peer } = session.joined();
  if (peer.isHost) throw forbidden('hosts do not raise hands');
  takeToggle(meeting, peer);
  const { entry, changed } = meeting.hands.raise({
    userId: peer.userId,
    name: peer.claims.name,
    province: peer.claims.province,
    school: peer.claims.school,
  });
  if (changed) meeting.handsChanged();
  return { handRaised: true, seq: entry.seq };
}

export async function lowerHand(session: Session): Promise<ClientResultMap['lowerHand']> {
  const { meeting, peer } = session.joined();
  takeToggle(meeting, peer);
  if (meeting.hands.lower(peer.userId)) meeting.handsChanged();
  return { handRaised: false };
}

export async function lowerHands(
  session: Session,
  payload: ClientPayload<'lowerHands'>,
): Promise<ClientResultMap['lowerHands']> {
  const { meeting } = requireHost(session);
  let lowered: string[];
  if (payload.scope === 'user') lowered = meeting.hands.lower(payload.userId) ? [payload.userId] : [];
  else lowered = meeting.hands.lowerWhere(payload.scope === 'province' ? payload.province : undefined);
  if (lowered.length > 0) meeting.handsChanged();
  // Each lowered participant hears of their own hand only.
  for (const userId of lowered) meeting.pushSpeakState(userId);
  return { lowered: lowered.length };
}

export async function handQueuePage(
  session: Session,
  { offset, limit }: ClientPayload<'handQueuePage'>,
): Promise<ClientResultMap['handQueuePage']> {
  const { meeting } = requireHost(session);
  return { entries: meeting.hands.page(offset, limit), total: meeting.hands.size };
}
