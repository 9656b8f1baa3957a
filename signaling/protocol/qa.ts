/**
 * The audience-interaction protocol (questions with votes, polls, reactions): shared by the
 * server and the web client. Every text in here is plain text: clients render it as text.
 */

/** The fixed set of reactions. 'cant_hear' is an operational signal, shown by province. */
export const REACTION_KINDS = ['agree', 'applause', 'question', 'cant_hear'] as const;
export type ReactionKind = (typeof REACTION_KINDS)[number];

export interface QaQuestion {
  /** 'q' + a per-meeting number. */
  id: string;
  text: string;
  authorId: string;
  authorName: string;
  /** The asker's province ('--' in filters when null) and school. */
  province: string | null;
  school: string | null;
  /** Server time (ms since epoch). */
  askedAt: number;
  votes: number;
  answered: boolean;
  hidden: boolean;
}

export type QaSort = 'top' | 'new';

/** What a host sees of the questions (throttled, only after a change; their own sort and filter). */
export interface QaHostSummary {
  /** The Q&A change number this summary reflects. */
  seq: number;
  sort: QaSort;
  /** The province filter applied (always their own for a province host), or null. */
  province: string | null;
  includeHidden: boolean;
  /** Questions in the filter, and in the meeting: all, hidden, answered, by province. */
  matching: number;
  total: number;
  hidden: number;
  answered: number;
  byProvince: Record<string, number>;
  /** The first questions of the filter, in the chosen order. */
  head: QaQuestion[];
  pinned: QaQuestion | null;
  serverNow: number;
}

export type PollState = 'draft' | 'open' | 'closed';

export interface Poll {
  /** 'p' + a per-meeting number. */
  id: string;
  question: string;
  options: string[];
  /** Several choices allowed (checkboxes) or one (radio). */
  multiple: boolean;
  /** Time limit in seconds, or null (closed by the host). */
  durationS: number | null;
  state: PollState;
  createdAt: number;
  openedAt: number | null;
  /** The absolute deadline of an open poll with a time limit (server time). */
  closesAt: number | null;
  closedAt: number | null;
  /** The host shows the results to everyone. */
  resultsShown: boolean;
}

export interface PollTally {
  /** Teachers who voted. */
  voters: number;
  /** Votes per option (a multiple-choice voter counts once in each option chosen). */
  counts: number[];
}

export interface PollResults extends PollTally {
  pollId: string;
  /** Province code ('--' for none) → its tally. */
  byProvince: Record<string, PollTally>;
}

/** What hosts see of polls (throttled, only after a change). */
export interface PollHostSummary {
  seq: number;
  /** Every poll of the meeting, newest first. */
  polls: Poll[];
  /** Results of the polls that are open or were launched. */
  results: PollResults[];
  serverNow: number;
}

/** What every participant sees: the pinned question, the top of the approved list, the current poll. */
export interface QaPublic {
  /** Changes when anything in here changes (a client may refresh its list page then). */
  version: string;
  /** Questions not hidden. */
  visible: number;
  pinned: QaQuestion | null;
  /** The first visible questions by votes. */
  top: QaQuestion[];
  /** The poll launched last, and its results if the host shows them. */
  poll: Poll | null;
  results: PollResults | null;
  serverNow: number;
}

/** Hosts' live strip: reactions in the last window, and "can't hear" by province. */
export interface ReactionStrip {
  windowMs: number;
  totals: Record<ReactionKind, number>;
  cantHearByProvince: Record<string, number>;
  serverNow: number;
}
