/**
 * fast-check commands over the meeting model: one action at a time, or two or three actions of
 * different actors at once (their answers must be those of some serial order, and the meeting
 * must then settle on that order's model). After every command: each answer came within the
 * liveness bound, and every participant and node agrees with the model (views.ts) within the
 * settle bound, and no serial queue stalled. One file of ~470 lines on purpose: every command
 * ends in the same checks, and the concurrent combinations are built from the single ones.
 */
import fc from 'fast-check';
import {
  contextFor,
  describe as describeAction,
  predict,
  type Action,
  type ActionContext,
  type Answer,
  type Prediction,
} from './actions';
import type { CrewRole } from '../../../signaling/protocol/events';
import { MAIN, canSend, drop, emptyModel, hostsSession, recordable, sessionOf, type ActorSpec, type MeetingModel, type Source } from './model';
import { presenterKeys, producesStage } from './stage';
import { clientDiffs, queueStalls, serverDiffs } from './views';
import type { World } from './world';

/**
 * The cast: two national hosts (a minister and an official), the hosts of Hà Nội (01) and
 * TP Hồ Chí Minh (79), teachers of 01, 79, Đà Nẵng (48: no province host, so its breakout shows
 * the national session) and one without a province. `node` spreads them over two nodes.
 */
export const CAST: ActorSpec[] = [
  { id: 'host', role: 'host', province: null, node: 0 },
  { id: 'host2', role: 'host', province: null, node: 1 },
  { id: 'ph01', role: 'province_host', province: '01', node: 1 },
  { id: 'ph79', role: 'province_host', province: '79', node: 0 },
  { id: 't01a', role: 'teacher', province: '01', node: 0 },
  { id: 't01b', role: 'teacher', province: '01', node: 1 },
  { id: 't79', role: 'teacher', province: '79', node: 1 },
  { id: 't48', role: 'teacher', province: '48', node: 0 },
  { id: 't00', role: 'teacher', province: null, node: 1 },
];
export const MAX_SPEAKERS = 2;


export interface RunSettings {
  /** How long the meeting may take to agree with the model after a command, ms. */
  settleMs: number;
}

// ---- when an action is generated (its precondition) ---------------------------------------------

const recordingBy = (m: MeetingModel, actor: string): boolean => Object.values(m.recording).includes(actor);

/**
 * Whether an action can be run now at all. Any other action can: the model says what the server
 * must answer (an error code, when it makes no sense), and `resolve` draws mostly sensible ones.
 */
export function enabled(m: Readonly<MeetingModel>, a: Action): boolean {
  const connected = m.connected[a.actor];
  if (a.type === 'join') return !connected;
  if (!connected) return false;
  switch (a.type) {
    case 'leave':
    case 'drop':
    case 'reconnect':
      // A recording stays with the connection of the host who started it (its node records).
      return !recordingBy(m as MeetingModel, a.actor);
    case 'unpublish':
      // The client closes a producer it knows of.
      return m.producers.some((p) => p.actor === a.actor && p.source === a.source);
    case 'pollVote':
    case 'pollClose':
      return m.polls.length > 0;
    case 'qaVote':
      return m.questions.length > 0;
    case 'endMeeting':
    case 'resync':
      return m.actors[a.actor]!.role === 'host';
    default:
      return true;
  }
}

// ---- running and checking ------------------------------------------------------------------------

function mismatch(p: Prediction, answer: Answer): string | null {
  if (p.ok && !answer.ok) return `answered ${answer.code} (${answer.message}), model expects ok`;
  if (!p.ok && answer.ok) return `answered ok, model expects ${p.code}`;
  if (!p.ok && !answer.ok && p.code !== answer.code) return `answered ${answer.code} (${answer.message}), model expects ${p.code}`;
  return null;
}

/**
 * One step of a serial order: an action and its answer; a reconnect is two (its connection drops,
 * then it joins again), since others may act between them.
 */
interface Atom {
  action: Action;
  ctx: ActionContext;
  answer: Answer;
  phase?: 'drop' | 'join';
}

/** Applies the answers to a copy of the model in the given order; a problem if that order cannot explain them. */
function replay(m: MeetingModel, atoms: Atom[], concurrent = false): { model: MeetingModel; problem: string | null } {
  const model = structuredClone(m);
  for (const { action, ctx, answer, phase } of atoms) {
    if (phase === 'drop') {
      drop(model, action.actor);
      continue;
    }
    const p = predict(model, phase === 'join' ? { type: 'join', actor: action.actor } : action, ctx);
    // A publish is three requests: the right to send may go between them (a move, a grant's end,
    // done by another at the same time), closing the transport it just made: not_found, and
    // nothing published, is then what an order with the change first explains.
    // Or it was moved meanwhile (a speaker in main becoming a breakout's host, someone named to
    // the crew): the move closed that transport, though they may send where they are now.
    const moved = sessionOf(model, action.actor) !== sessionOf(m, action.actor);
    const cutShort = concurrent && action.type === 'publish' && (!canSend(model, action.actor) || moved) && !answer.ok && answer.code === 'not_found';
    const wrong = cutShort ? null : mismatch(p, answer);
    if (wrong) return { model, problem: `${describeAction(action)} ${wrong}` };
    if (p.ok && answer.ok && !cutShort) {
      p.effect(model, answer.data);
      const bad = p.verify?.(model, answer.data);
      if (bad) return { model, problem: `${describeAction(action)} answered ${bad}` };
    }
  }
  return { model, problem: null };
}

/** Waits (within the settle bound) until the meeting agrees with one of the candidate models; returns it. */
export async function settle(world: World, candidates: MeetingModel[], settings: RunSettings, what: string): Promise<MeetingModel> {
  const deadline = Date.now() + settings.settleMs;
  let last: string[] = [];
  for (;;) {
    if (world.liveness.length > 0) throw new Error(`${world.liveness[0]} (during ${what})`);
    // A wrong answer to a background request, or a second consumer of one producer, is final.
    const problems = [...world.actors.values()].flatMap((a) => a.obs.problems.map((p) => `${a.spec.id}: ${p}`));
    if (problems.length > 0) throw new Error(`during ${what}:\n  ${problems.join('\n  ')}`);
    for (const c of candidates) {
      const diffs = [...clientDiffs(world, c), ...(await serverDiffs(world, c))];
      if (diffs.length === 0) {
        const stalls = queueStalls(world) - world.stallsAtStart;
        if (stalls > 0) throw new Error(`a serial queue stalled, or waited on itself, ${stalls} time(s) (during ${what})`);
        return c;
      }
      if (c === candidates[0]) last = diffs;
    }
    if (Date.now() > deadline) {
      throw new Error(`${settings.settleMs} ms after ${what}, the meeting still differs from the model:\n  ${last.join('\n  ')}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

function replaceModel(m: MeetingModel, next: MeetingModel): void {
  Object.assign(m, next);
}

/**
 * An action as drawn by fast-check: its kind and parameters, and indexes that pick its actor
 * (and target) among those for whom it makes sense in the state it runs in (the invited, the
 * speakers, the connected...). Runs go deep this way, where drawing actors blindly would mostly
 * draw actions that cannot run.
 */
export interface Draw {
  type: Action['type'];
  /** Picks the actor (or the target whose host acts), modulo the candidates. */
  i: number;
  /** Picks a second participant, a poll or a question. */
  j: number;
  flag: boolean;
  /** Now and then, an actor for whom the action is refused (the error paths). */
  wrong: boolean;
  source: Source;
  provinces: string[] | null;
  durationS: number | null;
  seconds: number;
  /** The crew role a setCrew gives (null: takes it). */
  crew: CrewRole | null;
}

const nth = <T>(xs: T[], i: number): T | null => (xs.length === 0 ? null : xs[i % xs.length]!);

/** The concrete action a draw stands for in state `m`, or null when none makes sense now. */
export function resolve(m: Readonly<MeetingModel>, d: Draw): Action | null {
  const mm = m as MeetingModel;
  const connected = CAST.map((a) => a.id).filter((id) => mm.connected[id]);
  const where = (id: string): string => sessionOf(mm, id)!;
  const hostOf = (session: string, k: number): string | null => nth(connected.filter((id) => hostsSession(mm, id, session)), k);
  const nationals = connected.filter((id) => mm.actors[id]!.role === 'host');
  const teachers = connected.filter((id) => mm.actors[id]!.role === 'teacher');
  const nonHosts = connected.filter((id) => mm.actors[id]!.role !== 'host');
  const sessionHosts = connected.filter((id) => hostsSession(mm, id, where(id)));
  const entries = Object.entries(mm.speakers).flatMap(([s, list]) =>
    Object.entries(list).filter(([u]) => mm.connected[u] && where(u) === s).map(([u, e]) => ({ session: s, user: u, entry: e })),
  );
  const anyone = (k: number): string | null => nth(connected, k);
  // Who runs the stage: national hosts and crew producers, in main.
  const producers = connected.filter((id) => producesStage(mm, id) && where(id) === MAIN);
  let action: Action | null = null;
  switch (d.type) {
    case 'join': {
      const actor = nth(CAST.map((a) => a.id).filter((id) => !mm.connected[id]), d.i);
      action = actor ? { type: 'join', actor } : null;
      break;
    }
    case 'leave':
    case 'drop':
    case 'reconnect': {
      const actor = nth(connected.filter((id) => !recordingBy(mm, id)), d.i);
      if (actor) action = d.type === 'reconnect' ? { type: d.type, actor, elsewhere: d.flag } : { type: d.type, actor };
      break;
    }
    case 'raiseHand':
    case 'lowerHand':
    case 'audioOnly': {
      const actor = d.wrong ? anyone(d.i) : nth(nonHosts, d.i);
      action = actor ? (d.type === 'audioOnly' ? { type: d.type, actor, on: d.flag } : { type: d.type, actor }) : null;
      break;
    }
    case 'lowerAllHands': {
      const actor = d.wrong ? anyone(d.i) : nth(sessionHosts, d.i);
      action = actor ? { type: d.type, actor } : null;
      break;
    }
    case 'invite': {
      // A participant, invited by a host of their session (or, now and then, by someone who cannot).
      const target = nth(d.wrong ? connected : nonHosts, d.i);
      const actor = target && (d.wrong ? nth(sessionHosts, d.j) : hostOf(where(target), d.j));
      action = target && actor ? { type: 'invite', actor, target, allowVideo: d.flag } : null;
      break;
    }
    case 'respond': {
      const e = nth(entries.filter((x) => x.entry.state === 'invited'), d.i);
      action = e ? { type: 'respond', actor: e.user, accept: d.flag || d.j % 3 !== 0 } : null;
      break;
    }
    case 'mute':
    case 'revoke': {
      // Any speaker a host sees in their list: also one whose grant waits for them while away, or
      // who came back into another session (a grant in main survives a drop across the breakouts' start).
      const listed = Object.entries(mm.speakers).flatMap(([session, list]) => Object.entries(list).map(([user, entry]) => ({ session, user, entry })));
      const e = nth((d.wrong ? listed : entries).filter((x) => d.type === 'revoke' || x.entry.state === 'speaking'), d.i);
      const actor = e && hostOf(e.session, d.j);
      if (e && actor) action = d.type === 'mute' ? { type: 'mute', actor, target: e.user, muted: d.flag } : { type: 'revoke', actor, target: e.user };
      break;
    }
    case 'stopSpeaking': {
      const e = nth(entries, d.i);
      action = e ? { type: 'stopSpeaking', actor: e.user } : null;
      break;
    }
    case 'startBreakouts':
    case 'timedBreakouts':
    case 'extendBreakouts':
    case 'endBreakouts':
    case 'speakToAll': {
      const running = d.type !== 'startBreakouts' && d.type !== 'timedBreakouts';
      if ((mm.breakouts !== null) !== running && !d.wrong) break;
      const actor = d.wrong ? anyone(d.i) : nth(nationals, d.i);
      if (!actor) break;
      if (d.type === 'startBreakouts') action = { type: d.type, actor, provinces: d.provinces, overlay: d.flag, durationS: d.durationS };
      else if (d.type === 'extendBreakouts') action = { type: d.type, actor, seconds: d.seconds };
      else if (d.type === 'speakToAll') action = { type: d.type, actor, on: d.flag || !mm.breakouts?.speakToAll };
      else action = { type: d.type, actor };
      break;
    }
    case 'publish': {
      const actor = d.wrong ? anyone(d.i) : nth(connected.filter((id) => canSend(mm, id)), d.i);
      action = actor ? { type: 'publish', actor, source: d.source } : null;
      break;
    }
    case 'unpublish': {
      const p = nth(mm.producers, d.i);
      action = p ? { type: 'unpublish', actor: p.actor, source: p.source } : null;
      break;
    }
    case 'startRecording': {
      const actor = nth(sessionHosts.filter((id) => !mm.recording[where(id)] && recordable(mm, where(id))), d.i);
      action = actor ? { type: d.type, actor } : null;
      break;
    }
    case 'stopRecording': {
      const actor = nth(connected.filter((id) => mm.recording[where(id)] === id), d.i);
      action = actor ? { type: d.type, actor } : null;
      break;
    }
    case 'pollCreate':
    case 'pollClose': {
      const actor = d.wrong ? anyone(d.i) : nth(nationals, d.i);
      if (actor && (d.type === 'pollCreate' || mm.polls.length > 0)) action = d.type === 'pollCreate' ? { type: d.type, actor } : { type: d.type, actor, poll: d.j };
      break;
    }
    case 'pollVote': {
      const actor = d.wrong ? anyone(d.i) : nth(teachers, d.i);
      if (actor && mm.polls.length > 0) action = { type: 'pollVote', actor, poll: d.j, choice: d.flag ? 0 : d.j % 3 };
      break;
    }
    case 'qaAsk': {
      const actor = d.wrong ? anyone(d.i) : nth(teachers, d.i);
      action = actor ? { type: 'qaAsk', actor } : null;
      break;
    }
    case 'qaVote': {
      const actor = d.wrong ? anyone(d.i) : nth(teachers, d.i);
      if (actor && mm.questions.length > 0) action = { type: 'qaVote', actor, question: d.j };
      break;
    }
    case 'endMeeting': {
      const actor = nth(nationals, d.i);
      action = actor ? { type: 'endMeeting', actor } : null;
      break;
    }
    case 'resync': {
      const actor = nth(nationals, d.i);
      action = actor ? { type: 'resync', actor } : null;
      break;
    }
    case 'setCrew': {
      // Mostly someone present given a role by a producer, or a crew member losing theirs; now and
      // then anyone (a host, someone absent, oneself) by anyone.
      const crew = Object.keys(mm.production.crew);
      const target = d.wrong ? nth(CAST.map((a) => a.id), d.i) : d.crew === null && crew.length > 0 ? nth(crew, d.i) : nth(nonHosts, d.i);
      const actor = d.wrong ? anyone(d.j) : nth(producers, d.j);
      if (target && actor) action = { type: 'setCrew', actor, target, role: d.crew, named: d.wrong && d.flag };
      break;
    }
    case 'backstage':
    case 'goLive':
    case 'goLiveCountdown':
    case 'endLive': {
      const actor = d.wrong ? anyone(d.i) : nth(producers, d.i);
      if (!actor) break;
      // Mostly a change (a repeat now and then); going live without backstage mostly turns it on
      // first (the stage goes live more often; the refusal is drawn too).
      if (d.type === 'backstage') action = { type: d.type, actor, on: d.j % 4 === 0 ? mm.production.backstage : !mm.production.backstage };
      else if (d.type !== 'endLive' && !mm.production.backstage && !d.wrong && d.j % 3 !== 0) action = { type: 'backstage', actor, on: true };
      else action = { type: d.type, actor };
      break;
    }
    case 'put': {
      const actor = d.wrong ? anyone(d.i) : nth(producers, d.i);
      // On: a presenter's source published now (now and then one that is not); off: one on the stage.
      const published = presenterKeys(mm);
      const unpublished = CAST.flatMap((a) => [a.id, `${a.id}#screen`]).filter((k) => !published.includes(k));
      const key = d.flag ? nth(d.wrong ? unpublished : published, d.j) : nth(d.wrong || mm.production.stage.length === 0 ? published : mm.production.stage, d.j);
      if (actor && key) action = { type: 'put', actor, key, on: d.flag };
      break;
    }
    case 'interpreterView': {
      const actor = anyone(d.i);
      action = actor ? { type: 'interpreterView', actor, on: d.flag } : null;
      break;
    }
  }
  return action && enabled(m, action) ? action : null;
}

/** A step of a run: a drawn action (resolved in the state it runs in), or a fixed one (regression tests). */
export type Step = Draw | Action;
const isDraw = (s: Step): s is Draw => 'i' in s;
const concrete = (m: Readonly<MeetingModel>, s: Step): Action | null => (isDraw(s) ? resolve(m, s) : enabled(m, s) ? s : null);

/** One action, then the checks. */
export class ActionCommand implements fc.AsyncCommand<MeetingModel, World> {
  /** The action as run (for the report of a counterexample). */
  #ran: Action | null = null;

  constructor(
    readonly step: Step,
    readonly settings: RunSettings,
  ) {}

  check(m: Readonly<MeetingModel>): boolean {
    return m.executed < m.maxExecuted && concrete(m, this.step) !== null;
  }

  async run(m: MeetingModel, world: World): Promise<void> {
    const action = concrete(m, this.step)!;
    this.#ran = action;
    world.note(`# ${describeAction(action)}`);
    const ctx = contextFor(m, action);
    const answer = await world.perform(action, ctx);
    m.executed += 1;
    const { model, problem } = replay(m, [{ action, ctx, answer }]);
    if (problem) throw new Error(problem);
    replaceModel(m, await settle(world, [model], this.settings, describeAction(action)));
  }

  toString(): string {
    return this.#ran ? describeAction(this.#ran) : isDraw(this.step) ? `${this.step.type}#${this.step.i}` : describeAction(this.step);
  }
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}

/** Several actions of different actors at the same time. */
export class ParallelCommand implements fc.AsyncCommand<MeetingModel, World> {
  #ran: Action[] | null = null;

  constructor(
    readonly steps: Step[],
    readonly settings: RunSettings,
  ) {}

  #actions(m: Readonly<MeetingModel>): Action[] | null {
    const actions = this.steps.map((s) => concrete(m, s));
    if (actions.some((a) => a === null)) return null;
    const actors = actions.map((a) => a!.actor);
    return new Set(actors).size === actors.length ? (actions as Action[]) : null;
  }

  check(m: Readonly<MeetingModel>): boolean {
    return m.executed < m.maxExecuted && this.#actions(m) !== null;
  }

  async run(m: MeetingModel, world: World): Promise<void> {
    const actions = this.#actions(m)!;
    this.#ran = actions;
    world.note(`# ${this.toString()}`);
    m.executed += 1;
    const ctxs = actions.map((a) => contextFor(m, a));
    const answers = await Promise.all(actions.map((a, i) => world.perform(a, ctxs[i]!)));
    const atoms = actions.flatMap((action, i): Atom[] => {
      const atom = { action, ctx: ctxs[i]!, answer: answers[i]! };
      return action.type === 'reconnect' ? [{ ...atom, phase: 'drop' }, { ...atom, phase: 'join' }] : [atom];
    });
    // Every order of the atoms in which each reconnect drops before it joins again.
    const serial = permutations(atoms).filter((order) =>
      order.every((a, k) => a.phase !== 'join' || order.slice(0, k).some((b) => b.action === a.action && b.phase === 'drop')),
    );
    const orders = serial.map((order) => replay(m, order, true));
    const explained = orders.filter((o) => o.problem === null).map((o) => o.model);
    if (explained.length === 0) {
      throw new Error(`no serial order explains the answers of ${this.toString()}:\n  ${[...new Set(orders.map((o) => o.problem))].join('\n  ')}`);
    }
    const distinct = [...new Map(explained.map((x) => [JSON.stringify(x), x])).values()];
    replaceModel(m, await settle(world, distinct, this.settings, this.toString()));
  }

  toString(): string {
    const parts = this.#ran ? this.#ran.map(describeAction) : this.steps.map((s) => (isDraw(s) ? `${s.type}#${s.i}` : describeAction(s)));
    return `parallel(${parts.join(' ‖ ')})`;
  }
}

// ---- generating actions -------------------------------------------------------------------------

const SOURCES: Source[] = ['camera', 'mic', 'screen'];
const PROVINCE_SETS: (string[] | null)[] = [null, ['01'], ['01', '79'], ['48', '79'], ['48']];

/** How often each action is drawn (recording spawns ffmpeg, timed breakouts wait a second: rarer). */
const WEIGHTS: Record<Action['type'], number> = {
  join: 3, leave: 1, reconnect: 3, drop: 1, raiseHand: 4, lowerHand: 1, lowerAllHands: 1,
  invite: 6, respond: 6, mute: 2, revoke: 2, stopSpeaking: 1,
  startBreakouts: 4, extendBreakouts: 1, endBreakouts: 3, speakToAll: 3, timedBreakouts: 1,
  publish: 6, unpublish: 2, audioOnly: 1,
  startRecording: 1, stopRecording: 1,
  pollCreate: 1, pollVote: 1, pollClose: 1, qaAsk: 1, qaVote: 1,
  // Ends the run's meeting (only failed joins follow): drawn rarely, so that most runs go deep.
  endMeeting: 0.2,
  // The produced broadcast (a countdown waits a second: rarer).
  setCrew: 4, backstage: 2, put: 4, goLive: 2, goLiveCountdown: 0.4, endLive: 1, interpreterView: 2,
  // A node reloads the meeting from the store: nothing may change.
  resync: 1,
};

/** The actions drawn for concurrent groups: those whose interleavings matter. */
const CONCURRENT: Action['type'][] = [
  'join', 'leave', 'reconnect', 'drop', 'raiseHand', 'lowerHand', 'lowerAllHands', 'invite', 'respond', 'mute', 'revoke',
  'stopSpeaking', 'startBreakouts', 'endBreakouts', 'speakToAll', 'extendBreakouts', 'publish', 'unpublish', 'pollVote', 'qaVote',
  'setCrew', 'backstage', 'put', 'goLive', 'endLive', 'interpreterView',
];

function draws(types: Action['type'][]): fc.Arbitrary<Draw> {
  return fc.record({
    type: fc.oneof(...types.map((t) => ({ arbitrary: fc.constant(t), weight: Math.round(WEIGHTS[t] * 5) }))),
    i: fc.nat(20),
    j: fc.nat(20),
    flag: fc.boolean(),
    wrong: fc.nat(9).map((n) => n === 0),
    source: fc.constantFrom(...SOURCES),
    provinces: fc.constantFrom(...PROVINCE_SETS),
    durationS: fc.constantFrom(null, 600, 3600),
    seconds: fc.constantFrom(60, 300),
    crew: fc.constantFrom<CrewRole | null>('producer', 'presenter', 'presenter', 'interpreter', 'captioner', null, null),
  });
}

/**
 * The commands of one run: single actions, and groups of two or three at once. More are drawn
 * than run (a draw that makes no sense in the state it meets is skipped), without fast-check's
 * bias towards short runs: the model stops a run at `steps` commands run.
 */
export function meetingCommands(settings: RunSettings, steps: number) {
  const single = draws(Object.keys(WEIGHTS) as Action['type'][]).map((d) => new ActionCommand(d, settings) as fc.AsyncCommand<MeetingModel, World>);
  const group = fc
    .array(draws(CONCURRENT), { minLength: 2, maxLength: 3 })
    .map((ds) => new ParallelCommand(ds, settings) as fc.AsyncCommand<MeetingModel, World>);
  return fc.noBias(fc.commands([fc.oneof({ arbitrary: single, weight: 3 }, { arbitrary: group, weight: 1 })], { maxCommands: steps * 6, size: 'max' }));
}

/**
 * A run's start: everyone joins, the minister publishes camera and microphone. Done through the
 * same checked commands, so a failure here is a finding too.
 */
export async function openMeeting(world: World, settings: RunSettings, steps = Number.POSITIVE_INFINITY): Promise<MeetingModel> {
  const m = emptyModel(CAST, MAX_SPEAKERS);
  world.stallsAtStart = queueStalls(world);
  const start: Action[] = [
    ...CAST.map((a) => ({ type: 'join' as const, actor: a.id })),
    { type: 'publish', actor: 'host', source: 'camera' },
    { type: 'publish', actor: 'host', source: 'mic' },
  ];
  for (const a of start) await new ActionCommand(a, settings).run(m, world);
  m.executed = 0;
  m.maxExecuted = steps;
  return m;
}

/** Runs a fixed sequence (a regression test's), with the same checks as the generated runs. */
export async function runSequence(world: World, settings: RunSettings, m: MeetingModel, steps: (Action | Action[])[]): Promise<void> {
  for (const step of steps) {
    const cmd = Array.isArray(step) ? new ParallelCommand(step, settings) : new ActionCommand(step, settings);
    if (!cmd.check(m)) throw new Error(`${cmd.toString()} is not enabled in this state`);
    await cmd.run(m, world);
  }
}

