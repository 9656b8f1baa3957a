/**
 * The cluster that clusterJoins, reconnectStorm and the rehearsal measure: Redis, 2 SFU node
 * processes, 3 signaling processes (Redis store and adapter, cluster SFU). `ClusterProcesses` is
 * that alone; `BenchCluster` adds a pool of bot client processes, a reader of Redis's command count,
 * and a host publishing camera + mic through node 1.
 */
import type { Socket } from 'socket.io-client';
import { BotPool, RedisCounter } from './bots';
import { BENCH_SECRET, publishingHost } from './lib';
import { startRedis, startSfuNode, type RedisProcess, type SfuNodeProcess } from '../harness/cluster';
import { startSignalingNode, type SignalingProcess } from '../harness/signaling';

const SIGNALING_ENV = { HOINGHI_JWT_SECRET: BENCH_SECRET, HOINGHI_JOIN_RATE: '100000', HOINGHI_JOIN_BURST: '100000' };

export interface ClusterOptions {
  /** Added to (or overriding) every signaling process's settings; a function gets the node id. */
  signalingEnv?: Record<string, string> | ((nodeId: string) => Record<string, string>);
  /** Added to (or overriding) every SFU node's settings. Default: no per-worker viewer limit. */
  sfuEnv?: Record<string, string>;
}

/** Redis, SFU nodes sfu-a and sfu-b, signaling nodes sig-1 to sig-3. */
export class ClusterProcesses {
  readonly redis: RedisProcess;
  readonly sfu: SfuNodeProcess[] = [];
  /** The signaling nodes, sig-1 to sig-3 (a restarted one takes its predecessor's place). */
  readonly nodes: SignalingProcess[] = [];
  readonly #opts: ClusterOptions;

  private constructor(redis: RedisProcess, opts: ClusterOptions) {
    this.redis = redis;
    this.#opts = opts;
  }

  /** Starts it all; what started is stopped again if a part fails. */
  static async start(opts: ClusterOptions = {}): Promise<ClusterProcesses> {
    const c = new ClusterProcesses(await startRedis(), opts);
    try {
      for (const id of ['sfu-a', 'sfu-b']) await c.startSfu(id);
      for (const id of ['sig-1', 'sig-2', 'sig-3']) c.nodes.push(await c.#startSignaling(id));
      return c;
    } catch (error) {
      await c.close();
      throw error;
    }
  }

  /** Starts one more SFU node (e.g. in place of one that died). */
  async startSfu(nodeId: string): Promise<SfuNodeProcess> {
    const node = await startSfuNode(this.redis.url, nodeId, { HOINGHI_VIEWERS_PER_WORKER: '100000', ...this.#opts.sfuEnv });
    this.sfu.push(node);
    return node;
  }

  #startSignaling(nodeId: string, extra: Record<string, string> = {}): Promise<SignalingProcess> {
    const env = typeof this.#opts.signalingEnv === 'function' ? this.#opts.signalingEnv(nodeId) : this.#opts.signalingEnv;
    return startSignalingNode(this.redis.url, nodeId, { ...SIGNALING_ENV, ...env, ...extra });
  }

  /** Starts a signaling node again on the port it had (a supervisor restarting it behind the balancer). */
  async restartSignaling(nodeId: string): Promise<SignalingProcess> {
    const i = this.nodes.findIndex((n) => n.nodeId === nodeId);
    if (i < 0) throw new Error(`no signaling node ${nodeId}`);
    const node = await this.#startSignaling(nodeId, { HOINGHI_PORT: new URL(this.nodes[i]!.url).port });
    this.nodes[i] = node;
    return node;
  }

  /** Stops the signaling nodes, the SFU nodes and Redis, in that order. */
  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    await Promise.all(this.sfu.map((n) => n.stop()));
    await this.redis.stop();
  }
}

export class BenchCluster {
  readonly counter: RedisCounter;
  readonly pool: BotPool;
  /** The signaling nodes, sig-1 to sig-3. */
  readonly nodes: SignalingProcess[];
  /** Their URLs, in the same order. */
  readonly urls: string[];
  /** The host's socket (joined and publishing through node 1). */
  readonly host: Socket;
  readonly #processes: ClusterProcesses;

  private constructor(processes: ClusterProcesses, counter: RedisCounter, pool: BotPool, host: Socket) {
    this.#processes = processes;
    this.counter = counter;
    this.pool = pool;
    this.nodes = processes.nodes;
    this.urls = processes.nodes.map((n) => n.url);
    this.host = host;
  }

  /** Starts it all with `clients` bot client processes; what started is stopped again if a part fails. */
  static async start(meetingId: string, clients: number): Promise<BenchCluster> {
    const processes = await ClusterProcesses.start();
    let counter: RedisCounter | undefined;
    let pool: BotPool | undefined;
    try {
      counter = await RedisCounter.open(processes.redis.url);
      pool = BotPool.start(clients);
      return new BenchCluster(processes, counter, pool, await publishingHost(processes.nodes[0]!.url, meetingId));
    } catch (error) {
      await pool?.close();
      await counter?.close();
      await processes.close();
      throw error;
    }
  }

  /** Redis commands per second with nothing happening: 2 s to settle, then 5 s counted (less the reader's own INFO). */
  async idleCommandsPerSecond(): Promise<number> {
    await new Promise((r) => setTimeout(r, 2_000));
    const idle0 = await this.counter.total();
    await new Promise((r) => setTimeout(r, 5_000));
    return ((await this.counter.total()) - idle0 - 1) / 5;
  }

  /** Stops the bot processes, the Redis reader, then every process (the host's socket is the caller's to close). */
  async close(): Promise<void> {
    await this.pool.close();
    await this.counter.close();
    await this.#processes.close();
  }
}
