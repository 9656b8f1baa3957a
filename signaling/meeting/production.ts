/**
 * A produced broadcast, as rules: who may do what in it, what is on air, and how one producer's
 * action changes the production. Pure functions over the store's `Production` record (no I/O):
 * productionFlow.ts applies them with a compare-and-set, every node's Meeting reads them.
 *
 * Roles. A meeting's crew comes on top of the token's role:
 *   - producer: changes the stage (what and who is on it, the layout, going live) and the crew
 *     (all roles but producer); presents too;
 *   - presenter: publishes camera, microphone and screen into the backstage;
 *   - interpreter: publishes a camera (the sign-language picture) that teachers may turn on;
 *   - captioner: writes captions (the captions channel); receives as a teacher does.
 * National hosts are presenters and producers by their token, and the only ones who name producers.
 *
 * On air. With backstage off, everything a presenter publishes is on air at once (a meeting that
 * is not produced, the default). With backstage on, a presenter's source reaches the audience only
 * while the stage is live and the source is on the stage; the interpreter is on air whenever the
 * stage is live. Presenters (the backstage) see and hear every source, on air or not.
 */
import type { Role } from '../protocol/events';
import { MAX_CREW, MAX_STAGE_SOURCES, type CrewMember, type CrewRole, type Production, type StageChange, type StageView } from '../protocol/production';
import type { PublishedProducer } from '../store/types';

export type { StageChange, StageView };


/** Who is asking: the token's role and the meeting's crew role (if any). */
export interface Actor {
  userId: string;
  role: Role;
  crew: CrewRole | null;
}

/** The stage key of a source: a presenter's camera and microphone together, or their screen. */
export function stageKey(p: Pick<PublishedProducer, 'peerId' | 'source'>): string {
  return p.source === 'screen' ? `${p.peerId}#screen` : p.peerId;
}

/** Whether the stage is live at `now` (a countdown that has not run out is not). */
export function isLive(p: Pick<Production, 'liveAt'>, now: number): boolean {
  return p.liveAt !== null && now >= p.liveAt;
}

/** Whether a published source reaches the audience now. */
export function onAir(producer: Pick<PublishedProducer, 'peerId' | 'source' | 'stage'>, p: Production, now: number): boolean {
  if (!producer.stage || !p.backstage) return true;
  if (!isLive(p, now)) return false;
  if (producer.stage === 'interpreter') return true;
  return p.stage.includes(stageKey(producer));
}

/** Produces: national hosts and crew producers. */
export function canProduce(a: Pick<Actor, 'role' | 'crew'>): boolean {
  return a.role === 'host' || a.crew === 'producer';
}

/** In the backstage (sees and hears every source): national hosts, producers, presenters, interpreters. */
export function inBackstage(a: Pick<Actor, 'role' | 'crew'>): boolean {
  return a.role === 'host' || a.crew === 'producer' || a.crew === 'presenter' || a.crew === 'interpreter';
}

/** What a crew role lets its holder publish in the main session (null: nothing). */
export function crewSources(crew: CrewRole | null): readonly ('camera' | 'mic' | 'screen')[] | null {
  switch (crew) {
    case 'producer':
    case 'presenter':
      return ['camera', 'mic', 'screen'];
    case 'interpreter':
      return ['camera'];
    default:
      return null;
  }
}

/** Why a change was refused (productionFlow turns these into typed errors). */
export class ProductionRefusal extends Error {
  constructor(
    readonly code: 'forbidden' | 'bad_request' | 'conflict',
    message: string,
  ) {
    super(message);
  }
}



/**
 * The production after `change` by `actor` at `now`; throws ProductionRefusal. Never mutates `p`.
 * `onAirNow`: the stage keys of the presenters' sources published now (turning backstage on keeps them on air).
 */
export function applyChange(p: Production, change: StageChange, actor: Actor, now: number, onAirNow: readonly string[] = []): Omit<Production, 'version'> {
  if (!canProduce(actor)) throw new ProductionRefusal('forbidden', 'only hosts and producers change the stage');
  const next: Omit<Production, 'version'> = { backstage: p.backstage, liveAt: p.liveAt, stage: [...p.stage], layout: p.layout, crew: { ...p.crew } };
  switch (change.type) {
    case 'backstage':
      if (change.on === p.backstage) return next;
      next.backstage = change.on;
      // On: what is on air now stays on air (it becomes the stage, live); with nothing on air the
      // audience sees the "starting soon" slate until the producer goes live. Off: everything is on air.
      next.stage = change.on ? onAirNow.slice(0, MAX_STAGE_SOURCES) : [];
      next.liveAt = change.on && onAirNow.length > 0 ? now : null;
      return next;
    case 'put': {
      if (!p.backstage) throw new ProductionRefusal('conflict', 'turn backstage on first');
      const at = next.stage.indexOf(change.key);
      if (change.on && at < 0) {
        if (next.stage.length >= MAX_STAGE_SOURCES) throw new ProductionRefusal('conflict', `at most ${MAX_STAGE_SOURCES} sources on the stage`);
        next.stage.push(change.key);
      } else if (!change.on && at >= 0) {
        next.stage.splice(at, 1);
      }
      return next;
    }
    case 'move': {
      const at = next.stage.indexOf(change.key);
      if (at < 0) throw new ProductionRefusal('conflict', 'that source is not on the stage');
      next.stage.splice(at, 1);
      next.stage.splice(Math.max(0, Math.min(change.to, next.stage.length)), 0, change.key);
      return next;
    }
    case 'layout':
      next.layout = change.layout;
      return next;
    case 'goLive':
      if (!p.backstage) throw new ProductionRefusal('conflict', 'turn backstage on first');
      if (isLive(p, now)) throw new ProductionRefusal('conflict', 'already live');
      next.liveAt = now + Math.round(change.inS * 1000);
      return next;
    case 'endLive':
      if (p.liveAt === null) throw new ProductionRefusal('conflict', 'not live');
      next.liveAt = null;
      return next;
    case 'crew': {
      if (change.role === 'producer' || p.crew[change.userId]?.role === 'producer') {
        if (actor.role !== 'host') throw new ProductionRefusal('forbidden', 'only hosts name or remove producers');
      }
      if (change.userId === actor.userId && actor.role !== 'host') throw new ProductionRefusal('forbidden', 'you cannot change your own role');
      if (change.role === null) {
        delete next.crew[change.userId];
        // Their sources leave the stage with them.
        next.stage = next.stage.filter((k) => k !== change.userId && k !== `${change.userId}#screen`);
      } else {
        if (!next.crew[change.userId] && Object.keys(next.crew).length >= MAX_CREW) throw new ProductionRefusal('conflict', `at most ${MAX_CREW} crew members`);
        const member: CrewMember = { role: change.role, name: change.name };
        next.crew[change.userId] = member;
      }
      return next;
    }
  }
}



export function stageView(p: Production, now: number): StageView {
  return { backstage: p.backstage, live: !p.backstage || isLive(p, now), liveAt: p.liveAt, stage: p.stage, layout: p.layout, serverNow: now };
}
