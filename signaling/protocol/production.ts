/**
 * The protocol's view of a produced broadcast (meeting/production.ts has the rules): the crew, the
 * stage, and what a producer may change. Shared by the server and the web client.
 */

export const CREW_ROLES = ['producer', 'presenter', 'interpreter', 'captioner'] as const;
export const STAGE_LAYOUTS = ['single', 'sideBySide', 'pip', 'grid'] as const;
/** The longest countdown to going live, seconds. */
export const MAX_COUNTDOWN_S = 120;
/** Sources on a stage at once, at most. */
export const MAX_STAGE_SOURCES = 6;
/** Crew members of one meeting, at most. */
export const MAX_CREW = 50;

/** Roles a meeting gives beyond the token's (meeting/production.ts says what each may do). */
export type CrewRole = (typeof CREW_ROLES)[number];

export interface CrewMember {
  role: CrewRole;
  name: string;
}

/** How the stage's sources are arranged for the audience. */
export type StageLayout = (typeof STAGE_LAYOUTS)[number];

/**
 * A produced broadcast: who is in the meeting's crew, and (with backstage on) what is on the
 * stage and whether it is live. With backstage off every presenter is on air as soon as they
 * publish (a meeting that is not produced).
 */
export interface Production {
  backstage: boolean;
  /** When the stage goes (or went) live, ms since the epoch; null: not live (the "starting soon" slate). */
  liveAt: number | null;
  /** What is on stage, in order: stage keys (meeting/production.ts stageKey). */
  stage: string[];
  layout: StageLayout;
  /** Crew by user id. */
  crew: Record<string, CrewMember>;
  /** Bumped by every change (compare-and-set). */
  version: number;
}

/** One producer's action: each is one step, and each has its reverse. */
export type StageChange =
  | { type: 'backstage'; on: boolean }
  | { type: 'put'; key: string; on: boolean }
  | { type: 'move'; key: string; to: number }
  | { type: 'layout'; layout: StageLayout }
  | { type: 'goLive'; inS: number }
  | { type: 'endLive' }
  | { type: 'crew'; userId: string; name: string; role: CrewRole | null };

/** What every participant is told of the stage (no crew): the audience's view. */
export interface StageView {
  backstage: boolean;
  live: boolean;
  liveAt: number | null;
  stage: string[];
  layout: StageLayout;
  serverNow: number;
}
