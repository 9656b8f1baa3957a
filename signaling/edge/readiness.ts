/**
 * Probes for the load balancer and an orchestrator: `/healthz` says the process is alive (its
 * event loop answers); `/readyz` says this node should get new connections: Redis answers (when
 * configured), the SFU is reachable (in-process workers alive, or SFU nodes known in cluster mode)
 * and the node is not draining. A failed check answers 503 with the reason.
 */
import type { RedisClient } from '../../common/redis';
import type { SfuControl } from '../../sfu/types';

const REDIS_PING_TIMEOUT_MS = 1_000;

export interface ReadinessDeps {
  sfu: SfuControl;
  redis: RedisClient | null;
  draining: () => boolean;
}

export interface Readiness {
  ready: boolean;
  /** Why not, when not ready: `draining`, `redis_unreachable` or `sfu_unreachable`. */
  reason?: 'draining' | 'redis_unreachable' | 'sfu_unreachable';
  checks: { draining: boolean; redis: 'ok' | 'unreachable' | 'not_configured'; sfu: { workersAlive: number; nodes?: number } };
}

export async function readiness(deps: ReadinessDeps): Promise<Readiness> {
  const draining = deps.draining();
  const redis = deps.redis ? ((await pingRedis(deps.redis)) ? 'ok' : 'unreachable') : 'not_configured';
  const { workersAlive } = deps.sfu.stats();
  const nodes = 'clusterStats' in deps.sfu ? (deps.sfu as unknown as { clusterStats(): { nodes: string[] } }).clusterStats().nodes.length : undefined;
  const sfuOk = workersAlive > 0 && (nodes === undefined || nodes > 0);
  const checks: Readiness['checks'] = { draining, redis, sfu: nodes === undefined ? { workersAlive } : { workersAlive, nodes } };
  if (draining) return { ready: false, reason: 'draining', checks };
  if (redis === 'unreachable') return { ready: false, reason: 'redis_unreachable', checks };
  if (!sfuOk) return { ready: false, reason: 'sfu_unreachable', checks };
  return { ready: true, checks };
}

async function pingRedis(client: RedisClient): Promise<boolean> {
  if (!client.isReady) return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      client.ping().then((r) => r === 'PONG'),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), REDIS_PING_TIMEOUT_MS);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
