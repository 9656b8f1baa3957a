/**
 * Invite to speak: a host invites a participant (from the queue or by id); the participant
 * accepts or declines; on accept the server grants a send transport and audio (plus video if the
 * host allowed it), and lowers the hand. The host can mute or revoke; the speaker can stop.
 * Concurrent teacher speakers (invited or speaking) are capped. Every check is on the server;
 * grants live in the meeting store, so host and speaker may be connected through different nodes
 * (the speaker's node acts on speakerMuted and speakerEnded).
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
  const { meeting, meetingSession } = requireSessionHost(session);
  const target = await meeting.participant(userId);
  if (!target) throw notFound('participant');
  if (target.sessionKey !== meetingSession.key) throw forbidden('that participant is in another session');
  if (target.role === 'host' || meetingSession.isHost({ claims: target })) throw new AppError('conflict', 'hosts can already speak');
  const result = await meeting.state.invite(
    meetingSession.key,
    { userId, name: target.name, province: target.province, school: target.school, allowVideo, muted: false, state: 'invited' },
    meeting.options.maxSpeakers,
  );
  if (result === 'exists') throw new AppError('conflict', 'already invited or speaking');
  if (result === 'full') throw new AppError('conflict', `speaker limit reached (${meeting.options.maxSpeakers})`);
  await meeting.pushSpeakState(meetingSession.key, userId);
  await meeting.speakersChanged(meetingSession);
  meeting.log.info({ peer: userId, allowVideo, session: meetingSession.key }, 'invited to speak');
  return {};
}

export async function respondInvitation(
  session: Session,
  { accept }: ClientPayload<'respondInvitation'>,
): Promise<ClientResultMap['respondInvitation']> {
  const { meeting, peer } = session.joined();
  const meetingSession = meeting.sessionOf(peer);
  const entry = await meeting.state.speaker(meetingSession.key, peer.userId);
  if (!entry || entry.state !== 'invited') throw notFound('invitation');
  if (!accept) {
    await meeting.endSpeaking(meetingSession, peer.userId);
    // The inviting session's hosts learn it, so they can invite someone else.
    meeting.notify.toRoom(meetingSession.hostsRoomName, 'inviteDeclined', { userId: peer.userId, name: peer.claims.name });
    return { grant: null };
  }
  const granted = await meeting.state.accept(meetingSession.key, peer.userId);
  if (!granted) throw notFound('invitation');
  await meeting.state.lowerHand(meetingSession.key, peer.userId);
  await meeting.pushSpeakState(meetingSession.key, peer.userId);
  await meeting.speakersChanged(meetingSession);
  meeting.log.info({ peer: peer.userId }, 'speaking');
  return { grant: { allowVideo: granted.allowVideo, muted: granted.muted } };
}

export async function muteSpeaker(
  session: Session,
  { userId, muted }: ClientPayload<'muteSpeaker'>,
): Promise<ClientResultMap['muteSpeaker']> {
  const { meeting, meetingSession } = requireSessionHost(session);
  // The speaker's node pauses or resumes their microphone on the SFU (speakerMuted).
  if (!(await meeting.state.mute(meetingSession.key, userId, muted))) throw notFound('speaker');
  await meeting.caughtUp();
  await meeting.pushSpeakState(meetingSession.key, userId);
  await meeting.speakersChanged(meetingSession);
  return {};
}

export async function revokeSpeaker(
  session: Session,
  { userId }: ClientPayload<'revokeSpeaker'>,
): Promise<ClientResultMap['revokeSpeaker']> {
  const { meeting, meetingSession } = requireSessionHost(session);
  if (!(await meeting.state.speaker(meetingSession.key, userId))) throw notFound('speaker');
  // Two hosts revoking at once: one ends it, the other is told there was nothing left to end.
  if (!(await meeting.endSpeaking(meetingSession, userId))) throw notFound('speaker');
  meeting.log.info({ peer: userId }, 'speaking revoked');
  return {};
}

export async function stopSpeaking(session: Session): Promise<ClientResultMap['stopSpeaking']> {
  const { meeting, peer } = session.joined();
  const meetingSession = meeting.sessionOf(peer);
  if (!(await meeting.state.speaker(meetingSession.key, peer.userId))) throw notFound('speaker grant');
  if (!(await meeting.endSpeaking(meetingSession, peer.userId))) throw notFound('speaker grant');
  return {};
}
