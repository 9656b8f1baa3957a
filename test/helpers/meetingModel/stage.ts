/**
 * The produced broadcast in the meeting model: the crew (setCrew), the stage (updateStage:
 * backstage, a source on or off it, going live, back to the slate) and a participant's choice to
 * see the interpreter. What each answers and changes, written from the rules as the product states
 * them (meeting/production.ts and productionFlow.ts are what is checked, not used here): only
 * national hosts and crew producers change the stage and the crew, from main; only national hosts
 * name or remove producers; nobody but a host changes their own role; a source goes on the stage
 * only while published; the crew stays in main; someone whose role no longer lets them send what
 * they publish stops sending.
 */
import type { CrewRole, Production } from '../../../signaling/protocol/events';
import { MAIN, crewMay, placeFor, relocate, removeProducersOf, stageKeyOf, type MeetingModel, type Prediction } from './model';

/** Sources on the stage at once, at most (the product's limit). */
export const STAGE_LIMIT = 6;

export type StageAction =
  /** `role: null` removes them; `named`: the request names them (as for someone not in the meeting). */
  | { type: 'setCrew'; actor: string; target: string; role: CrewRole | null; named: boolean }
  | { type: 'backstage'; actor: string; on: boolean }
  /** `key`: a stage key (`user` or `user#screen`). */
  | { type: 'put'; actor: string; key: string; on: boolean }
  /** Live now (a countdown of 0 s). */
  | { type: 'goLive'; actor: string }
  /** Live after a one-second countdown, which the action waits out (never run at the same time as others). */
  | { type: 'goLiveCountdown'; actor: string }
  | { type: 'endLive'; actor: string }
  | { type: 'interpreterView'; actor: string; on: boolean };

export const STAGE_TYPES: StageAction['type'][] = ['setCrew', 'backstage', 'put', 'goLive', 'goLiveCountdown', 'endLive', 'interpreterView'];

const fail = (code: 'forbidden' | 'conflict' | 'not_found'): Prediction => ({ ok: false, code });

/** Produces: a national host, or a crew producer. */
export const producesStage = (m: MeetingModel, actor: string): boolean => m.actors[actor]!.role === 'host' || m.production.crew[actor] === 'producer';

/** The stage keys of the presenters' sources published in main now (in the order first published). */
export function presenterKeys(m: MeetingModel): string[] {
  return [...new Set(m.producers.filter((p) => p.stage === 'presenter' && p.session === MAIN).map(stageKeyOf))];
}

/** Checks a production the server answered against the model. */
function checkProduction(m: MeetingModel, data: unknown, countdown = false): string | null {
  const p = data as Production & { serverNow: number };
  const want = m.production;
  const live = p.liveAt !== null && (countdown || p.liveAt <= p.serverNow);
  const told = { backstage: p.backstage, live, stage: [...p.stage].sort(), crew: Object.fromEntries(Object.entries(p.crew).map(([u, c]) => [u, c.role]).sort()) };
  const model = { backstage: want.backstage, live: want.live, stage: [...want.stage].sort(), crew: Object.fromEntries(Object.entries(want.crew).sort()) };
  return JSON.stringify(told) === JSON.stringify(model) ? null : `production ${JSON.stringify(told)}, model ${JSON.stringify(model)}`;
}

/** A crew role given or taken: the stage loses a removed member's sources; they stop sending what the role no longer allows, and go where they now belong. */
function changeCrew(m: MeetingModel, target: string, role: CrewRole | null): void {
  const connected = m.connected[target]!;
  const was = connected ? placeFor(m, target) : null;
  if (role === null) {
    delete m.production.crew[target];
    m.production.stage = m.production.stage.filter((k) => k !== target && k !== `${target}#screen`);
  } else {
    m.production.crew[target] = role;
  }
  if (!connected || m.actors[target]!.role === 'host') return;
  const allowed = crewMay(role ?? undefined) ?? [];
  if (m.producers.some((p) => p.actor === target && p.stage !== null && !allowed.includes(p.source))) removeProducersOf(m, target);
  relocate(m, { [target]: was! });
}

/** What a stage action answers in state `m`, and how the model changes. */
export function predictStage(m: Readonly<MeetingModel>, a: StageAction, session: string): Prediction {
  const mm = m as MeetingModel;
  const actor = a.actor;
  const isHost = m.actors[actor]!.role === 'host';
  if (a.type === 'interpreterView') {
    return {
      ok: true,
      effect: (x) => void (x.interpreterView[actor] = a.on),
      verify: (_, d) => ((d as { interpreterView: boolean }).interpreterView === a.on ? null : 'interpreterView not as asked'),
    };
  }
  // Who the crew request names must be known: in the meeting now, or in the crew, or named by the request.
  if (a.type === 'setCrew' && !m.connected[a.target] && !m.production.crew[a.target] && !a.named) return fail('not_found');
  if (session !== MAIN && !isHost) return fail('forbidden');
  if (a.type === 'put' && a.on && !presenterKeys(mm).includes(a.key)) return fail('conflict');
  if (!producesStage(mm, actor)) return fail('forbidden');
  const prod = m.production;
  const verify = (x: MeetingModel, d: unknown): string | null => checkProduction(x, d, a.type === 'goLiveCountdown');
  switch (a.type) {
    case 'setCrew':
      if ((a.role === 'producer' || prod.crew[a.target] === 'producer') && !isHost) return fail('forbidden');
      if (a.target === actor && !isHost) return fail('forbidden');
      return { ok: true, effect: (x) => changeCrew(x, a.target, a.role), verify };
    case 'backstage':
      return {
        ok: true,
        effect: (x) => {
          if (a.on === x.production.backstage) return;
          const onAir = a.on ? presenterKeys(x) : [];
          x.production.backstage = a.on;
          x.production.stage = onAir.slice(0, STAGE_LIMIT);
          x.production.live = onAir.length > 0;
        },
        verify,
      };
    case 'put':
      if (!prod.backstage) return fail('conflict');
      if (a.on && !prod.stage.includes(a.key) && prod.stage.length >= STAGE_LIMIT) return fail('conflict');
      return {
        ok: true,
        effect: (x) => {
          const stage = x.production.stage.filter((k) => k !== a.key);
          x.production.stage = a.on && !x.production.stage.includes(a.key) ? [...stage, a.key] : a.on ? x.production.stage : stage;
        },
        verify,
      };
    case 'goLive':
    case 'goLiveCountdown':
      if (!prod.backstage || prod.live) return fail('conflict');
      return { ok: true, effect: (x) => void (x.production.live = true), verify };
    case 'endLive':
      if (!prod.live) return fail('conflict');
      return { ok: true, effect: (x) => void (x.production.live = false), verify };
  }
}
