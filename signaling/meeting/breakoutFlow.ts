/**
 * Province breakouts. The national host splits the meeting into one session per province (each
 * teacher goes to the province in their token; no one is dragged by hand), optionally for a set
 * time, can extend it, speak into every breakout at once, send a notice to all, and call everyone
 * back. Province hosts lead their own breakout (publish, hand queue, speakers). Moves happen on
 * the participants' existing transports: no reload, no renegotiation.
 *
 * The breakouts record (with its deadline as an absolute time) is in the meeting store; every
 * signaling node moves its own participants when it hears of a change (meetingEvents.ts), and
 * every node arms the timer, of which the store lets one end the breakouts.
 */
import { AppError, forbidden } from '../protocol/errors';
import type { ClientPayload } from '../protocol/schemas';
import type { ClientResultMap } from '../protocol/events';
import type { Meeting } from './Meeting';
import { MAIN } from './MeetingSession';
import type { Session } from './Session';

function requireNationalHost(session: Session): { meeting: Meeting; name: string } {
  const { meeting, peer } = session.joined();
  if (!peer.isHost) throw forbidden('national host only');
  return { meeting, name: peer.claims.name };
}

/** Applies a change here, then tells everyone (on every node) the new state. */
async function broadcastState(meeting: Meeting): Promise<ClientResultMap['startBreakouts']> {
  await meeting.caughtUp();
  const state = meeting.breakoutsState();
  meeting.notify.toRoom(meeting.roomName, 'breakouts', state);
  return state;
}

/**
 * Starts breakouts. What the host leaves out comes from the scheduled meeting's plan: which
 * provinces split out (the others stay in main) and for how long.
 */
export async function startBreakouts(
  session: Session,
  { durationS, nationalOverlay, provinces }: ClientPayload<'startBreakouts'>,
): Promise<ClientResultMap['startBreakouts']> {
  const { meeting } = requireNationalHost(session);
  const plan = durationS === undefined || provinces === undefined ? await meeting.plans.plan(meeting.id) : null;
  const seconds = durationS ?? (plan && plan.durationMin > 0 ? plan.durationMin * 60 : undefined);
  const only = provinces ?? (plan && plan.provinces.length > 0 ? plan.provinces : undefined);
  const now = Date.now();
  const started = await meeting.state.startBreakouts({
    startedAt: now,
    endsAt: seconds ? now + seconds * 1000 : null,
    nationalOverlay,
    speakToAll: false,
    provinces: only ? [...new Set(only)].sort() : null,
  });
  if (!started) throw new AppError('conflict', 'breakouts are already running');
  meeting.log.info({ durationS: seconds, provinces: only?.length ?? 'all', planned: plan !== null }, 'breakouts started');
  return broadcastState(meeting);
}

export async function extendBreakouts(
  session: Session,
  { seconds }: ClientPayload<'extendBreakouts'>,
): Promise<ClientResultMap['extendBreakouts']> {
  const { meeting } = requireNationalHost(session);
  if (!(await meeting.state.updateBreakouts({ extendS: seconds }, Date.now()))) throw new AppError('conflict', 'no breakouts are running');
  return broadcastState(meeting);
}

export async function endBreakouts(session: Session): Promise<ClientResultMap['endBreakouts']> {
  const { meeting } = requireNationalHost(session);
  const state = await recall(meeting);
  if (!state) throw new AppError('conflict', 'no breakouts are running');
  return state;
}

/**
 * Everyone back to the main session; breakout hands are cleared with a notice, grants end, the
 * breakout rooms close. Returns null when no breakouts were running (another node ended them).
 */
export async function recall(meeting: Meeting): Promise<ClientResultMap['endBreakouts'] | null> {
  // The breakout rooms in use, on any node, before everyone moves back.
  const inUse = [...Object.keys((await meeting.state.counts()).sessions), ...meeting.sessions.keys()];
  const ended = await meeting.state.endBreakouts();
  if (!ended) return null;
  const state = await broadcastState(meeting);
  const at = Date.now();
  const keys = (await meeting.state.sessionKeys()).filter((k) => k !== MAIN);
  for (const key of keys) {
    for (const userId of await meeting.state.lowerHands(key)) {
      meeting.notify.toRoom(meeting.userRoom(userId), 'notice', { kind: 'hands_cleared', text: '', from: '', at });
    }
    for (const s of await meeting.state.speakers(key)) await meeting.endSpeaking(meeting.session(key), s.userId);
  }
  const provinces = new Set([...keys, ...inUse].filter((k) => k !== MAIN));
  await Promise.all([...provinces].map((key) => meeting.sfu.closeRoom(meeting.session(key).roomId)));
  meeting.log.info({ breakouts: provinces.size }, 'breakouts ended');
  return state;
}

export async function speakToAll(session: Session, { on }: ClientPayload<'speakToAll'>): Promise<ClientResultMap['speakToAll']> {
  const { meeting } = requireNationalHost(session);
  if (!(await meeting.state.updateBreakouts({ speakToAll: on }, Date.now()))) throw new AppError('conflict', 'no breakouts are running');
  return broadcastState(meeting);
}

export async function sendNotice(session: Session, { text }: ClientPayload<'sendNotice'>): Promise<ClientResultMap['sendNotice']> {
  const { meeting, name } = requireNationalHost(session);
  const notice = { kind: 'text' as const, text, from: name, at: Date.now() };
  // Kept for those who join in the next minutes (joinFlow sends them the recent ones).
  await meeting.state.addNotice(notice);
  meeting.notify.toRoom(meeting.roomName, 'notice', notice);
  return {};
}
