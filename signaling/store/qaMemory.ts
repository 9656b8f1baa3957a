/** The meeting store's interaction part for one signaling node (in memory). */
import type { Poll, PollResults, PollTally, QaQuestion, ReactionKind } from '../protocol/qa';
import {
  ORDER,
  provinceKey,
  type NewPoll,
  type NewQuestion,
  type PollVoteResult,
  type QaCounts,
  type QaDump,
  type QaLimits,
  type QaSeqs,
  type QaState,
  type QuestionQuery,
  type ReactionWindow,
  type VoteResult,
} from './qaTypes';

interface PollEntry {
  poll: Poll;
  votes: Map<string, { province: string; choices: number[] }>;
}

const copy = <T>(v: T): T => structuredClone(v);

export function emptyTally(options: number): PollTally {
  return { voters: 0, counts: new Array<number>(options).fill(0) };
}

export class MemoryQa implements QaState {
  readonly #questions = new Map<string, QaQuestion>();
  readonly #voters = new Map<string, Set<string>>();
  readonly #byAuthor = new Map<string, string[]>();
  readonly #polls = new Map<string, PollEntry>();
  #pinned: string | null = null;
  #current: string | null = null;
  #nextQ = 0;
  #nextP = 0;
  readonly #seqs: QaSeqs = { qa: 0, poll: 0, react: 0 };
  /** Interval number → counts. */
  readonly #reactions = new Map<number, Map<string, number>>();
  readonly #reactionTotals = new Map<string, number>();

  async seqs(): Promise<QaSeqs> {
    return { ...this.#seqs };
  }

  async ask(q: NewQuestion, limits: QaLimits): Promise<QaQuestion | 'full' | 'user_full'> {
    if (this.#questions.size >= limits.maxQuestions) return 'full';
    const mine = this.#byAuthor.get(q.authorId) ?? [];
    if (mine.length >= limits.maxPerUser) return 'user_full';
    this.#nextQ += 1;
    const question: QaQuestion = { id: `q${this.#nextQ}`, ...q, askedAt: Date.now(), votes: 0, answered: false, hidden: false };
    this.#questions.set(question.id, question);
    this.#voters.set(question.id, new Set());
    mine.push(question.id);
    this.#byAuthor.set(q.authorId, mine);
    this.#seqs.qa += 1;
    return copy(question);
  }

  async vote(questionId: string, userId: string): Promise<{ result: VoteResult; votes: number; seq: number }> {
    const q = this.#questions.get(questionId);
    if (!q || q.hidden) return { result: 'missing', votes: 0, seq: 0 };
    if (q.authorId === userId) return { result: 'own', votes: q.votes, seq: 0 };
    const voters = this.#voters.get(questionId)!;
    if (voters.has(userId)) return { result: 'again', votes: q.votes, seq: 0 };
    voters.add(userId);
    q.votes += 1;
    this.#seqs.qa += 1;
    return { result: 'ok', votes: q.votes, seq: this.#seqs.qa };
  }

  async moderate(questionId: string, change: { answered?: boolean; hidden?: boolean }): Promise<QaQuestion | null> {
    const q = this.#questions.get(questionId);
    if (!q) return null;
    if (change.answered !== undefined) q.answered = change.answered;
    if (change.hidden !== undefined) q.hidden = change.hidden;
    if (q.hidden && this.#pinned === questionId) this.#pinned = null;
    this.#seqs.qa += 1;
    return copy(q);
  }

  async pin(questionId: string | null): Promise<QaQuestion | null | 'missing'> {
    if (questionId === null) {
      this.#pinned = null;
      this.#seqs.qa += 1;
      return null;
    }
    const q = this.#questions.get(questionId);
    if (!q || q.hidden) return 'missing';
    this.#pinned = questionId;
    this.#seqs.qa += 1;
    return copy(q);
  }

  async pinned(): Promise<QaQuestion | null> {
    const q = this.#pinned ? this.#questions.get(this.#pinned) : undefined;
    return q ? copy(q) : null;
  }

  async question(questionId: string): Promise<QaQuestion | null> {
    const q = this.#questions.get(questionId);
    return q ? copy(q) : null;
  }

  async questions(query: QuestionQuery): Promise<{ total: number; rows: QaQuestion[] }> {
    const number = (q: QaQuestion): number => Number(q.id.slice(1));
    const all = [...this.#questions.values()].filter(
      (q) => (query.includeHidden || !q.hidden) && (query.province === undefined || provinceKey(q.province) === query.province),
    );
    // The same order as the Redis sorted sets: votes, then the older first; or the newest first.
    const score = (q: QaQuestion): number => (query.sort === 'top' ? q.votes * ORDER + (ORDER - 1 - number(q)) : number(q));
    all.sort((a, b) => score(b) - score(a));
    return { total: all.length, rows: all.slice(query.offset, query.offset + query.limit).map(copy) };
  }

  async byAuthor(userId: string): Promise<QaQuestion[]> {
    return (this.#byAuthor.get(userId) ?? []).map((id) => copy(this.#questions.get(id)!));
  }

  async votedBy(userId: string, questionIds: string[]): Promise<string[]> {
    return questionIds.filter((id) => this.#voters.get(id)?.has(userId));
  }

  async counts(): Promise<QaCounts> {
    const c: QaCounts = { total: 0, hidden: 0, answered: 0, byProvince: {} };
    for (const q of this.#questions.values()) {
      c.total += 1;
      if (q.hidden) c.hidden += 1;
      if (q.answered) c.answered += 1;
      const p = provinceKey(q.province);
      c.byProvince[p] = (c.byProvince[p] ?? 0) + 1;
    }
    return c;
  }

  // ---- polls -------------------------------------------------------------------------------------

  async createPoll(p: NewPoll): Promise<Poll> {
    this.#nextP += 1;
    const poll: Poll = {
      id: `p${this.#nextP}`,
      ...p,
      options: [...p.options],
      state: 'draft',
      createdAt: Date.now(),
      openedAt: null,
      closesAt: null,
      closedAt: null,
      resultsShown: false,
    };
    this.#polls.set(poll.id, { poll, votes: new Map() });
    this.#seqs.poll += 1;
    return copy(poll);
  }

  #expire(entry: PollEntry, now = Date.now()): void {
    const p = entry.poll;
    if (p.state === 'open' && p.closesAt !== null && now >= p.closesAt) {
      p.state = 'closed';
      p.closedAt = p.closesAt;
      this.#seqs.poll += 1;
    }
  }

  async launchPoll(pollId: string): Promise<Poll | 'missing' | 'not_draft'> {
    const entry = this.#polls.get(pollId);
    if (!entry) return 'missing';
    if (entry.poll.state !== 'draft') return 'not_draft';
    const now = Date.now();
    entry.poll.state = 'open';
    entry.poll.openedAt = now;
    entry.poll.closesAt = entry.poll.durationS === null ? null : now + entry.poll.durationS * 1000;
    this.#current = pollId;
    this.#seqs.poll += 1;
    return copy(entry.poll);
  }

  async closePoll(pollId: string): Promise<Poll | null> {
    const entry = this.#polls.get(pollId);
    if (!entry) return null;
    this.#expire(entry);
    if (entry.poll.state !== 'closed') {
      entry.poll.state = 'closed';
      entry.poll.closedAt = Date.now();
      this.#seqs.poll += 1;
    }
    return copy(entry.poll);
  }

  async showResults(pollId: string, shown: boolean): Promise<Poll | null> {
    const entry = this.#polls.get(pollId);
    if (!entry) return null;
    this.#expire(entry);
    entry.poll.resultsShown = shown;
    if (shown) this.#current = pollId;
    this.#seqs.poll += 1;
    return copy(entry.poll);
  }

  async pollVote(pollId: string, userId: string, province: string | null, choices: number[]): Promise<PollVoteResult> {
    const entry = this.#polls.get(pollId);
    if (!entry) return 'missing';
    this.#expire(entry);
    if (entry.poll.state !== 'open') return 'closed';
    const unique = [...new Set(choices)].sort((a, b) => a - b);
    if (unique.some((c) => c >= entry.poll.options.length) || (!entry.poll.multiple && unique.length !== 1)) return 'bad_choice';
    if (entry.votes.has(userId)) return 'again';
    entry.votes.set(userId, { province: provinceKey(province), choices: unique });
    this.#seqs.poll += 1;
    return 'ok';
  }

  async poll(pollId: string): Promise<Poll | null> {
    const entry = this.#polls.get(pollId);
    if (!entry) return null;
    this.#expire(entry);
    return copy(entry.poll);
  }

  async polls(): Promise<Poll[]> {
    const out = [...this.#polls.values()].map((e) => {
      this.#expire(e);
      return copy(e.poll);
    });
    return out.reverse();
  }

  async currentPoll(): Promise<Poll | null> {
    return this.#current ? this.poll(this.#current) : null;
  }

  async pollResults(pollId: string): Promise<PollResults | null> {
    const entry = this.#polls.get(pollId);
    if (!entry) return null;
    const n = entry.poll.options.length;
    const results: PollResults = { pollId, ...emptyTally(n), byProvince: {} };
    for (const { province, choices } of entry.votes.values()) {
      const p = (results.byProvince[province] ??= emptyTally(n));
      results.voters += 1;
      p.voters += 1;
      for (const c of choices) {
        results.counts[c]! += 1;
        p.counts[c]! += 1;
      }
    }
    return results;
  }

  async pollChoices(pollId: string, userId: string): Promise<number[] | null> {
    return this.#polls.get(pollId)?.votes.get(userId)?.choices.slice() ?? null;
  }

  // ---- reactions ---------------------------------------------------------------------------------

  async react(kind: ReactionKind, province: string | null, intervalMs: number): Promise<void> {
    const bucket = Math.floor(Date.now() / intervalMs);
    let counts = this.#reactions.get(bucket);
    if (!counts) {
      counts = new Map();
      this.#reactions.set(bucket, counts);
      // Keep a minute's worth of intervals.
      for (const b of this.#reactions.keys()) if (b < bucket - Math.ceil(60_000 / intervalMs)) this.#reactions.delete(b);
    }
    for (const key of [kind, `${kind}:${provinceKey(province)}`]) {
      counts.set(key, (counts.get(key) ?? 0) + 1);
      this.#reactionTotals.set(key, (this.#reactionTotals.get(key) ?? 0) + 1);
    }
    this.#seqs.react += 1;
  }

  async reactionWindow(intervalMs: number, intervals: number): Promise<ReactionWindow> {
    const now = Math.floor(Date.now() / intervalMs);
    const counts: Record<string, number> = {};
    for (let b = now - intervals + 1; b <= now; b++) {
      for (const [k, v] of this.#reactions.get(b) ?? []) counts[k] = (counts[k] ?? 0) + v;
    }
    return { counts };
  }

  async dump(): Promise<QaDump> {
    const polls: QaDump['polls'] = [];
    for (const e of this.#polls.values()) {
      this.#expire(e);
      polls.push({ poll: copy(e.poll), results: (await this.pollResults(e.poll.id))! });
    }
    return { questions: [...this.#questions.values()].map(copy), polls, reactions: Object.fromEntries(this.#reactionTotals) };
  }
}
