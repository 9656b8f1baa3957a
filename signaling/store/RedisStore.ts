/**
 * The cluster meeting store: every signaling node reads and writes the same Redis.
 *
 * Per meeting (keys `hn:m:{id}:…`, one hash tag): the roster hash with counters per session
 * (HINCRBY), one sorted set per session for hands (score = the session's hand sequence number,
 * so raise order is cluster-wide arrival order at Redis) with per-province counters, hashes for
 * speakers and producers, and the breakouts record (deadline as an absolute time). Compound
 * changes are Lua scripts (redisScripts.ts). Events go out on `hn:ev:{id}` from inside the script
 * that made the change, with the meeting's sequence number, so every node sees them in order; a
 * node that sees a gap (or whose subscription reconnected) reloads a snapshot.
 *
 * Signaling nodes heartbeat into `hn:sig` (a sorted set of node id → last beat), so that the
 * survivors can tell a dead node's participants from live ones. One meeting's state is
 * redisMeetingState.ts.
 */
import { createHash, randomUUID } from 'node:crypto';
import os from 'node:os';
import { closeRedis, connectRedis, lastWord, type RedisClient } from '../../common/redis';
import { logger } from '../../common/log';
import { noReplicaAck, replicaAck, type ReplicaAck, type ReplicaAckOptions } from '../../common/replicaAck';
import { SCRIPTS, type ScriptName } from './redisScripts';
import { RedisMeetingState, type RedisLink } from './redisMeetingState';
import type { MeetingState, MeetingStore, SequencedEvent } from './types';

const log = logger('store');

const SIG_NODES = 'hn:sig';
/** A node that has not beaten for this long is dead. */
export const NODE_TTL_MS = 10_000;
const BEAT_MS = 2_000;

/**
 * Scripts whose result a user is told (a join, a hand, a grant, a breakout, a producer): with a
 * replica expected, their write is on the replica before the reply. Reads need nothing; the
 * housekeeping scripts (evictNode, claimDepartures) are run again by the survivors if lost.
 */
const ACKED = new Set<ScriptName>([
  'join', 'leave', 'move', 'raise', 'lower', 'lowerWhere', 'invite', 'accept', 'mute', 'endSpeaker',
  'startBreakouts', 'updateBreakouts', 'endBreakouts', 'addProducer', 'removeProducers',
  'setProduction',
]);

const SHA = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, body]) => [name, createHash('sha1').update(body).digest('hex')]),
) as Record<ScriptName, string>;

type Reply = unknown;

export interface RedisStoreOptions {
  url: string;
  /** This node's id. Default: host name, pid and a random suffix. */
  nodeId?: string;
  connectTimeoutMs?: number;
  /** Replicas an acknowledged write must reach first (Redis behind Sentinel). Unset: none, no WAIT. */
  replicaAck?: ReplicaAckOptions;
}

export class RedisStore implements MeetingStore, RedisLink {
  readonly kind = 'redis';
  readonly nodeId: string;
  readonly client: RedisClient;
  readonly #sub: RedisClient;
  readonly #meetings = new Map<string, RedisMeetingState>();
  readonly #watched = new Map<string, RedisMeetingState>();
  /** Highest event seq this node wrote, per meeting (Meeting.caughtUp waits for it). */
  readonly #lastWritten = new Map<string, number>();
  readonly #acks: ReplicaAck;
  #beat: NodeJS.Timeout | undefined;
  #everReady = false;
  /** When the client's connection last became ready. */
  #readySince = Date.now();

  private constructor(client: RedisClient, sub: RedisClient, nodeId: string, acks: ReplicaAckOptions | undefined) {
    this.client = client;
    this.#sub = sub;
    this.nodeId = nodeId;
    this.#acks = acks ? replicaAck(client, acks, log) : noReplicaAck;
  }

  static async create(options: RedisStoreOptions): Promise<RedisStore> {
    const client = await connectRedis(options.url, log, options.connectTimeoutMs);
    const sub = await connectRedis(options.url, log, options.connectTimeoutMs);
    const nodeId = options.nodeId ?? `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 6)}`;
    const store = new RedisStore(client, sub, nodeId, options.replicaAck);
    client.on('ready', () => {
      store.#readySince = Date.now();
    });
    // After a reconnect (Redis restarted, or the link dropped), events may have been missed.
    sub.on('ready', () => {
      if (!store.#everReady) return;
      log.warn('store subscription reconnected; resyncing meetings');
      for (const m of store.#watched.values()) m.resynced();
    });
    store.#everReady = true;
    await store.#heartbeat();
    store.#beat = setInterval(() => {
      store.#heartbeat().catch((err: unknown) => log.warn({ err: String(err) }, 'heartbeat failed'));
    }, BEAT_MS);
    store.#beat.unref();
    return store;
  }

  async #heartbeat(): Promise<void> {
    const now = Date.now();
    await this.client.zAdd(SIG_NODES, { score: now, value: this.nodeId });
    await this.client.zRemRangeByScore(SIG_NODES, 0, now - 10 * NODE_TTL_MS);
  }

  async run(name: ScriptName, prefix: string, args: string[]): Promise<Reply> {
    const epoch = this.#acks.epoch;
    const reply = await this.#eval(name, prefix, args);
    if (ACKED.has(name)) await this.#acks.confirm(epoch);
    return reply;
  }

  get epoch(): number {
    return this.#acks.epoch;
  }

  confirm(since: number): Promise<void> {
    return this.#acks.confirm(since);
  }

  async #eval(name: ScriptName, prefix: string, args: string[]): Promise<Reply> {
    const options = { keys: [prefix], arguments: args };
    try {
      return await this.client.evalSha(SHA[name], options);
    } catch (error) {
      // The script cache is empty after a Redis restart (or on a promoted replica): send the script itself once.
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return this.client.eval(SCRIPTS[name], options);
      throw error;
    }
  }

  wrote(meetingId: string, seq: number): void {
    if (seq > (this.#lastWritten.get(meetingId) ?? 0)) this.#lastWritten.set(meetingId, seq);
  }

  lastWritten(meetingId: string): number {
    return this.#lastWritten.get(meetingId) ?? 0;
  }

  watch(state: RedisMeetingState): void {
    if (this.#watched.has(state.meetingId)) return;
    this.#watched.set(state.meetingId, state);
    void this.#sub
      .subscribe(state.channel, (message) => {
        let event: SequencedEvent;
        try {
          event = JSON.parse(message) as SequencedEvent;
        } catch {
          return;
        }
        this.#watched.get(state.meetingId)?.deliver(event);
      })
      .catch((err: unknown) => log.warn({ err: String(err), meeting: state.meetingId }, 'subscribe failed'));
  }

  unwatch(state: RedisMeetingState): void {
    if (this.#watched.get(state.meetingId) !== state) return;
    this.#watched.delete(state.meetingId);
    void this.#sub.unsubscribe(state.channel).catch(() => undefined);
  }

  meeting(meetingId: string): MeetingState {
    let m = this.#meetings.get(meetingId);
    if (!m) {
      m = new RedisMeetingState(this, meetingId);
      this.#meetings.set(meetingId, m);
    }
    return m;
  }

  async healthy(): Promise<boolean> {
    try {
      return (await this.client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  /**
   * Nodes whose heartbeat is younger than NODE_TTL_MS. For one TTL after this node's own connection
   * came (back) up, every node seen lately counts as alive: after a Redis failover or restart, the
   * others' last beats are as old as the outage, and they need a beat's time to write again, so
   * judging them then would evict every participant of a live node.
   */
  async aliveNodes(): Promise<string[]> {
    const now = Date.now();
    const since = now - this.#readySince < NODE_TTL_MS ? 0 : now - NODE_TTL_MS;
    return this.client.zRangeByScore(SIG_NODES, since, '+inf');
  }

  async close(): Promise<void> {
    clearInterval(this.#beat);
    this.#acks.close();
    await lastWord(this.client, () => this.client.zRem(SIG_NODES, this.nodeId));
    for (const m of this.#meetings.values()) m.close();
    await Promise.all([closeRedis(this.client), closeRedis(this.#sub)]);
  }
}
