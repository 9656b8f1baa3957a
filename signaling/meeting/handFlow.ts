/**
 * Raise hand: a participant raises and lowers their own hand (rate-limited per user); hosts
 * lower hands (one, all, or one province) and page through the queue. Hosts see the queue only
 * through throttled summaries; no participant ever hears of another's hand.
 */
import { AppError, forbidden } from '../protocol/errors';
import type { ClientPayload } from '../protocol/schemas';
import type { ClientResultMap } from '../protocol/events';
import { withJitter } from '../rateLimit';
import type { Meeting } from './Meeting';
import type { MeetingSession } from './MeetingSession';
import type { Peer } from './Peer';
import type { Session } from './Session';

function takeToggle(meeting: Meeting, peer: Peer): void {
  const wait = meeting.takeHandToken(peer.userId);
  if (wait > 0) throw new AppError('rate_limited', 'hand toggled too often', withJitter(wait));
}

/** The caller must host the session they are in (national host: main; province host: theirs). */
export function requireSessionHost(session: Session): { meeting: Meeting; peer: Peer; meetingSession: MeetingSession } {
  const { meeting, peer } = session.joined();
  const meetingSession = meeting.sessionOf(peer);
  if (!meetingSession.isHost(peer)) throw forbidden('only the host of this session may do that');
  return { meeting, peer, meetingSession };
}

export async function raiseHand(session: Session): Promise<ClientResultMap['raiseHand']> {
  const { meeting, peer } = session.joined();
  const meetingSession = meeting.sessionOf(peer);
  if (peer.isHost || meetingSession.isHost(peer)) throw forbidden('hosts do not raise hands');
  takeToggle(meeting, peer);
  // Hosts' nodes see the session's hand sequence move and send them a summary (hostFeeds.ts).
  const { entry } = await meeting.state.raiseHand(meetingSession.key, {
    userId: peer.userId,
    name: peer.claims.name,
    province: peer.claims.province,
    school: peer.claims.school,
  });
  return { handRaised: true, seq: entry.seq };
}

export async function lowerHand(session: Session): Promise<ClientResultMap['lowerHand']> {
  const { meeting, peer } = session.joined();
  takeToggle(meeting, peer);
  await meeting.state.lowerHand(peer.sessionKey, peer.userId);
  return { handRaised: false };
}

export async function lowerHands(
  session: Session,
  payload: ClientPayload<'lowerHands'>,
): Promise<ClientResultMap['lowerHands']> {
  const { meeting, meetingSession } = requireSessionHost(session);
  if (payload.scope === 'province' && !meetingSession.isMain && payload.province !== meetingSession.key) {
    throw forbidden('outside your province');
  }
  let lowered: string[];
  if (payload.scope === 'user') lowered = (await meeting.state.lowerHand(meetingSession.key, payload.userId)) ? [payload.userId] : [];
  else lowered = await meeting.state.lowerHands(meetingSession.key, payload.scope === 'province' ? payload.province : undefined);
  // Each lowered participant hears of their own hand only, and only if they are in this session:
  // a hand raised in main before breakouts stays in main's queue, and its owner, now in a
  // breakout, must not be told main's state (no grant) over their breakout's.
  await Promise.all(
    lowered.map(async (userId) => {
      if ((await meeting.participant(userId))?.sessionKey === meetingSession.key) await meeting.pushSpeakState(meetingSession.key, userId);
    }),
  );
  return { lowered: lowered.length };
}

export async function handQueuePage(
  session: Session,
  { offset, limit }: ClientPayload<'handQueuePage'>,
): Promise<ClientResultMap['handQueuePage']> {
  const { meeting, meetingSession } = requireSessionHost(session);
  return meeting.state.handPage(meetingSession.key, offset, limit);
}
