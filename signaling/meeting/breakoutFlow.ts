/**
 * Province breakouts. The national host splits the meeting into one session per province (each
 * teacher goes to the province in their token; no one is dragged by hand), optionally for a set
 * time, can extend it, speak into every breakout at once, send a notice to all, and call everyone
 * back. Province hosts lead their own breakout (publish, hand queue, speakers). Moves happen on
 * the participants' existing transports: no reload, no renegotiation.
 */
import { AppError, forbidden } from '../protocol/errors';
import type { ClientPayload } from '../protocol/schemas';
import type { ClientResultMap } from '../protocol/events';
import { forEachLimited, type Meeting } from './Meeting';
import { MAIN } from './MeetingSession';
import type { Session } from './Session';

/** How many participants are moved at once. */
const MOVE_CONCURRENCY = 32;

function requireNationalHost(session: Session): { meeting: Meeting; name: string } {
  const { meeting, peer } = session.joined();
  if (!peer.isHost) throw forbidden('national host only');
  return { meeting, name: peer.claims.name };
}

function broadcastState(meeting: Meeting): ClientResultMap['startBreakouts'] {
  const state = meeting.breakoutsState();
  meeting.io.to(meeting.roomName).emit('breakouts', state);
  return state;
}

function armTimer(meeting: Meeting): void {
  if (meeting.breakoutTimer) clearTimeout(meeting.breakoutTimer);
  meeting.breakoutTimer = null;
  const endsAt = meeting.breakouts?.endsAt;
  if (!endsAt) return;
  meeting.breakoutTimer = setTimeout(() => {
    meeting.breakoutTimer = null;
    void recall(meeting).catch((error: unknown) => meeting.log.error({ err: String(error) }, 'timed recall failed'));
  }, Math.max(0, endsAt - Date.now()));
  meeting.breakoutTimer.unref();
}

export async function startBreakouts(
  session: Session,
  { durationS, nationalOverlay }: ClientPayload<'startBreakouts'>,
): Promise<ClientResultMap['startBreakouts']> {
  const { meeting } = requireNationalHost(session);
  if (meeting.breakouts) throw new AppError('conflict', 'breakouts are already running');
  const now = Date.now();
  meeting.breakouts = { startedAt: now, endsAt: durationS ? now + durationS * 1000 : null, nationalOverlay, speakToAll: false };
  armTimer(meeting);
  const state = broadcastState(meeting);
  const movers = [...meeting.peers.values()].filter((p) => meeting.placeFor(p) !== MAIN);
  meeting.log.info({ movers: movers.length, durationS }, 'breakouts started');
  await forEachLimited(movers, MOVE_CONCURRENCY, (peer) => meeting.move(peer, meeting.placeFor(peer)));
  return state;
}

export async function extendBreakouts(
  session: Session,
  { seconds }: ClientPayload<'extendBreakouts'>,
): Promise<ClientResultMap['extendBreakouts']> {
  const { meeting } = requireNationalHost(session);
  const b = meeting.breakouts;
  if (!b) throw new AppError('conflict', 'no breakouts are running');
  b.endsAt = Math.max(b.endsAt ?? Date.now(), Date.now()) + seconds * 1000;
  armTimer(meeting);
  return broadcastState(meeting);
}

export async function endBreakouts(session: Session): Promise<ClientResultMap['endBreakouts']> {
  const { meeting } = requireNationalHost(session);
  if (!meeting.breakouts) throw new AppError('conflict', 'no breakouts are running');
  return recall(meeting);
}

/** Everyone back to the main session; breakout hands are cleared with a notice, rooms closed. */
export async function recall(meeting: Meeting): Promise<ClientResultMap['endBreakouts']> {
  if (!meeting.breakouts) return meeting.breakoutsState();
  if (meeting.breakoutTimer) clearTimeout(meeting.breakoutTimer);
  meeting.breakoutTimer = null;
  meeting.breakouts = null;
  const state = broadcastState(meeting);
  const breakouts = [...meeting.sessions.values()].filter((s) => !s.isMain);
  const at = Date.now();
  for (const ms of breakouts) {
    for (const userId of ms.hands.lowerWhere()) {
      const peer = meeting.peers.get(userId);
      if (peer) meeting.io.to(peer.socketId).emit('notice', { kind: 'hands_cleared', text: '', from: '', at });
    }
    for (const userId of [...ms.speakers.keys()]) await meeting.endSpeaking(ms, userId);
  }
  const movers = [...meeting.peers.values()].filter((p) => p.sessionKey !== MAIN);
  await forEachLimited(movers, MOVE_CONCURRENCY, (peer) => meeting.move(peer, MAIN));
  for (const ms of breakouts) {
    ms.close();
    meeting.sessions.delete(ms.key);
    await meeting.sfu.closeRoom(ms.roomId);
  }
  meeting.log.info({ moved: movers.length }, 'breakouts ended');
  return state;
}

export async function speakToAll(session: Session, { on }: ClientPayload<'speakToAll'>): Promise<ClientResultMap['speakToAll']> {
  const { meeting } = requireNationalHost(session);
  if (!meeting.breakouts) throw new AppError('conflict', 'no breakouts are running');
  meeting.breakouts.speakToAll = on;
  await meeting.applyHolds();
  return broadcastState(meeting);
}

export async function sendNotice(session: Session, { text }: ClientPayload<'sendNotice'>): Promise<ClientResultMap['sendNotice']> {
  const { meeting, name } = requireNationalHost(session);
  meeting.io.to(meeting.roomName).emit('notice', { kind: 'text', text, from: name, at: Date.now() });
  return {};
}
