/**
 * The meeting store's part for audience interaction: questions and their votes, polls and their
 * votes, reaction counters. Every meeting's `MeetingState.qa`; in memory (qaMemory.ts) or in Redis
 * (qaRedis.ts, compound changes as Lua scripts in qaScripts.ts). Nothing here is published per
 * change: each part has a change number (`seqs()`) that hosts' nodes poll, as for hands.
 */
import type { Poll, PollResults, QaQuestion, QaSort, ReactionKind } from '../protocol/qa';

export interface NewQuestion {
  text: string;
  authorId: string;
  authorName: string;
  province: string | null;
  school: string | null;
}

export interface QaLimits {
  /** Questions per meeting, and per author. */
  maxQuestions: number;
  maxPerUser: number;
}

export interface QuestionQuery {
  sort: QaSort;
  /** Province code, '--' for none, or undefined for every province. */
  province?: string;
  includeHidden: boolean;
  offset: number;
  limit: number;
}

export interface QaCounts {
  total: number;
  hidden: number;
  answered: number;
  /** Questions per province ('--' for none). */
  byProvince: Record<string, number>;
}

export interface QaSeqs {
  qa: number;
  poll: number;
  react: number;
}

export type VoteResult = 'ok' | 'again' | 'own' | 'missing';
export type PollVoteResult = 'ok' | 'again' | 'closed' | 'missing' | 'bad_choice';

export interface NewPoll {
  question: string;
  options: string[];
  multiple: boolean;
  durationS: number | null;
}

/** Reactions in a window of whole intervals ending now, totals and by province. */
export interface ReactionWindow {
  /** `${kind}` → count, and `${kind}:${province}` → count. */
  counts: Record<string, number>;
}

/** Everything kept of a meeting's interaction (the database writer saves it). */
export interface QaDump {
  questions: QaQuestion[];
  polls: { poll: Poll; results: PollResults }[];
  /** `${kind}` and `${kind}:${province}` → all reactions so far. */
  reactions: Record<string, number>;
}

export interface QaState {
  /** Change numbers of questions, polls and reactions (one cheap read for the feeds). */
  seqs(): Promise<QaSeqs>;

  // ---- questions -------------------------------------------------------------------------------
  /** Adds a question; 'full' or 'user_full' when a limit is reached. */
  ask(q: NewQuestion, limits: QaLimits): Promise<QaQuestion | 'full' | 'user_full'>;
  /** One vote per user per question (idempotent: 'again' changes nothing); not on one's own or hidden ones. */
  vote(questionId: string, userId: string): Promise<{ result: VoteResult; votes: number; /** The Q&A change number of a counted vote (0 otherwise). */ seq: number }>;
  /** Changes the moderation state; hiding the pinned question unpins it. Null if no such question. */
  moderate(questionId: string, change: { answered?: boolean; hidden?: boolean }): Promise<QaQuestion | null>;
  /** Pins a visible question (or unpins with null); 'missing' if it does not exist or is hidden. */
  pin(questionId: string | null): Promise<QaQuestion | null | 'missing'>;
  pinned(): Promise<QaQuestion | null>;
  question(questionId: string): Promise<QaQuestion | null>;
  questions(query: QuestionQuery): Promise<{ total: number; rows: QaQuestion[] }>;
  byAuthor(userId: string): Promise<QaQuestion[]>;
  /** Which of these questions the user voted for. */
  votedBy(userId: string, questionIds: string[]): Promise<string[]>;
  counts(): Promise<QaCounts>;

  // ---- polls -------------------------------------------------------------------------------------
  createPoll(p: NewPoll): Promise<Poll>;
  /** Opens a draft poll (deadline from the store's clock) and makes it the current one. */
  launchPoll(pollId: string): Promise<Poll | 'missing' | 'not_draft'>;
  closePoll(pollId: string): Promise<Poll | null>;
  showResults(pollId: string, shown: boolean): Promise<Poll | null>;
  /** One vote per user; refused once the poll is closed or past its deadline. */
  pollVote(pollId: string, userId: string, province: string | null, choices: number[]): Promise<PollVoteResult>;
  /** A poll, closed if past its deadline. */
  poll(pollId: string): Promise<Poll | null>;
  polls(): Promise<Poll[]>;
  currentPoll(): Promise<Poll | null>;
  pollResults(pollId: string): Promise<PollResults | null>;
  pollChoices(pollId: string, userId: string): Promise<number[] | null>;

  // ---- reactions ---------------------------------------------------------------------------------
  /** Counts a reaction in the current interval (and in the meeting's totals). */
  react(kind: ReactionKind, province: string | null, intervalMs: number): Promise<void>;
  /** Reactions of the last `intervals` intervals (the current one included). */
  reactionWindow(intervalMs: number, intervals: number): Promise<ReactionWindow>;

  /** Everything, for the database. */
  dump(): Promise<QaDump>;
}

/** Votes and ids fit one sorted-set score: votes × ORDER + (ORDER − 1 − number). */
export const ORDER = 10_000_000;
export const provinceKey = (p: string | null): string => p ?? '--';
