/**
 * The actions of a meeting, as data (so that a counterexample prints as the exact sequence), and
 * what each should answer and change in the model, from any state: an action's outcome is `ok`
 * (with a change to the model, and checks of the answer's data) or the typed error code the
 * server must answer, in which case nothing changes (the protocol's promise for every error).
 */
import type { ErrorCode } from '../../../signaling/protocol/errors';
import type { BreakoutsState, JoinResult } from '../../../signaling/protocol/events';
import {
  MAIN,
  canSend,
  crewMay,
  drop,
  endSpeaker,
  hostsSession,
  leave,
  lowerHand,
  moveEveryone,
  placeFor,
  recall,
  recordable,
  removeProducersOf,
  sessionOf,
  speakerIn,
  type MeetingModel,
  type Source,
} from './model';
import { predictStage, type StageAction } from './stage';
import type { Prediction } from './model';

export type Action =
  | { type: 'join'; actor: string }
  | { type: 'leave'; actor: string }
  /**
   * The connection drops and the same user joins again at once (a reload, a network change);
   * `elsewhere`: through the other signaling node (the balancer sent it there).
   */
  | { type: 'reconnect'; actor: string; elsewhere?: boolean }
  /** The connection drops and stays away (within the departure grace: hand and grant wait). */
  | { type: 'drop'; actor: string }
  | { type: 'raiseHand'; actor: string }
  | { type: 'lowerHand'; actor: string }
  /** A session host lowers every hand of their session. */
  | { type: 'lowerAllHands'; actor: string }
  | { type: 'invite'; actor: string; target: string; allowVideo: boolean }
  | { type: 'respond'; actor: string; accept: boolean }
  | { type: 'mute'; actor: string; target: string; muted: boolean }
  | { type: 'revoke'; actor: string; target: string }
  | { type: 'stopSpeaking'; actor: string }
  | { type: 'startBreakouts'; actor: string; provinces: string[] | null; overlay: boolean; durationS: number | null }
  | { type: 'extendBreakouts'; actor: string; seconds: number }
  | { type: 'endBreakouts'; actor: string }
  | { type: 'speakToAll'; actor: string; on: boolean }
  /** Breakouts of one second, left to end by themselves (the timer's recall). */
  | { type: 'timedBreakouts'; actor: string }
  | { type: 'publish'; actor: string; source: Source }
  | { type: 'unpublish'; actor: string; source: Source }
  | { type: 'audioOnly'; actor: string; on: boolean }
  | { type: 'startRecording'; actor: string }
  | { type: 'stopRecording'; actor: string }
  | { type: 'pollCreate'; actor: string }
  /** `poll`: which of the meeting's polls (index, modulo their number). */
  | { type: 'pollVote'; actor: string; poll: number; choice: number }
  | { type: 'pollClose'; actor: string; poll: number }
  | { type: 'qaAsk'; actor: string }
  | { type: 'qaVote'; actor: string; question: number }
  /**
   * A national host ends the meeting (POST /api/meetings/:id/end, whose database write these
   * shapes have no database for: the node's MeetingEnder, which the route calls, ends it live).
   */
  | { type: 'endMeeting'; actor: string }
  /**
   * The node a national host is connected through loads the meeting again from the store (as after
   * a stall or a lost connection to the store): nothing changes.
   */
  | { type: 'resync'; actor: string }
  /** The produced broadcast (stage.ts). */
  | StageAction;

export type ActionType = Action['type'];

/** What an action answers: ok with its data, or an error code (the first error of a multi-step action). */
export type Answer = { ok: true; data: unknown } | { ok: false; code: ErrorCode; message: string };

export type { Prediction };

const fail = (code: ErrorCode): Prediction => ({ ok: false, code });

export function describe(a: Action): string {
  const { type, actor, ...rest } = a as Action & Record<string, unknown>;
  const args = Object.entries(rest).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${actor}.${type}(${args.join(', ')})`;
}

/** What the client knew when it acted (chosen from the model before the action ran). */
export interface ActionContext {
  /** The poll or question it picked. */
  pollId?: string | null;
  questionId?: string | null;
  /** It publishes on the send transport it already has (it published something and kept it). */
  reuseTransport?: boolean;
}

/** The client's knowledge before acting: what `predict` and `World.perform` are given. */
export function contextFor(m: Readonly<MeetingModel>, a: Action): ActionContext {
  return {
    pollId: 'poll' in a ? pollOf(m as MeetingModel, a.poll) : null,
    questionId: 'question' in a ? questionOf(m as MeetingModel, a.question) : null,
    reuseTransport: m.producers.some((p) => p.actor === a.actor),
  };
}

/** The poll or question an action targets, from the model before it runs. */
export function pollOf(m: MeetingModel, index: number): string | null {
  return m.polls.length === 0 ? null : m.polls[index % m.polls.length]!.id;
}
export function questionOf(m: MeetingModel, index: number): string | null {
  return m.questions.length === 0 ? null : m.questions[index % m.questions.length]!.id;
}

function checkJoin(m: MeetingModel, actor: string, data: unknown): string | null {
  const j = data as JoinResult;
  const session = sessionOf(m, actor)!;
  if (j.session.key !== session) return `joined in session ${j.session.key}, expected ${session}`;
  if (j.session.isSessionHost !== hostsSession(m, actor, session)) return `isSessionHost ${j.session.isSessionHost}`;
  if (j.self.canSend !== canSend(m, actor)) return `self.canSend ${j.self.canSend}, expected ${canSend(m, actor)}`;
  if (j.breakouts.active !== (m.breakouts !== null)) return `join says breakouts active=${j.breakouts.active}`;
  return null;
}

function checkBreakouts(m: MeetingModel, data: unknown): string | null {
  const b = data as BreakoutsState;
  const want = m.breakouts;
  if (b.active !== (want !== null)) return `breakouts active=${b.active}`;
  if (!want) return null;
  if (JSON.stringify(b.provinces) !== JSON.stringify(want.provinces)) return `provinces ${JSON.stringify(b.provinces)}`;
  if (b.speakToAll !== want.speakToAll) return `speakToAll ${b.speakToAll}`;
  if (b.nationalOverlay !== want.overlay) return `nationalOverlay ${b.nationalOverlay}`;
  return null;
}

/**
 * What the server must answer to `a` in state `m`, and how the model changes. The checks come
 * in the order the server makes them (the first failing one names the error).
 */
export function predict(m: Readonly<MeetingModel>, a: Action, ids: ActionContext = {}): Prediction {
  const actor = a.actor;
  const spec = m.actors[actor]!;
  if (a.type === 'join') {
    if (m.connected[actor]) throw new Error(`${actor} is already connected: join is generated for absent actors only`);
    if (m.ended) return fail('not_open');
    return {
      ok: true,
      effect: (mm) => {
        mm.connected[actor] = true;
        mm.audioOnly[actor] = false;
        mm.interpreterView[actor] = false;
      },
      verify: (mm, data) => checkJoin(mm, actor, data),
    };
  }
  if (!m.connected[actor]) return fail('not_joined');
  const session = sessionOf(m, actor)!;
  const hosting = hostsSession(m, actor, session);
  switch (a.type) {
    case 'leave':
      return { ok: true, effect: (mm) => leave(mm, actor) };
    case 'drop':
      return { ok: true, effect: (mm) => drop(mm, actor) };
    case 'reconnect':
      return {
        ok: true,
        effect: (mm) => {
          // The old connection's media goes with it; hand and grant wait for the new one.
          removeProducersOf(mm, actor);
          mm.audioOnly[actor] = false;
          mm.interpreterView[actor] = false;
        },
        verify: (mm, data) => checkJoin(mm, actor, data),
      };
    case 'raiseHand':
      if (spec.role === 'host' || hosting) return fail('forbidden');
      return {
        ok: true,
        effect: (mm) => {
          const list = (mm.hands[session] ??= []);
          if (!list.includes(actor)) list.push(actor);
        },
        verify: (_, data) => ((data as { handRaised: boolean }).handRaised ? null : 'handRaised false'),
      };
    case 'lowerHand':
      return { ok: true, effect: (mm) => void lowerHand(mm, session, actor) };
    case 'lowerAllHands': {
      if (!hosting) return fail('forbidden');
      const count = m.hands[session]?.length ?? 0;
      return {
        ok: true,
        effect: (mm) => void (mm.hands[session] = []),
        verify: (_, data) => ((data as { lowered: number }).lowered === count ? null : `lowered ${(data as { lowered: number }).lowered}, expected ${count}`),
      };
    }
    case 'invite': {
      if (!hosting) return fail('forbidden');
      if (!m.connected[a.target]) return fail('not_found');
      if (sessionOf(m, a.target) !== session) return fail('forbidden');
      if (m.actors[a.target]!.role === 'host' || hostsSession(m, a.target, session)) return fail('conflict');
      const list = m.speakers[session] ?? {};
      if (list[a.target] || Object.keys(list).length >= m.maxSpeakers) return fail('conflict');
      return {
        ok: true,
        effect: (mm) => void ((mm.speakers[session] ??= {})[a.target] = { allowVideo: a.allowVideo, muted: false, state: 'invited' }),
      };
    }
    case 'respond': {
      const entry = speakerIn(m, session, actor);
      if (!entry || entry.state !== 'invited') return fail('not_found');
      if (!a.accept) return { ok: true, effect: (mm) => void endSpeaker(mm, session, actor), verify: (_, d) => ((d as { grant: unknown }).grant === null ? null : 'a grant on decline') };
      return {
        ok: true,
        effect: (mm) => {
          mm.speakers[session]![actor]!.state = 'speaking';
          lowerHand(mm, session, actor);
        },
        verify: (_, d) => {
          const grant = (d as { grant: { allowVideo: boolean; muted: boolean } | null }).grant;
          return grant && grant.allowVideo === entry.allowVideo && !grant.muted ? null : `grant ${JSON.stringify(grant)}`;
        },
      };
    }
    case 'mute':
      if (!hosting) return fail('forbidden');
      if (speakerIn(m, session, a.target)?.state !== 'speaking') return fail('not_found');
      return { ok: true, effect: (mm) => void (mm.speakers[session]![a.target]!.muted = a.muted) };
    case 'revoke':
      if (!hosting) return fail('forbidden');
      if (!speakerIn(m, session, a.target)) return fail('not_found');
      return { ok: true, effect: (mm) => void endSpeaker(mm, session, a.target) };
    case 'stopSpeaking':
      if (!speakerIn(m, session, actor)) return fail('not_found');
      return { ok: true, effect: (mm) => void endSpeaker(mm, session, actor) };
    case 'startBreakouts':
    case 'timedBreakouts': {
      if (spec.role !== 'host') return fail('forbidden');
      if (m.breakouts) return fail('conflict');
      const provinces = a.type === 'startBreakouts' && a.provinces ? [...new Set(a.provinces)].sort() : null;
      const overlay = a.type === 'startBreakouts' && a.overlay;
      const durationS = a.type === 'startBreakouts' ? a.durationS : 1;
      return {
        ok: true,
        effect: (mm, data) => {
          mm.breakouts = { provinces, overlay, speakToAll: false, endsAt: (data as BreakoutsState).endsAt };
          moveEveryone(mm, null);
          // The timed ones have ended by themselves by the time the action answers.
          if (a.type === 'timedBreakouts') recall(mm);
        },
        verify: (mm, data) => {
          const b = data as BreakoutsState;
          if (a.type === 'timedBreakouts') return b.active ? null : 'timed breakouts did not start';
          const problem = checkBreakouts(mm, data);
          if (problem) return problem;
          if ((b.endsAt === null) !== (durationS === null)) return `endsAt ${b.endsAt}`;
          if (b.endsAt !== null && durationS !== null) {
            const left = b.endsAt - b.serverNow;
            if (left > durationS * 1000 || left < durationS * 1000 - 10_000) return `endsAt ${left} ms after serverNow`;
          }
          return null;
        },
      };
    }
    case 'extendBreakouts': {
      if (spec.role !== 'host') return fail('forbidden');
      if (!m.breakouts) return fail('conflict');
      const before = m.breakouts.endsAt;
      return {
        ok: true,
        effect: (mm, data) => void (mm.breakouts!.endsAt = (data as BreakoutsState).endsAt),
        verify: (mm, data) => {
          const b = data as BreakoutsState;
          const problem = checkBreakouts(mm, data);
          if (problem) return problem;
          if (b.endsAt === null) return 'no endsAt after extending';
          // The deadlines are far in the future: extending adds to them; without one it starts now.
          if (before !== null) return b.endsAt === before + a.seconds * 1000 ? null : `endsAt ${b.endsAt}, expected ${before + a.seconds * 1000}`;
          const lag = b.serverNow + a.seconds * 1000 - b.endsAt;
          return lag >= 0 && lag <= 10_000 ? null : `endsAt ${b.endsAt} vs serverNow ${b.serverNow}`;
        },
      };
    }
    case 'endBreakouts':
      if (spec.role !== 'host') return fail('forbidden');
      if (!m.breakouts) return fail('conflict');
      return { ok: true, effect: (mm) => recall(mm), verify: (mm, data) => checkBreakouts(mm, data) };
    case 'speakToAll':
      if (spec.role !== 'host') return fail('forbidden');
      if (!m.breakouts) return fail('conflict');
      return { ok: true, effect: (mm) => void (mm.breakouts!.speakToAll = a.on), verify: (mm, data) => checkBreakouts(mm, data) };
    case 'publish': {
      if (!canSend(m, actor)) return fail('forbidden');
      // Its send transport was closed with what it published (a grant ended, a move) while it
      // did not know yet (actions running at the same time).
      if (ids.reuseTransport && !m.producers.some((p) => p.actor === actor)) return fail('not_found');
      // The crew publishes in main what its role allows (an interpreter: a picture only).
      const crew = session === MAIN && spec.role !== 'host' ? m.production.crew[actor] : undefined;
      const byRole = crewMay(crew);
      if (byRole && !byRole.includes(a.source)) return fail('forbidden');
      const grant = spec.role === 'host' || hosting || byRole ? null : speakerIn(m, session, actor)!;
      if (grant && (a.source === 'screen' || (a.source === 'camera' && !grant.allowVideo))) return fail('forbidden');
      if (m.producers.some((p) => p.actor === actor && p.source === a.source)) return fail('conflict');
      const national = spec.role === 'host' || crew === 'producer' || crew === 'presenter';
      const stage = session === MAIN && (spec.role === 'host' || byRole) ? (crew === 'interpreter' ? 'interpreter' : 'presenter') : null;
      return { ok: true, effect: (mm) => void mm.producers.push({ actor, source: a.source, session, national, stage }) };
    }
    case 'unpublish':
      if (!m.producers.some((p) => p.actor === actor && p.source === a.source)) return fail('not_found');
      return { ok: true, effect: (mm) => void (mm.producers = mm.producers.filter((p) => !(p.actor === actor && p.source === a.source))) };
    case 'audioOnly':
      return {
        ok: true,
        effect: (mm) => void (mm.audioOnly[actor] = a.on),
        verify: (_, d) => ((d as { audioOnly: boolean }).audioOnly === a.on ? null : 'audioOnly not as asked'),
      };
    case 'startRecording':
      if (!hosting) return fail('forbidden');
      if (m.recording[session] || !recordable(m, session)) return fail('conflict');
      return {
        ok: true,
        effect: (mm) => void (mm.recording[session] = actor),
        verify: (_, d) => ((d as { sessionKey: string }).sessionKey === session ? null : `recording of ${(d as { sessionKey: string }).sessionKey}`),
      };
    case 'stopRecording':
      if (!hosting) return fail('forbidden');
      if (!m.recording[session]) return fail('conflict');
      return { ok: true, effect: (mm) => void delete mm.recording[session] };
    case 'pollCreate':
      if (spec.role !== 'host') return fail('forbidden');
      return {
        ok: true,
        effect: (mm, d) => void mm.polls.push({ id: (d as { poll: { id: string } }).poll.id, options: 2, open: true, voters: [] }),
        verify: (_, d) => ((d as { poll: { state: string } }).poll.state === 'open' ? null : 'poll not open'),
      };
    case 'pollVote': {
      if (spec.role !== 'teacher') return fail('forbidden');
      const poll = m.polls.find((p) => p.id === ids.pollId);
      if (!poll) return fail('not_found');
      if (!poll.open) return fail('conflict');
      if (a.choice >= poll.options) return fail('bad_request');
      const again = poll.voters.includes(actor);
      return {
        ok: true,
        effect: (mm) => void (again || mm.polls.find((p) => p.id === poll.id)!.voters.push(actor)),
        verify: (_, d) => ((d as { changed: boolean }).changed === !again ? null : `changed ${(d as { changed: boolean }).changed}`),
      };
    }
    case 'pollClose': {
      if (spec.role !== 'host') return fail('forbidden');
      const poll = m.polls.find((p) => p.id === ids.pollId);
      if (!poll) return fail('not_found');
      return {
        ok: true,
        effect: (mm) => void (mm.polls.find((p) => p.id === poll.id)!.open = false),
        verify: (_, d) => ((d as { poll: { state: string } }).poll.state === 'closed' ? null : 'poll not closed'),
      };
    }
    case 'endMeeting':
      return {
        ok: true,
        effect: (mm) => {
          for (const id of Object.keys(mm.actors)) if (mm.connected[id]) leave(mm, id);
          mm.breakouts = null;
          mm.recording = {};
          mm.ended = true;
        },
        verify: (_, d) => {
          const reports = d as { node: string; finished: boolean }[];
          return reports.every((r) => r.finished) ? null : `not every node finished: ${JSON.stringify(reports)}`;
        },
      };
    case 'resync':
      if (spec.role !== 'host') return fail('forbidden');
      return { ok: true, effect: () => undefined };
    case 'setCrew':
    case 'backstage':
    case 'put':
    case 'goLive':
    case 'goLiveCountdown':
    case 'endLive':
    case 'interpreterView':
      return predictStage(m, a, session);
    case 'qaAsk':
      if (spec.role !== 'teacher') return fail('forbidden');
      return { ok: true, effect: (mm, d) => void mm.questions.push({ id: (d as { question: { id: string } }).question.id, author: actor, voters: [] }) };
    case 'qaVote': {
      if (spec.role !== 'teacher') return fail('forbidden');
      const q = m.questions.find((x) => x.id === ids.questionId);
      if (!q) return fail('not_found');
      if (q.author === actor) return fail('conflict');
      const again = q.voters.includes(actor);
      const votes = q.voters.length + (again ? 0 : 1);
      return {
        ok: true,
        effect: (mm) => void (again || mm.questions.find((x) => x.id === q.id)!.voters.push(actor)),
        verify: (_, d) => {
          const r = d as { changed: boolean; votes: number };
          return r.changed === !again && r.votes === votes ? null : `vote answered ${JSON.stringify(r)}, expected changed=${!again} votes=${votes}`;
        },
      };
    }
  }
}

/** Whether an action concerns the national session only (used to spread generated actions). */
export const inMain = (m: MeetingModel, actor: string): boolean => sessionOf(m, actor) === MAIN;

export { placeFor };
