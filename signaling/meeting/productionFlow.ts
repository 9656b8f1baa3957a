/**
 * The producer's actions over the socket: change the stage (backstage on or off, a source on or
 * off the stage, its place, the layout, going live after a countdown, back to the slate), name the
 * crew, and a teacher's own choice to see the sign-language interpreter. Each change is read from
 * the store, decided by production.ts, and written back with a compare-and-set (a producer and a
 * host acting at once both land, one after the other); every node then follows it (stageFollow.ts).
 */
import { AppError, forbidden, notFound } from '../protocol/errors';
import type { ClientPayload } from '../protocol/schemas';
import type { ClientResultMap } from '../protocol/events';
import type { Production } from '../store/types';
import type { Meeting } from './Meeting';
import { MAIN } from './MeetingSession';
import { ProductionRefusal, applyChange, stageKey, type StageChange } from './production';
import type { Session } from './Session';

/** Compare-and-set attempts before a change is reported as a conflict (someone kept changing it). */
const CAS_ATTEMPTS = 8;

/** The stage keys of the presenters' sources published now. */
function publishedKeys(meeting: Meeting): string[] {
  const keys = new Set<string>();
  for (const p of meeting.published.values()) if (p.stage === 'presenter' && p.sessionKey === MAIN) keys.add(stageKey(p));
  return [...keys];
}

async function change(session: Session, what: StageChange): Promise<ClientResultMap['updateStage']> {
  const { meeting, peer } = session.joined();
  if (peer.sessionKey !== MAIN && !peer.isHost) throw forbidden('the stage is produced from the main session');
  if (what.type === 'put' && what.on && !publishedKeys(meeting).includes(what.key)) {
    throw new AppError('conflict', 'that source is not published now');
  }
  let written: Production | null = null;
  for (let attempt = 0; attempt < CAS_ATTEMPTS && !written; attempt++) {
    const current = await meeting.state.production();
    let next;
    try {
      next = applyChange(current, what, meeting.actorOf(peer), Date.now(), publishedKeys(meeting));
    } catch (error) {
      if (error instanceof ProductionRefusal) throw new AppError(error.code, error.message);
      throw error;
    }
    written = await meeting.state.setProduction(current.version, next);
  }
  if (!written) throw new AppError('conflict', 'the stage kept changing; try again');
  meeting.log.info({ by: peer.userId, change: what.type, version: written.version }, 'production changed');
  // Applied here before answering, so the producer's next action sees it.
  await meeting.caughtUp();
  return { ...written, serverNow: Date.now() };
}

export function updateStage(session: Session, payload: ClientPayload<'updateStage'>): Promise<ClientResultMap['updateStage']> {
  return change(session, payload);
}

/** Names (or removes) a crew member: someone in the meeting, or a person named by the host. */
export async function setCrew(session: Session, { userId, role, name }: ClientPayload<'setCrew'>): Promise<ClientResultMap['updateStage']> {
  const { meeting } = session.joined();
  const present = await meeting.participant(userId);
  const known = present?.name ?? name ?? meeting.production.crew[userId]?.name;
  if (!known) throw notFound('participant');
  return change(session, { type: 'crew', userId, role, name: known });
}

/** A participant turns the interpreter's picture on or off for themselves. */
export async function setInterpreterView(session: Session, { on }: ClientPayload<'setInterpreterView'>): Promise<ClientResultMap['setInterpreterView']> {
  const { meeting, peer } = session.joined();
  if (peer.interpreterView !== on) {
    peer.interpreterView = on;
    await meeting.reconcile(peer);
  }
  return { interpreterView: on };
}
