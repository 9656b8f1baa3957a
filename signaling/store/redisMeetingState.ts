/**
 * One meeting's state in the cluster store (RedisStore.ts): its roster, hands, speakers,
 * breakouts, producers and notices under the keys `hn:m:{id}:…`, changed by Lua scripts that
 * publish each change with the meeting's sequence number on `hn:ev:{id}`.
 */
import type { RedisClient } from '../../common/redis';
import type { HandEntry, HandQueueSummary, Notice, SpeakerInfo } from '../protocol/events';
import type { ScriptName } from './redisScripts';
import { matchesQuery } from './roster';
import { RedisQa } from './qaRedis';
import type { QaState } from './qaTypes';
import type {
  Breakouts,
  InviteResult,
  MeetingCounts,
  MeetingSnapshot,
  MeetingState,
  Participant,
  ParticipantQuery,
  PublishedProducer,
  SequencedEvent,
  SessionCounts,
} from './types';
import { NOTICES_KEPT, NO_PRODUCTION, type Production } from './types';

type Reply = unknown;

/** What a meeting's state needs of the store: its connection, its scripts, its subscriptions. */
export interface RedisLink {
  readonly client: RedisClient;
  /** Runs a Lua script on the meeting's keys (`prefix`). */
  run(name: ScriptName, prefix: string, args: string[]): Promise<Reply>;
  /** The client connection's number (read before a write that `confirm` is for). */
  readonly epoch: number;
  /** Resolves once this link's earlier writes on connection `since` are on the replicas a user's acknowledgement needs. */
  confirm(since: number): Promise<void>;
  /** This node wrote the meeting's event `seq` (Meeting.caughtUp waits for it). */
  wrote(meetingId: string, seq: number): void;
  lastWritten(meetingId: string): number;
  /** Delivers the meeting's events to `state` until `unwatch`. */
  watch(state: RedisMeetingState): void;
  unwatch(state: RedisMeetingState): void;
}

export class RedisMeetingState implements MeetingState {
  readonly meetingId: string;
  readonly qa: QaState;
  readonly #store: RedisLink;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #listeners = new Set<(event: SequencedEvent) => void>();
  readonly #resyncListeners = new Set<() => void>();

  constructor(store: RedisLink, meetingId: string) {
    this.#store = store;
    this.meetingId = meetingId;
    this.#prefix = `hn:m:{${meetingId}}:`;
    this.#channel = `hn:ev:{${meetingId}}`;
    this.qa = new RedisQa(store.client, this.#prefix, store);
  }

  get channel(): string {
    return this.#channel;
  }

  #run(name: ScriptName, ...args: (string | number)[]): Promise<Reply> {
    return this.#store.run(name, this.#prefix, [this.#channel, ...args.map(String)]);
  }

  deliver(event: SequencedEvent): void {
    for (const l of this.#listeners) l(event);
  }

  resynced(): void {
    for (const l of this.#resyncListeners) l();
  }

  get writtenSeq(): number {
    return this.#store.lastWritten(this.meetingId);
  }

  subscribe(listener: (event: SequencedEvent) => void): () => void {
    if (this.#listeners.size === 0) this.#store.watch(this);
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#store.unwatch(this);
    };
  }

  onResync(listener: () => void): () => void {
    this.#resyncListeners.add(listener);
    return () => this.#resyncListeners.delete(listener);
  }

  async snapshot(): Promise<MeetingSnapshot> {
    const [seq, producers, breakouts, production] = (await this.#run('snapshot')) as [number, string[], string | null, string | null];
    return {
      seq: Number(seq),
      producers: producers.map((p) => JSON.parse(p) as PublishedProducer),
      breakouts: breakouts ? (JSON.parse(breakouts) as Breakouts) : null,
      production: production ? (JSON.parse(production) as Production) : NO_PRODUCTION,
    };
  }

  // ---- roster ---------------------------------------------------------------------------------

  async join(p: Participant): Promise<Participant | null> {
    const prev = (await this.#run('join', JSON.stringify(p))) as string | null;
    return prev ? (JSON.parse(prev) as Participant) : null;
  }

  async leave(userId: string, socketId: string): Promise<boolean> {
    return Number(await this.#run('leave', userId, socketId)) === 1;
  }

  async move(userId: string, socketId: string, sessionKey: string): Promise<boolean> {
    return Number(await this.#run('move', userId, socketId, sessionKey)) === 1;
  }

  async participant(userId: string): Promise<Participant | null> {
    const raw = await this.#store.client.hGet(`${this.#prefix}roster`, userId);
    return raw ? (JSON.parse(raw) as Participant) : null;
  }

  async participants(query: ParticipantQuery): Promise<{ total: number; rows: Participant[] }> {
    // A scan of the roster hash: host searches are rare, and bounded by the meeting's size.
    const rows: Participant[] = [];
    let total = 0;
    for await (const batch of this.#store.client.hScanIterator(`${this.#prefix}roster`, { COUNT: 1000 })) {
      for (const { value } of batch as { field: string; value: string }[]) {
        const p = JSON.parse(value) as Participant;
        if (!matchesQuery(p, query)) continue;
        if (total >= query.offset && rows.length < query.limit) rows.push(p);
        total += 1;
      }
    }
    return { total, rows };
  }

  async counts(): Promise<MeetingCounts> {
    const [cnt, hands, provinceCounts] = (await this.#run('counts')) as [string[], (string | number)[], string[]];
    const sessions: Record<string, SessionCounts> = {};
    let all = 0;
    let hosts = 0;
    for (let i = 0; i < cnt.length; i += 2) {
      const field = cnt[i]!;
      const n = Number(cnt[i + 1]);
      if (field === 'all') all = n;
      else if (field === 'hosts') hosts = n;
      else {
        const m = /^s:(.+):([th])$/.exec(field);
        if (!m || n <= 0) continue;
        const s = (sessions[m[1]!] ??= { teachers: 0, hosts: 0, hands: 0 });
        if (m[2] === 't') s.teachers = n;
        else s.hosts = n;
      }
    }
    for (let i = 0; i < hands.length; i += 2) {
      const key = String(hands[i]);
      const n = Number(hands[i + 1]);
      if (n > 0) (sessions[key] ??= { teachers: 0, hosts: 0, hands: 0 }).hands = n;
    }
    const provinces: Record<string, number> = {};
    for (let i = 0; i < provinceCounts.length; i += 2) {
      const n = Number(provinceCounts[i + 1]);
      if (n > 0) provinces[provinceCounts[i]!] = n;
    }
    return { viewers: all - hosts, hosts, sessions, provinces };
  }

  async schoolCounts(schools: readonly string[]): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    if (schools.length === 0) return out;
    const values = await this.#store.client.hmGet(`${this.#prefix}cs`, [...schools]);
    schools.forEach((school, i) => {
      const n = Number(values[i] ?? 0);
      if (n > 0) out[school] = n;
    });
    return out;
  }

  async nodes(): Promise<string[]> {
    return this.#store.client.sMembers(`${this.#prefix}nodes`);
  }

  async evictNode(node: string, deadline: number): Promise<string[]> {
    return (await this.#run('evictNode', node, deadline)) as string[];
  }

  // ---- departures -------------------------------------------------------------------------------

  async departed(userId: string, deadline: number): Promise<void> {
    await this.#store.client.zAdd(`${this.#prefix}dep`, { score: deadline, value: userId });
  }

  async arrived(userId: string): Promise<void> {
    await this.#store.client.zRem(`${this.#prefix}dep`, userId);
  }

  async claimExpiredDepartures(now: number, max: number): Promise<string[]> {
    return (await this.#run('claimDepartures', now, max)) as string[];
  }

  // ---- hands --------------------------------------------------------------------------------------

  async raiseHand(sessionKey: string, owner: Omit<HandEntry, 'seq' | 'raisedAt'>): Promise<{ entry: HandEntry; changed: boolean }> {
    const entry = { userId: owner.userId, name: owner.name, province: owner.province, school: owner.school };
    const [json, changed] = (await this.#run('raise', sessionKey, JSON.stringify(entry))) as [string, number];
    return { entry: JSON.parse(json) as HandEntry, changed: Number(changed) === 1 };
  }

  async lowerHand(sessionKey: string, userId: string): Promise<boolean> {
    return Number(await this.#run('lower', sessionKey, userId)) === 1;
  }

  async lowerHands(sessionKey: string, province?: string): Promise<string[]> {
    return (await this.#run('lowerWhere', sessionKey, province ?? '')) as string[];
  }

  async handRaised(sessionKey: string, userId: string): Promise<boolean> {
    return (await this.#store.client.hExists(`${this.#prefix}hi:${sessionKey}`, userId)) === 1;
  }

  async handSeq(sessionKey: string): Promise<number> {
    return Number((await this.#store.client.get(`${this.#prefix}hs:${sessionKey}`)) ?? 0);
  }

  async handSummary(sessionKey: string, head: number, now: number): Promise<HandQueueSummary> {
    const [seq, total, prov, entries] = (await this.#run('handSummary', sessionKey, head)) as [number, number, string[], (string | null)[]];
    const byProvince: Record<string, number> = {};
    for (let i = 0; i < prov.length; i += 2) byProvince[prov[i]!] = Number(prov[i + 1]);
    return {
      seq: Number(seq),
      total: Number(total),
      byProvince,
      head: entries.filter((e): e is string => typeof e === 'string').map((e) => JSON.parse(e) as HandEntry),
      serverNow: now,
    };
  }

  async handPage(sessionKey: string, offset: number, limit: number): Promise<{ entries: HandEntry[]; total: number }> {
    const [total, entries] = (await this.#run('handPage', sessionKey, offset, limit)) as [number, (string | null)[]];
    return { total: Number(total), entries: entries.filter((e): e is string => typeof e === 'string').map((e) => JSON.parse(e) as HandEntry) };
  }

  async sessionKeys(): Promise<string[]> {
    return this.#store.client.sMembers(`${this.#prefix}sessions`);
  }

  // ---- speakers -----------------------------------------------------------------------------------

  async speakers(sessionKey: string): Promise<SpeakerInfo[]> {
    const all = await this.#store.client.hVals(`${this.#prefix}sp:${sessionKey}`);
    return all.map((s) => JSON.parse(s) as SpeakerInfo);
  }

  async speaker(sessionKey: string, userId: string): Promise<SpeakerInfo | null> {
    const raw = await this.#store.client.hGet(`${this.#prefix}sp:${sessionKey}`, userId);
    return raw ? (JSON.parse(raw) as SpeakerInfo) : null;
  }

  async invite(sessionKey: string, speaker: SpeakerInfo, max: number): Promise<InviteResult> {
    return (await this.#run('invite', sessionKey, JSON.stringify(speaker), max)) as InviteResult;
  }

  async accept(sessionKey: string, userId: string): Promise<SpeakerInfo | null> {
    const raw = (await this.#run('accept', sessionKey, userId)) as string | null;
    return raw ? (JSON.parse(raw) as SpeakerInfo) : null;
  }

  async mute(sessionKey: string, userId: string, muted: boolean): Promise<SpeakerInfo | null> {
    const res = (await this.#run('mute', sessionKey, userId, muted ? 1 : 0)) as [string, number] | null;
    if (!res) return null;
    this.#store.wrote(this.meetingId, Number(res[1]));
    return JSON.parse(res[0]) as SpeakerInfo;
  }

  async endSpeaker(sessionKey: string, userId: string): Promise<boolean> {
    const seq = Number(await this.#run('endSpeaker', sessionKey, userId));
    if (seq === 0) return false;
    this.#store.wrote(this.meetingId, seq);
    return true;
  }

  // ---- breakouts ----------------------------------------------------------------------------------

  async breakouts(): Promise<Breakouts | null> {
    const raw = await this.#store.client.get(`${this.#prefix}bo`);
    return raw ? (JSON.parse(raw) as Breakouts) : null;
  }

  #written(res: unknown): Breakouts | null {
    if (!res) return null;
    const [json, seq] = res as [string, number];
    this.#store.wrote(this.meetingId, Number(seq));
    return JSON.parse(json) as Breakouts;
  }

  async startBreakouts(b: Omit<Breakouts, 'version'>): Promise<Breakouts | null> {
    return this.#written(await this.#run('startBreakouts', JSON.stringify(b)));
  }

  async updateBreakouts(change: { extendS?: number; speakToAll?: boolean }, now: number): Promise<Breakouts | null> {
    const speak = change.speakToAll === undefined ? '' : change.speakToAll ? '1' : '0';
    return this.#written(await this.#run('updateBreakouts', change.extendS ?? '', speak, now));
  }

  async endBreakouts(): Promise<Breakouts | null> {
    return this.#written(await this.#run('endBreakouts'));
  }

  // ---- producers -----------------------------------------------------------------------------------

  async addProducer(producer: PublishedProducer): Promise<void> {
    this.#store.wrote(this.meetingId, Number(await this.#run('addProducer', JSON.stringify(producer))));
  }

  async removeProducers(producerIds: string[]): Promise<void> {
    if (producerIds.length === 0) return;
    const seq = Number(await this.#run('removeProducers', ...producerIds));
    if (seq > 0) this.#store.wrote(this.meetingId, seq);
  }

  // ---- production ------------------------------------------------------------------------------------

  async production(): Promise<Production> {
    const raw = await this.#store.client.get(`${this.#prefix}prod`);
    return raw ? (JSON.parse(raw) as Production) : structuredClone(NO_PRODUCTION);
  }

  async setProduction(expected: number, next: Omit<Production, 'version'>): Promise<Production | null> {
    const production: Production = { ...next, version: expected + 1 };
    const seq = Number(await this.#run('setProduction', expected, JSON.stringify(production)));
    if (seq === 0) return null;
    this.#store.wrote(this.meetingId, seq);
    return production;
  }

  async addNotice(notice: Notice): Promise<void> {
    await this.#store.client.multi().lPush(`${this.#prefix}no`, JSON.stringify(notice)).lTrim(`${this.#prefix}no`, 0, NOTICES_KEPT - 1).exec();
  }

  async notices(since: number): Promise<Notice[]> {
    const all = await this.#store.client.lRange(`${this.#prefix}no`, 0, -1);
    return all.map((n) => JSON.parse(n) as Notice).filter((n) => n.at >= since).reverse();
  }

  async destroy(): Promise<void> {
    const keys: string[] = [];
    for await (const batch of this.#store.client.scanIterator({ MATCH: `${this.#prefix}*`, COUNT: 500 })) keys.push(...(batch as string[]));
    if (keys.length > 0) await this.#store.client.del(keys);
  }

  close(): void {
    this.#listeners.clear();
    this.#resyncListeners.clear();
    this.#store.unwatch(this);
  }
}
