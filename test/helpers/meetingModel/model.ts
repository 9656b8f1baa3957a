/**
 * A model of one meeting, as the server should hold it: who is connected and in which session,
 * hands and speakers per session, breakouts, what is published (and where), recordings, polls
 * and questions. Plain data (cloned with structuredClone), no I/O: `actions.ts` says what each
 * action does to it, `views.ts` what every participant should then see.
 *
 * The rules here are the product's rules as the flows state them (joinFlow, handFlow, speakFlow,
 * breakoutFlow, publishFlow, Meeting.wants/isHeld, nationalFallback, recordingFlow, pollFlow,
 * qaFlow, the produced broadcast: stage.ts), written again from the outside, so that the real
 * server is checked against them.
 */
import type { ErrorCode } from '../../../signaling/protocol/errors';
import type { CrewRole, Role } from '../../../signaling/protocol/events';

export const MAIN = 'main';

export type Source = 'camera' | 'mic' | 'screen';

export interface ActorSpec {
  id: string;
  role: Role;
  province: string | null;
  /** Index of the signaling node the actor connects through (0 on a single node). */
  node: number;
}

export interface SpeakerModel {
  allowVideo: boolean;
  muted: boolean;
  state: 'invited' | 'speaking';
}

export interface ProducerModel {
  actor: string;
  source: Source;
  /** The session it was published in. */
  session: string;
  /** Part of the national broadcast (a national host's, a crew producer's or presenter's): reaches breakouts. */
  national: boolean;
  /** Decided by the stage (published in main by a host or the crew): a presenter's source, or the interpreter's picture. */
  stage: 'presenter' | 'interpreter' | null;
}

/** The produced broadcast (stage.ts has its rules). */
export interface ProductionModel {
  backstage: boolean;
  /** Gone live (a countdown is always waited out by the action that starts it). */
  live: boolean;
  /** Stage keys on the stage, in order: `actor` (camera and microphone) or `actor#screen`. */
  stage: string[];
  crew: Record<string, CrewRole>;
}

export interface BreakoutsModel {
  /** Sorted, or null: every province. */
  provinces: string[] | null;
  overlay: boolean;
  speakToAll: boolean;
  /** Server time from the acknowledgements (they carry it), or null. */
  endsAt: number | null;
}

export interface PollModel {
  id: string;
  options: number;
  open: boolean;
  voters: string[];
}

export interface QuestionModel {
  id: string;
  author: string;
  voters: string[];
}

export interface MeetingModel {
  maxSpeakers: number;
  /** Commands run so far, and how many a run may have (generated commands past it are skipped). */
  executed: number;
  maxExecuted: number;
  actors: Record<string, ActorSpec>;
  connected: Record<string, boolean>;
  /** Receives audio only (setAudioOnly); reset by a new connection. */
  audioOnly: Record<string, boolean>;
  /** Turned the interpreter's picture on (setInterpreterView); reset by a new connection. */
  interpreterView: Record<string, boolean>;
  production: ProductionModel;
  breakouts: BreakoutsModel | null;
  /** Per session: raised hands in raise order. */
  hands: Record<string, string[]>;
  /** Per session: invited and speaking participants. */
  speakers: Record<string, Record<string, SpeakerModel>>;
  producers: ProducerModel[];
  /** Sessions being recorded, with the actor who records (its node keeps the recording). */
  recording: Record<string, string>;
  polls: PollModel[];
  questions: QuestionModel[];
  /** Its hosts ended it: everyone is out, and nobody joins again (`not_open`). */
  ended: boolean;
}

export function emptyModel(actors: ActorSpec[], maxSpeakers: number, maxExecuted = Number.POSITIVE_INFINITY): MeetingModel {
  return {
    maxSpeakers,
    executed: 0,
    maxExecuted,
    actors: Object.fromEntries(actors.map((a) => [a.id, a])),
    connected: Object.fromEntries(actors.map((a) => [a.id, false])),
    audioOnly: Object.fromEntries(actors.map((a) => [a.id, false])),
    interpreterView: Object.fromEntries(actors.map((a) => [a.id, false])),
    production: { backstage: false, live: false, stage: [], crew: {} },
    breakouts: null,
    hands: {},
    speakers: {},
    producers: [],
    recording: {},
    polls: [],
    questions: [],
    ended: false,
  };
}

export const kindOf = (source: Source): 'audio' | 'video' => (source === 'mic' ? 'audio' : 'video');

/** The crew roles that send in main (a captioner only writes). */
export const SENDING_CREW: readonly CrewRole[] = ['producer', 'presenter', 'interpreter'];

/** What a crew role may publish in main (null: it gives no right to send). */
export function crewMay(role: CrewRole | undefined): Source[] | null {
  if (role === 'interpreter') return ['camera'];
  return role === 'producer' || role === 'presenter' ? ['camera', 'mic', 'screen'] : null;
}

/** Where a participant belongs: their province's breakout when it split out, else main (the crew: main). */
export function placeFor(m: MeetingModel, actor: string): string {
  const a = m.actors[actor]!;
  if (!m.breakouts || a.role === 'host' || !a.province || m.production.crew[actor]) return MAIN;
  if (m.breakouts.provinces && !m.breakouts.provinces.includes(a.province)) return MAIN;
  return a.province;
}

/** The session a connected participant is in (null when not connected). */
export function sessionOf(m: MeetingModel, actor: string): string | null {
  return m.connected[actor] ? placeFor(m, actor) : null;
}

/** National hosts host main; a province host hosts their province's breakout. */
export function hostsSession(m: MeetingModel, actor: string, session: string): boolean {
  const a = m.actors[actor]!;
  return session === MAIN ? a.role === 'host' : a.role === 'province_host' && a.province === session;
}

export function isSessionHost(m: MeetingModel, actor: string): boolean {
  const s = sessionOf(m, actor);
  return s !== null && hostsSession(m, actor, s);
}

export function speakerIn(m: MeetingModel, session: string, actor: string): SpeakerModel | undefined {
  return m.speakers[session]?.[actor];
}

/** Hosts always; a province host in their breakout; the sending crew in main; a granted (speaking) participant. */
export function canSend(m: MeetingModel, actor: string): boolean {
  const s = sessionOf(m, actor);
  if (s === null) return false;
  if (m.actors[actor]!.role === 'host' || hostsSession(m, actor, s)) return true;
  if (s === MAIN && crewMay(m.production.crew[actor])) return true;
  return speakerIn(m, s, actor)?.state === 'speaking';
}

/**
 * Sees and hears every source of the national broadcast, on air or not: national hosts and the
 * crew that sends (producers, presenters, interpreters), while in main.
 */
export function backstageMember(m: MeetingModel, actor: string): boolean {
  if (sessionOf(m, actor) !== MAIN) return false;
  return m.actors[actor]!.role === 'host' || SENDING_CREW.includes(m.production.crew[actor]!);
}

export const stageKeyOf = (p: Pick<ProducerModel, 'actor' | 'source'>): string => (p.source === 'screen' ? `${p.actor}#screen` : p.actor);

/**
 * Whether a source the stage decides reaches those outside the backstage: without backstage,
 * at once; with it, only while live, the interpreter whenever live, a presenter's source when on
 * the stage.
 */
export function reachesAudience(m: MeetingModel, p: ProducerModel): boolean {
  const prod = m.production;
  if (p.stage === null || !prod.backstage) return true;
  if (!prod.live) return false;
  return p.stage === 'interpreter' || prod.stage.includes(stageKeyOf(p));
}

export const isNational = (_m: MeetingModel, p: ProducerModel): boolean => p.national;

/** A breakout with nothing of its own published shows the national session (nationalFallback.ts). */
export function showsNational(m: MeetingModel, session: string): boolean {
  return session !== MAIN && m.breakouts !== null && !m.producers.some((p) => p.session === session);
}

/** Whether `actor` should consume producer `p` (Meeting.wants). */
export function wants(m: MeetingModel, actor: string, p: ProducerModel): boolean {
  const s = sessionOf(m, actor);
  if (s === null || p.actor === actor) return false;
  if (m.audioOnly[actor] && kindOf(p.source) === 'video') return false;
  // Outside the backstage: a stage source only on air; the interpreter's picture only when turned on.
  if (p.stage !== null && !backstageMember(m, actor)) {
    if (!reachesAudience(m, p)) return false;
    // The interpreter signs the national session: in main, or in a breakout that shows it.
    if (p.stage === 'interpreter') return m.interpreterView[actor]! && (s === MAIN || showsNational(m, s));
  }
  if (p.session === s) return true;
  if (!m.breakouts || !isNational(m, p) || s === MAIN) return false;
  if (showsNational(m, s)) return true;
  return kindOf(p.source) === 'audio' || (m.breakouts.overlay && p.source === 'camera');
}

/** National audio is held (paused) in a breakout unless speaking to all or shown as fallback (Meeting.isHeld). */
export function isHeld(m: MeetingModel, actor: string, p: ProducerModel): boolean {
  const s = sessionOf(m, actor);
  return s !== null && s !== MAIN && isNational(m, p) && p.source === 'mic' && !m.breakouts?.speakToAll && !showsNational(m, s);
}

// ---- changes the actions share -------------------------------------------------------------------

export function removeProducersOf(m: MeetingModel, actor: string): void {
  m.producers = m.producers.filter((p) => p.actor !== actor);
}

/** A grant or invitation ends: its holder's node closes everything they publish (speakerEnded). */
export function endSpeaker(m: MeetingModel, session: string, actor: string): boolean {
  const list = m.speakers[session];
  if (!list?.[actor]) return false;
  delete list[actor];
  // MeetingEvents.#speakerEnded (meeting/meetingEvents.ts): only a participant who is in that session and does not host it.
  // The sending crew in main keeps sending by its role (a presenter who also had a grant).
  const byRole = session === MAIN && crewMay(m.production.crew[actor]) !== null;
  if (sessionOf(m, actor) === session && !hostsSession(m, actor, session) && m.actors[actor]!.role !== 'host' && !byRole) removeProducersOf(m, actor);
  return true;
}

export function lowerHand(m: MeetingModel, session: string, actor: string): boolean {
  const list = m.hands[session];
  if (!list?.includes(actor)) return false;
  m.hands[session] = list.filter((u) => u !== actor);
  return true;
}

/**
 * Breakouts changed from `before` to the model's current state: every connected participant whose
 * place changed moves (Meeting.move): a grant or invitation in the session left ends (and with it
 * what they publish); the host of the session left stops publishing.
 */
export function moveEveryone(m: MeetingModel, before: MeetingModel['breakouts']): void {
  const now = m.breakouts;
  const from: Record<string, string> = {};
  m.breakouts = before;
  for (const actor of Object.keys(m.actors)) if (m.connected[actor]) from[actor] = placeFor(m, actor);
  m.breakouts = now;
  relocate(m, from);
}

/** Every connected participant placed elsewhere than `from` says moves there (Meeting.move). */
export function relocate(m: MeetingModel, from: Record<string, string>): void {
  for (const [actor, was] of Object.entries(from)) if (m.connected[actor]) moveOne(m, actor, was);
}

/** One move: a grant or invitation in the session left ends (and what it sent); its host stops publishing. */
function moveOne(m: MeetingModel, actor: string, from: string): void {
  if (placeFor(m, actor) === from) return;
  const list = m.speakers[from];
  if (list?.[actor]) {
    delete list[actor];
    removeProducersOf(m, actor);
  }
  if (hostsSession(m, actor, from)) removeProducersOf(m, actor);
}

/** Everyone back in main: breakout hands cleared, breakout grants ended, breakout recordings stop. */
export function recall(m: MeetingModel): void {
  const before = m.breakouts;
  m.breakouts = null;
  moveEveryone(m, before);
  for (const session of Object.keys(m.hands)) if (session !== MAIN) m.hands[session] = [];
  for (const session of Object.keys(m.speakers)) {
    if (session === MAIN) continue;
    for (const actor of Object.keys(m.speakers[session]!)) endSpeaker(m, session, actor);
  }
  for (const session of Object.keys(m.recording)) if (session !== MAIN) delete m.recording[session];
}

/** An explicit leave: hands lowered and grants ended in every session, publications closed. */
export function leave(m: MeetingModel, actor: string): void {
  removeProducersOf(m, actor);
  for (const session of Object.keys(m.hands)) lowerHand(m, session, actor);
  for (const session of Object.keys(m.speakers)) delete m.speakers[session]![actor];
  m.connected[actor] = false;
  m.audioOnly[actor] = false;
  m.interpreterView[actor] = false;
}

/**
 * A connection dropped (the first half of a reconnect): what it published closes and it leaves
 * the roster; its hands and grants wait for it (the departure grace).
 */
export function drop(m: MeetingModel, actor: string): void {
  removeProducersOf(m, actor);
  m.connected[actor] = false;
  m.audioOnly[actor] = false;
  m.interpreterView[actor] = false;
}

/**
 * What a session host's recording reads: the session hosts' publications in that session; in a
 * produced broadcast (the stage's sources), the presenters' sources on air.
 */
export function recordable(m: MeetingModel, session: string): boolean {
  return m.producers.some((p) =>
    p.session === session && (p.stage !== null ? p.stage === 'presenter' && reachesAudience(m, p) : hostsSession(m, p.actor, session)),
  );
}

/** What the model expects of one action: its effect when it succeeds, or the error it is refused with. */
export type Prediction =
  | {
      ok: true;
      /** Applies the action to the model (the answer's data carries server-chosen values: ids, deadlines). */
      effect: (m: MeetingModel, data: unknown) => void;
      /** Checks the answer's data against the model after the effect: a problem, or null. */
      verify?: (m: MeetingModel, data: unknown) => string | null;
    }
  | { ok: false; code: ErrorCode };
