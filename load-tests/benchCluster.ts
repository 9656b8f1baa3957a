/**
 * The cluster that clusterJoins and reconnectStorm both measure: Redis, 2 SFU node processes,
 * 3 signaling processes (Redis store and adapter, cluster SFU), a pool of bot client processes,
 * a reader of Redis's command count, and a host publishing camera + mic through node 1.
 */
import type { Socket } from 'socket.io-client';
import { BotPool, RedisCounter } from './bots';
import { BENCH_SECRET, publishingHost } from './lib';
import { startRedis, startSfuNode, type RedisProcess, type SfuNodeProcess } from '../test/helpers/cluster';
import { startSignalingNode, type SignalingProcess } from '../test/helpers/signaling';

const SIGNALING_ENV = { HOINGHI_JWT_SECRET: BENCH_SECRET, HOINGHI_JOIN_RATE: '100000', HOINGHI_JOIN_BURST: '100000' };

interface Parts {
  redis: RedisProcess;
  counter: RedisCounter;
  pool: BotPool;
  sfu: SfuNodeProcess[];
  nodes: SignalingProcess[];
}

/** Stops the bot processes, the Redis reader, the signaling nodes, the SFU nodes and Redis, in that order. */
async function stop(p: Parts): Promise<void> {
  await p.pool.close();
  await p.counter.close();
  await Promise.all(p.nodes.map((n) => n.stop()));
  await Promise.all(p.sfu.map((n) => n.stop()));
  await p.redis.stop();
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
  readonly #parts: Parts;

  private constructor(parts: Parts, host: Socket) {
    this.#parts = parts;
    this.counter = parts.counter;
    this.pool = parts.pool;
    this.nodes = parts.nodes;
    this.urls = parts.nodes.map((n) => n.url);
    this.host = host;
  }

  /** Starts it all with `clients` bot client processes; what started is stopped again if a part fails. */
  static async start(meetingId: string, clients: number): Promise<BenchCluster> {
    const redis = await startRedis();
    const parts: Parts = { redis, counter: await RedisCounter.open(redis.url), pool: BotPool.start(clients), sfu: [], nodes: [] };
    try {
      for (const id of ['sfu-a', 'sfu-b']) parts.sfu.push(await startSfuNode(redis.url, id, { HOINGHI_VIEWERS_PER_WORKER: '100000' }));
      for (const id of ['sig-1', 'sig-2', 'sig-3']) parts.nodes.push(await startSignalingNode(redis.url, id, SIGNALING_ENV));
      return new BenchCluster(parts, await publishingHost(parts.nodes[0]!.url, meetingId));
    } catch (error) {
      await stop(parts);
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

  /** Stops every process (the host's socket is the caller's to close). */
  close(): Promise<void> {
    return stop(this.#parts);
  }
}
