/**
 * The client's state of questions, polls and reactions: its own zustand store, fed by the
 * server's throttled feeds (qaApi.ts). Plain data only.
 */
import { create } from 'zustand';
import type { Poll, PollHostSummary, PollResults, QaHostSummary, QaPublic, QaQuestion, QaSort, ReactionStrip } from '../../../signaling/protocol/qa';

export interface HostFilter {
  sort: QaSort;
  province: string | null;
  includeHidden: boolean;
}

export interface QaStoreState {
  /** Hosts: the last summary in their order and filter, and that filter. */
  hostSummary: QaHostSummary | null;
  filter: HostFilter;
  /** Everyone: pinned question, top questions, current poll. */
  public: QaPublic | null;
  /** The approved list as paged so far (viewers), and which of them this user voted for. */
  list: QaQuestion[];
  listTotal: number;
  voted: Record<string, true>;
  mine: QaQuestion[];
  /** Hosts: polls and results. */
  polls: PollHostSummary | null;
  /** Viewers: the current poll and this user's choices. */
  currentPoll: { poll: Poll | null; results: PollResults | null; myChoices: number[] | null } | null;
  strip: ReactionStrip | null;
  set: (patch: Partial<Omit<QaStoreState, 'set'>>) => void;
}

export const useQaStore = create<QaStoreState>()((set) => ({
  hostSummary: null,
  filter: { sort: 'top', province: null, includeHidden: true },
  public: null,
  list: [],
  listTotal: 0,
  voted: {},
  mine: [],
  polls: null,
  currentPoll: null,
  strip: null,
  set: (patch) => set(patch),
}));
