/**
 * The URL a process's Redis clients connect to, made once at start-up from its settings: the one
 * Redis of HOINGHI_REDIS_URL as it is, or, with sentinels, the loopback router that always leads
 * to the current primary (redisSentinel.ts). Every Redis user of the process (meeting store,
 * admission, socket.io adapter, SFU topology, HLS index, readiness) connects to this URL.
 */
import type { RedisTarget } from './clusterSettings';
import type { Logger } from './log';
import type { ReplicaAckOptions } from './replicaAck';
import { SentinelRouter } from './redisSentinel';

export interface RedisEndpoint {
  url: string;
  /** Set when a replica is expected: what an acknowledged write must reach first. */
  replicaAck: ReplicaAckOptions | undefined;
  close(): Promise<void>;
}

export async function openRedisEndpoint(target: RedisTarget, log: Logger): Promise<RedisEndpoint> {
  if (!target.sentinel) {
    if (!target.url) throw new Error('no Redis: neither a URL nor sentinels');
    return { url: target.url, replicaAck: undefined, close: async () => undefined };
  }
  const router = await SentinelRouter.start({ ...target.sentinel, ...credentials(target.url), log });
  return { url: router.url(target.url), replicaAck: target.replicaAck, close: () => router.close() };
}

function credentials(url: string | undefined): { username?: string; password?: string } {
  if (!url) return {};
  const u = new URL(url);
  return {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
}
