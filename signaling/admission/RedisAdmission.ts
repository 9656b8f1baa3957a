/**
 * Admission for a cluster: one token bucket and one waiting queue in Redis, shared by every
 * signaling node, each step one atomic Lua script on Redis's clock (redisScripts.ts). The rule is
 * the one in types.ts; `HOINGHI_JOIN_RATE` and `HOINGHI_JOIN_BURST` are then the cluster's.
 * One script call (EVALSHA) per join attempt; one per cancelled ticket.
 */
import { randomUUID } from 'node:crypto';
import { logger } from '../../common/log';
import { closeRedis, connectRedis, type RedisClient } from '../../common/redis';
import { ADMIT, CANCEL, LENGTHS, type Script } from './redisScripts';
import type { Admission, AdmissionLane, AdmissionOptions, AdmitRequest, AdmitResult, QueueLengths } from './types';

const log = logger('admission');

/** The keys of one admission domain; `{…}` is a hash tag: all on one Redis Cluster slot. */
export function admissionKeys(prefix = 'hoinghi:admission'): string[] {
  const tag = `${prefix}:{joins}`;
  return [`${tag}:bucket`, `${tag}:q:rejoin`, `${tag}:q:new`, `${tag}:seen`, `${tag}:arrivals`];
}

export class RedisAdmission implements Admission {
  readonly kind = 'redis';
  readonly options: AdmissionOptions;
  readonly #redis: RedisClient;
  readonly #keys: string[];
  readonly #ownsClient: boolean;

  private constructor(redis: RedisClient, options: AdmissionOptions, keys: string[], ownsClient: boolean) {
    this.#redis = redis;
    this.options = options;
    this.#keys = keys;
    this.#ownsClient = ownsClient;
  }

  /** Connects its own Redis client (or uses the one given, which it then does not close). */
  static async create(redis: string | RedisClient, options: AdmissionOptions, keys = admissionKeys()): Promise<RedisAdmission> {
    const client = typeof redis === 'string' ? await connectRedis(redis, log) : redis;
    // Loaded up front, so that a join storm's first calls do not all fall back to EVAL.
    for (const script of [ADMIT, CANCEL, LENGTHS]) await client.scriptLoad(script.source);
    return new RedisAdmission(client, options, keys, typeof redis === 'string');
  }

  async admit({ ticket, lane }: AdmitRequest): Promise<AdmitResult> {
    const id = ticket ?? randomUUID();
    const o = this.options;
    const reply = (await this.#run(ADMIT, [id, lane, String(o.joinsPerSecond / 1000), String(o.burst), String(o.ticketTtlMs), String(o.maxQueue), String(o.holdMs)])) as [
      number,
      number,
      number,
      string,
    ];
    const [status, rank, eta, held] = reply;
    if (status === 1) return { status: 'admitted' };
    if (status === 2) return { status: 'full' };
    return { status: 'queued', ticket: id, lane: held as AdmissionLane, position: rank + 1, etaMs: Math.max(0, eta) };
  }

  async cancel(ticket: string): Promise<void> {
    await this.#run(CANCEL, [ticket]);
  }

  async queueLengths(): Promise<QueueLengths> {
    const [rejoin, fresh] = (await this.#run(LENGTHS, [String(this.options.ticketTtlMs)])) as [number, number];
    return { rejoin, new: fresh };
  }

  async close(): Promise<void> {
    if (this.#ownsClient) await closeRedis(this.#redis);
  }

  /** EVALSHA, and EVAL once when Redis does not know the script yet (first call, or after a restart). */
  async #run(script: Script, args: string[]): Promise<unknown> {
    const options = { keys: this.#keys, arguments: args };
    try {
      return await this.#redis.evalSha(script.sha1, options);
    } catch (error) {
      // Redis names its error kind in the first word of the reply: the only way to tell this one.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.#redis.eval(script.source, options);
    }
  }
}
