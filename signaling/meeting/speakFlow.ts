/**
 * Invite to speak: a host invites a participant (from the queue or by id); the participant
 * accepts or declines; on accept the server grants a send transport and audio (plus video if the
 * host allowed it), and lowers the hand. The host can mute or revoke; the speaker can stop.
 * Concurrent teacher speakers (invited or speaking) are capped. Every check is on the server.
 */
import { AppError, forbidden, notFound } from '../protocol/errors';
import type { ClientPayload } from '../protocol/schemas';
import type { ClientResultMap } from '../protocol/events';
import { requireSessionHost } from './handFlow';
import type { Session } from './Session';

export async function inviteSpeaker(
  session: Session,
  { userId, allowVideo }: ClientPayload<'inviteSpeaker'>,
): Promise<ClientResultMap['inviteSpeaker']> {
  const { meeting, ms } = requireSessionHost(session);
  const target = meeting.peers.get(userId);
  if (!target) throw notFound('participant');
  if (target.sessionKey !== ms.key) throw forbidden('that participant is in another session');
  if (target.isHost || ms.isHost(target)) throw new AppError('conflict', 'hosts can already speak');
  if (ms.speakers.has(userId)) throw new AppError('conflict', 'already invited or speaking');
  if (ms.speakers.size >= meeting.options.maxSpeakers) {
    throw new AppError('conflict', `speaker limit reached (${meeting.options.maxSpeakers})`);
  }
  ms.speakers.set(userId, {
    userId,
    name: target.claims.name,
    province: target.claims.province,
    school: target.claims.school,
    allowVideo,
    muted: false,
    state: 'invited',
  });
  meeting.pushSpeakState(userId);
  meeting.speakersChanged(ms);
  meeting.log.info({ peer: userId, allowVideo, session: ms.key }, 'invited to speak');
  return {};
}

export async function respondInvitation(
  session: Session,
  { accept }: ClientPayload<'respondInvitation'>,
): Promise<ClientResultMap['respondInvitation']> {
  const { meeting, peer } = session.joined();
  const ms = meeting.sessionOf(peer);
  const entry = ms.speakers.get(peer.userId);
  if (!entry || entry.state !== 'invited') throw notFound('invitation');
  if (!accept) {
    await meeting.endSpeaking(ms, peer.userId);
    return { grant: null };
  }
  entry.state = 'speaking';
  if (ms.hands.lower(peer.userId)) ms.handsChanged();
  meeting.pushSpeakState(peer.userId);
  meeting.speakersChanged(ms);
  meeting.log.info({ peer: peer.userId }, 'speaking');
  return { grant: { allowVideo: entry.allowVideo, muted: entry.muted } };
}

export async function muteSpeaker(
  session: Session,
  { userId, muted }: ClientPayload<'muteSpeaker'>,
): Promise<ClientResultMap['muteSpeaker']> {
  const { meeting, ms } = requireSessionHost(session);
  const entry = ms.speakers.get(userId);
  if (!entry || entry.state !== 'speaking') throw notFound('speaker');
  entry.muted = muted;
  const peer = meeting.peers.get(userId);
  for (const p of peer?.producers.values() ?? []) {
    if (p.source === 'mic') await (muted ? meeting.sfu.pauseProducer(p.id) : meeting.sfu.resumeProducer(p.id));
  }
  meeting.pushSpeakState(userId);
  meeting.speakersChanged(ms);
  return {};
}

export async function revokeSpeaker(
  session: Session,
  { userId }: ClientPayload<'revokeSpeaker'>,
): Promise<ClientResultMap['revokeSpeaker']> {
  const { meeting, ms } = requireSessionHost(session);
  if (!ms.speakers.has(userId)) throw notFound('speaker');
  await meeting.endSpeaking(ms, userId);
  meeting.log.info({ peer: userId }, 'speaking revoked');
  return {};
}

export async function stopSpeaking(session: Session): Promise<ClientResultMap['stopSpeaking']> {
  const { meeting, peer } = session.joined();
  const ms = meeting.sessionOf(peer);
  if (!ms.speakers.has(peer.userId)) throw notFound('speaker grant');
  await meeting.endSpeaking(ms, peer.userId);
  return {};
}
