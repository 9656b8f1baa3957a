/**
 * fast-check commands over the meeting model: one action at a time, or two or three actions of
 * different actors at once (their answers must be those of some serial order, and the meeting
 * must then settle on that order's model). After every command: each answer came within the
 * liveness bound, and every participant and node agrees with the model (views.ts) within the
 * settle bound, and no serial queue stalled.
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
import { MAIN, canSend, emptyModel, hostsSession, recordable, sessionOf, speakerIn, type ActorSpec, type MeetingModel, type Source } from './model';
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

const ids = (pred: (a: ActorSpec) => boolean): string[] => CAST.filter(pred).map((a) => a.id);
const HOSTS = ids((a) => a.role === 'host');
const SESSION_HOSTS = ids((a) => a.role !== 'teacher');
const TEACHERS = ids((a) => a.role === 'teacher');
const NOT_HOSTS = ids((a) => a.role !== 'host');
const ALL = ids(() => true);

export interface RunSettings {
  /** How long the meeting may take to agree with the model after a command, ms. */
  settleMs: number;
}

// ---- when an action is generated (its precondition) ---------------------------------------------

const recordingBy = (m: MeetingModel, actor: string): boolean => Object.values(m.recording).includes(actor);

/**
 * Whether an action makes sense now. Most actions are generated only where they can succeed
 * (so runs go deep); the error paths come from actions whose outcome depends on the state.
 */
export function enabled(m: Readonly<MeetingModel>, a: Action): boolean {
  const connected = m.connected[a.actor];
  if (a.type === 'join') return !connected;
  if (!connected) return false;
  const session = sessionOf(m as MeetingModel, a.actor)!;
  switch (a.type) {
    case 'leave':
    case 'reconnect':
      // A recording stays with the connection of the host who started it (its node records).
      return !recordingBy(m as MeetingModel, a.actor);
    case 'respond':
      return speakerIn(m as MeetingModel, session, a.actor)?.state === 'invited';
    case 'mute':
      return speakerIn(m as MeetingModel, session, a.target)?.state === 'speaking';
    case 'revoke':
      return speakerIn(m as MeetingModel, session, a.target) !== undefined;
    case 'stopSpeaking':
      return speakerIn(m as MeetingModel, session, a.actor) !== undefined;
    case 'startBreakouts':
    case 'timedBreakouts':
      return m.breakouts === null;
    case 'extendBreakouts':
    case 'endBreakouts':
    case 'speakToAll':
      return m.breakouts !== null;
    case 'publish':
      // A teacher without a grant tries now and then (and is refused).
      return canSend(m as MeetingModel, a.actor) || a.source === 'screen';
    case 'unpublish':
      return m.producers.some((p) => p.actor === a.actor && p.source === a.source);
    case 'startRecording':
      return hostsSession(m as MeetingModel, a.actor, session) && !m.recording[session] && recordable(m as MeetingModel, session);
    case 'stopRecording':
      return m.recording[session] === a.actor;
    case 'pollVote':
    case 'pollClose':
      return m.polls.length > 0;
    case 'qaVote':
      return m.questions.length > 0;
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

/** Applies the answers to a copy of the model in the given order; null if that order cannot explain them. */
function replay(m: MeetingModel, steps: { action: Action; ctx: ActionContext; answer: Answer }[]): { model: MeetingModel; problem: string | null } {
  const model = structuredClone(m);
  for (const { action, ctx, answer } of steps) {
    const p = predict(model, action, ctx);
    const wrong = mismatch(p, answer);
    if (wrong) return { model, problem: `${describeAction(action)} ${wrong}` };
    if (p.ok && answer.ok) {
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
    for (const c of candidates) {
      const diffs = [...clientDiffs(world, c), ...(await serverDiffs(world, c))];
      if (diffs.length === 0) {
        const stalls = (await queueStalls(world)) - world.stallsAtStart;
        if (stalls > 0) throw new Error(`a serial queue stalled ${stalls} time(s) (during ${what})`);
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

/** One action, then the checks. */
export class ActionCommand implements fc.AsyncCommand<MeetingModel, World> {
  constructor(
    readonly action: Action,
    readonly settings: RunSettings,
  ) {}

  check(m: Readonly<MeetingModel>): boolean {
    return m.executed < m.maxExecuted && enabled(m, this.action);
  }

  async run(m: MeetingModel, world: World): Promise<void> {
    world.note(`# ${this.toString()}`);
    const ctx = contextFor(m, this.action);
    const answer = await world.perform(this.action, ctx);
    m.executed += 1;
    const { model, problem } = replay(m, [{ action: this.action, ctx, answer }]);
    if (problem) throw new Error(problem);
    replaceModel(m, await settle(world, [model], this.settings, describeAction(this.action)));
  }

  toString(): string {
    return describeAction(this.action);
  }
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}

/** Several actions of different actors at the same time. */
export class ParallelCommand implements fc.AsyncCommand<MeetingModel, World> {
  constructor(
    readonly actions: Action[],
    readonly settings: RunSettings,
  ) {}

  check(m: Readonly<MeetingModel>): boolean {
    const actors = this.actions.map((a) => a.actor);
    return m.executed < m.maxExecuted && new Set(actors).size === actors.length && this.actions.every((a) => enabled(m, a));
  }

  async run(m: MeetingModel, world: World): Promise<void> {
    world.note(`# ${this.toString()}`);
    m.executed += 1;
    const ctxs = this.actions.map((a) => contextFor(m, a));
    const answers = await Promise.all(this.actions.map((a, i) => world.perform(a, ctxs[i]!)));
    const steps = this.actions.map((action, i) => ({ action, ctx: ctxs[i]!, answer: answers[i]! }));
    const orders = permutations(steps).map((order) => replay(m, order));
    const explained = orders.filter((o) => o.problem === null).map((o) => o.model);
    if (explained.length === 0) {
      throw new Error(`no serial order explains the answers of ${this.toString()}:\n  ${orders.map((o) => o.problem).join('\n  ')}`);
    }
    const distinct = [...new Map(explained.map((x) => [JSON.stringify(x), x])).values()];
    replaceModel(m, await settle(world, distinct, this.settings, this.toString()));
  }

  toString(): string {
    return `parallel(${this.actions.map(describeAction).join(' ‖ ')})`;
  }
}

// ---- generating actions -------------------------------------------------------------------------

const SOURCES: Source[] = ['camera', 'mic', 'screen'];
const PROVINCE_SETS: (string[] | null)[] = [null, ['01'], ['01', '79'], ['48', '79'], ['48']];

const pick = (xs: string[]) => fc.constantFrom(...xs);

const arb: Record<string, fc.Arbitrary<Action>> = {
  join: pick(ALL).map((actor) => ({ type: 'join', actor })),
  leave: pick(ALL).map((actor) => ({ type: 'leave', actor })),
  reconnect: pick(ALL).map((actor) => ({ type: 'reconnect', actor })),
  raiseHand: pick(NOT_HOSTS).map((actor) => ({ type: 'raiseHand', actor })),
  lowerHand: pick(NOT_HOSTS).map((actor) => ({ type: 'lowerHand', actor })),
  lowerAllHands: pick(SESSION_HOSTS).map((actor) => ({ type: 'lowerAllHands', actor })),
  invite: fc.record({ type: fc.constant('invite' as const), actor: pick(SESSION_HOSTS), target: pick(NOT_HOSTS), allowVideo: fc.boolean() }),
  respond: fc.record({ type: fc.constant('respond' as const), actor: pick(NOT_HOSTS), accept: fc.boolean() }),
  mute: fc.record({ type: fc.constant('mute' as const), actor: pick(SESSION_HOSTS), target: pick(NOT_HOSTS), muted: fc.boolean() }),
  revoke: fc.record({ type: fc.constant('revoke' as const), actor: pick(SESSION_HOSTS), target: pick(NOT_HOSTS) }),
  stopSpeaking: pick(NOT_HOSTS).map((actor) => ({ type: 'stopSpeaking', actor })),
  startBreakouts: fc.record({
    type: fc.constant('startBreakouts' as const),
    actor: pick(HOSTS),
    provinces: fc.constantFrom(...PROVINCE_SETS),
    overlay: fc.boolean(),
    durationS: fc.constantFrom(null, 600, 3600),
  }),
  extendBreakouts: fc.record({ type: fc.constant('extendBreakouts' as const), actor: pick(HOSTS), seconds: fc.constantFrom(60, 300) }),
  endBreakouts: pick(HOSTS).map((actor) => ({ type: 'endBreakouts', actor })),
  speakToAll: fc.record({ type: fc.constant('speakToAll' as const), actor: pick(HOSTS), on: fc.boolean() }),
  timedBreakouts: pick(HOSTS).map((actor) => ({ type: 'timedBreakouts', actor })),
  publish: fc.record({ type: fc.constant('publish' as const), actor: pick(ALL), source: fc.constantFrom(...SOURCES) }),
  unpublish: fc.record({ type: fc.constant('unpublish' as const), actor: pick(ALL), source: fc.constantFrom(...SOURCES) }),
  audioOnly: fc.record({ type: fc.constant('audioOnly' as const), actor: pick(NOT_HOSTS), on: fc.boolean() }),
  startRecording: pick(SESSION_HOSTS).map((actor) => ({ type: 'startRecording', actor })),
  stopRecording: pick(SESSION_HOSTS).map((actor) => ({ type: 'stopRecording', actor })),
  pollCreate: pick(HOSTS).map((actor) => ({ type: 'pollCreate', actor })),
  pollVote: fc.record({ type: fc.constant('pollVote' as const), actor: pick(NOT_HOSTS), poll: fc.nat(3), choice: fc.nat(2) }),
  pollClose: fc.record({ type: fc.constant('pollClose' as const), actor: pick(HOSTS), poll: fc.nat(3) }),
  qaAsk: pick(NOT_HOSTS).map((actor) => ({ type: 'qaAsk', actor })),
  qaVote: fc.record({ type: fc.constant('qaVote' as const), actor: pick(NOT_HOSTS), question: fc.nat(5) }),
};

/** How often each action is drawn (recording spawns ffmpeg, timed breakouts wait a second: rarer). */
const WEIGHTS: Record<string, number> = {
  join: 3, leave: 1, reconnect: 2, raiseHand: 4, lowerHand: 1, lowerAllHands: 1,
  invite: 6, respond: 5, mute: 2, revoke: 2, stopSpeaking: 1,
  startBreakouts: 4, extendBreakouts: 1, endBreakouts: 3, speakToAll: 3, timedBreakouts: 1,
  publish: 6, unpublish: 2, audioOnly: 1,
  startRecording: 1, stopRecording: 1,
  pollCreate: 1, pollVote: 1, pollClose: 1, qaAsk: 1, qaVote: 1,
};

/** The actions drawn for concurrent groups: those whose interleavings matter. */
const CONCURRENT = [
  'join', 'leave', 'reconnect', 'raiseHand', 'lowerHand', 'lowerAllHands', 'invite', 'respond', 'mute', 'revoke',
  'stopSpeaking', 'startBreakouts', 'endBreakouts', 'speakToAll', 'extendBreakouts', 'publish', 'unpublish', 'pollVote', 'qaVote',
];

const weighted = (names: string[]) => fc.oneof(...names.map((n) => ({ arbitrary: arb[n]!, weight: WEIGHTS[n]! })));

/**
 * The commands of one run: single actions, and groups of two or three at once. Many more are
 * drawn than run (an action whose precondition does not hold is skipped), without fast-check's
 * bias towards short runs: the model stops a run at `steps` commands run.
 */
export function meetingCommands(settings: RunSettings, steps: number) {
  const single = weighted(Object.keys(arb)).map((a) => new ActionCommand(a, settings) as fc.AsyncCommand<MeetingModel, World>);
  const group = fc
    .array(weighted(CONCURRENT), { minLength: 2, maxLength: 3 })
    .map((actions) => new ParallelCommand(actions, settings) as fc.AsyncCommand<MeetingModel, World>);
  return fc.noBias(fc.commands([fc.oneof({ arbitrary: single, weight: 3 }, { arbitrary: group, weight: 1 })], { maxCommands: steps * 4, size: 'max' }));
}

/**
 * A run's start: everyone joins, the minister publishes camera and microphone. Done through the
 * same checked commands, so a failure here is a finding too.
 */
export async function openMeeting(world: World, settings: RunSettings, steps = Number.POSITIVE_INFINITY): Promise<MeetingModel> {
  const m = emptyModel(CAST, MAX_SPEAKERS);
  world.stallsAtStart = await queueStalls(world);
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

export { MAIN };
