/** The meeting store's interaction part in Redis, shared by every signaling node (see qaScripts.ts). */
import { createHash } from 'node:crypto';
import type { RedisClient } from '../../common/redis';
import { noReplicaAck, type ReplicaAck } from '../../common/replicaAck';
import type { Poll, PollResults, QaQuestion, ReactionKind } from '../protocol/qa';
import { emptyTally } from './qaMemory';
import { QA_SCRIPTS, type QaScriptName } from './qaScripts';
import {
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

const SHA = Object.fromEntries(
  Object.entries(QA_SCRIPTS).map(([name, body]) => [name, createHash('sha1').update(body).digest('hex')]),
) as Record<QaScriptName, string>;

const parse = <T>(raw: unknown): T | null => (typeof raw === 'string' && raw !== '' ? (JSON.parse(raw) as T) : null);
const parseAll = <T>(raws: unknown[]): T[] => raws.map((r) => parse<T>(r)).filter((x): x is T => x !== null);

/** Writes a user is told about; reactions are counts in a moving window, and are not waited for. */
const ACKED = new Set<QaScriptName>(['ask', 'vote', 'moderate', 'pin', 'createPoll', 'launchPoll', 'closePoll', 'showPoll', 'pollVote']);

export class RedisQa implements QaState {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #acks: Pick<ReplicaAck, 'epoch' | 'confirm'>;

  /** `acks`: what an acknowledged write waits for (the store's replica acknowledgement). */
  constructor(client: RedisClient, prefix: string, acks: Pick<ReplicaAck, 'epoch' | 'confirm'> = noReplicaAck) {
    this.#client = client;
    this.#prefix = prefix;
    this.#acks = acks;
  }

  async #run(name: QaScriptName, ...args: (string | number)[]): Promise<unknown> {
    const epoch = this.#acks.epoch;
    const reply = await this.#eval(name, args);
    if (ACKED.has(name)) await this.#acks.confirm(epoch);
    return reply;
  }

  async #eval(name: QaScriptName, args: (string | number)[]): Promise<unknown> {
    const options = { keys: [this.#prefix], arguments: args.map(String) };
    try {
      return await this.#client.evalSha(SHA[name], options);
    } catch (error) {
      // The script cache is empty after a Redis restart: send the script itself once.
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return this.#client.eval(QA_SCRIPTS[name], options);
      throw error;
    }
  }

  async seqs(): Promise<QaSeqs> {
    const [qa, poll, react] = await this.#client.mGet(['qa:seq', 'pl:seq', 'rx:seq'].map((k) => this.#prefix + k));
    return { qa: Number(qa ?? 0), poll: Number(poll ?? 0), react: Number(react ?? 0) };
  }

  async ask(q: NewQuestion, limits: QaLimits): Promise<QaQuestion | 'full' | 'user_full'> {
    const res = await this.#run('ask', JSON.stringify(q), limits.maxQuestions, limits.maxPerUser);
    if (res === 'full' || res === 'user_full') return res;
    return parse<QaQuestion>(res)!;
  }

  async vote(questionId: string, userId: string): Promise<{ result: VoteResult; votes: number; seq: number }> {
    const [result, votes, seq] = (await this.#run('vote', questionId, userId)) as [VoteResult, number, number?];
    return { result, votes: Number(votes), seq: Number(seq ?? 0) };
  }

  async moderate(questionId: string, change: { answered?: boolean; hidden?: boolean }): Promise<QaQuestion | null> {
    const flag = (v: boolean | undefined): string => (v === undefined ? '' : v ? '1' : '0');
    return parse<QaQuestion>(await this.#run('moderate', questionId, flag(change.answered), flag(change.hidden)));
  }

  async pin(questionId: string | null): Promise<QaQuestion | null | 'missing'> {
    const [status, raw] = (await this.#run('pin', questionId ?? '')) as [string, string?];
    if (status === 'missing') return 'missing';
    return parse<QaQuestion>(raw);
  }

  async pinned(): Promise<QaQuestion | null> {
    return parse<QaQuestion>(await this.#run('pinned'));
  }

  async question(questionId: string): Promise<QaQuestion | null> {
    return parse<QaQuestion>(await this.#client.hGet(`${this.#prefix}qa:q`, questionId));
  }

  async questions(query: QuestionQuery): Promise<{ total: number; rows: QaQuestion[] }> {
    let key: string;
    let skipHidden = false;
    if (query.province !== undefined) {
      key = `qa:${query.sort}:p:${query.province}`;
      skipHidden = !query.includeHidden;
    } else {
      key = query.includeHidden ? `qa:${query.sort}` : `qa:${query.sort}:v`;
    }
    const [total, ...rows] = (await this.#run('query', key, query.offset, query.limit, skipHidden ? '1' : '0')) as [number, ...unknown[]];
    return { total: Number(total), rows: parseAll<QaQuestion>(rows) };
  }

  async byAuthor(userId: string): Promise<QaQuestion[]> {
    return parseAll<QaQuestion>((await this.#run('byAuthor', userId)) as unknown[]);
  }

  async votedBy(userId: string, questionIds: string[]): Promise<string[]> {
    if (questionIds.length === 0) return [];
    return (await this.#run('votedBy', userId, ...questionIds)) as string[];
  }

  async counts(): Promise<QaCounts> {
    const raw = await this.#client.hGetAll(`${this.#prefix}qa:cnt`);
    const c: QaCounts = { total: Number(raw.total ?? 0), hidden: Number(raw.hidden ?? 0), answered: Number(raw.answered ?? 0), byProvince: {} };
    for (const [k, v] of Object.entries(raw)) if (k.startsWith('p:') && Number(v) > 0) c.byProvince[k.slice(2)] = Number(v);
    return c;
  }

  // ---- polls -------------------------------------------------------------------------------------

  async createPoll(p: NewPoll): Promise<Poll> {
    return parse<Poll>(await this.#run('createPoll', JSON.stringify(p)))!;
  }

  async launchPoll(pollId: string): Promise<Poll | 'missing' | 'not_draft'> {
    const [status, raw] = (await this.#run('launchPoll', pollId)) as [string, string?];
    if (status === 'missing' || status === 'not_draft') return status;
    return parse<Poll>(raw)!;
  }

  async closePoll(pollId: string): Promise<Poll | null> {
    return parse<Poll>(await this.#run('closePoll', pollId));
  }

  async showResults(pollId: string, shown: boolean): Promise<Poll | null> {
    return parse<Poll>(await this.#run('showPoll', pollId, shown ? '1' : '0'));
  }

  async pollVote(pollId: string, userId: string, province: string | null, choices: number[]): Promise<PollVoteResult> {
    return (await this.#run('pollVote', pollId, userId, provinceKey(province), JSON.stringify(choices))) as PollVoteResult;
  }

  async poll(pollId: string): Promise<Poll | null> {
    return parse<Poll>(await this.#run('getPoll', pollId));
  }

  async polls(): Promise<Poll[]> {
    return parseAll<Poll>((await this.#run('polls')) as unknown[]);
  }

  async currentPoll(): Promise<Poll | null> {
    return parse<Poll>(await this.#run('currentPoll'));
  }

  async pollResults(pollId: string): Promise<PollResults | null> {
    const raw = await this.#client.hGet(`${this.#prefix}pl:p`, pollId);
    if (!raw) return null;
    const n = (JSON.parse(raw) as Poll).options.length;
    const c = await this.#client.hGetAll(`${this.#prefix}pl:c:${pollId}`);
    const results: PollResults = { pollId, ...emptyTally(n), byProvince: {} };
    for (const [k, v] of Object.entries(c)) {
      const parts = k.split(':');
      const value = Number(v);
      if (parts[0] === 'n') results.voters = value;
      else if (parts[0] === 'o') results.counts[Number(parts[1])] = value;
      else if (parts[0] === 'p' && parts.length === 3) {
        const tally = (results.byProvince[parts[1]!] ??= emptyTally(n));
        if (parts[2] === 'n') tally.voters = value;
        else tally.counts[Number(parts[2])] = value;
      }
    }
    return results;
  }

  async pollChoices(pollId: string, userId: string): Promise<number[] | null> {
    return parse<number[]>(await this.#client.hGet(`${this.#prefix}pl:v:${pollId}`, userId));
  }

  // ---- reactions ---------------------------------------------------------------------------------

  async react(kind: ReactionKind, province: string | null, intervalMs: number): Promise<void> {
    await this.#run('react', kind, provinceKey(province), intervalMs);
  }

  async reactionWindow(intervalMs: number, intervals: number): Promise<ReactionWindow> {
    const flat = (await this.#run('reactionWindow', intervalMs, intervals)) as (string | number)[];
    const counts: Record<string, number> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) counts[String(flat[i])] = Number(flat[i + 1]);
    return { counts };
  }

  async dump(): Promise<QaDump> {
    const questions = parseAll<QaQuestion>(await this.#client.hVals(`${this.#prefix}qa:q`));
    questions.sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));
    const polls: QaDump['polls'] = [];
    for (const poll of (await this.polls()).reverse()) polls.push({ poll, results: (await this.pollResults(poll.id))! });
    const totals = await this.#client.hGetAll(`${this.#prefix}rx:t`);
    return { questions, polls, reactions: Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, Number(v)])) };
  }
}
