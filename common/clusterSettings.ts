/**
 * The settings every process of a cluster shares: the Redis it meets in (one Redis, or a Sentinel
 * group), and the secret the signaling processes and the SFU nodes prove to each other. Declared
 * once here; the signaling process takes them all as optional (a single node has neither), an SFU
 * node requires a Redis (a URL or sentinels) and the secret.
 */
import { z } from 'zod';
import { ConfigError, settingDocs } from './env';
import { parseHostPorts, type SentinelSettings } from './redisSentinel';
import type { ReplicaAckOptions } from './replicaAck';

const hostPorts = z
  .string()
  .min(1)
  .refine((v) => {
    try {
      return parseHostPorts(v).length > 0;
    } catch {
      return false;
    }
  }, 'expected host:port,host:port,…');

export const clusterSettings = {
  HOINGHI_REDIS_URL: z
    .string()
    .url()
    .optional()
    .register(settingDocs, {
      doc:
        'Redis of the cluster (`redis://…`). A signaling process keeps meeting state, socket.io\'s adapter and the SFU node ' +
        'directory there; with neither this nor `HOINGHI_REDIS_SENTINELS`, it runs as a single node with its state in memory. ' +
        'An SFU node announces itself and its load there, and needs one of the two.',
      shownDefault: 'unset',
    }),
  HOINGHI_REDIS_SENTINELS: hostPorts.optional().register(settingDocs, {
    doc:
      'Redis behind Sentinel: the sentinels, `host:port,host:port,host:port`. Every process then asks them for the primary at ' +
      'start and on every reconnection, refuses a node that is not a primary (`ROLE`), and follows a failover by itself. ' +
      'Use instead of `HOINGHI_REDIS_URL`\'s host; a `HOINGHI_REDIS_URL` given as well lends only its password and database ' +
      '(docs/operations.md, "Redis failover").',
    type: 'list of `host:port`',
    shownDefault: 'unset: the one Redis of `HOINGHI_REDIS_URL`',
  }),
  HOINGHI_REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .default('hoinghi')
    .register(settingDocs, { doc: 'The name the sentinels monitor the primary under (`sentinel monitor <name> …`).' }),
  HOINGHI_REDIS_WAIT_MS: z.coerce
    .number()
    .int()
    .min(10)
    .max(60_000)
    .default(1_000)
    .register(settingDocs, {
      doc:
        'With sentinels: how long a write a user is told about (a join, a hand, a grant, a question) waits for the replica ' +
        '(`WAIT 1`), ms. Past it the write is acknowledged anyway and logged, and later writes stop waiting until a replica ' +
        'is connected again: the primary carries the meeting alone meanwhile. Without sentinels nothing waits.',
    }),
  HOINGHI_SFU_SECRET: z
    .string()
    .min(32, 'HOINGHI_SFU_SECRET must be at least 32 characters')
    .register(settingDocs, {
      doc:
        'Shared secret of the SFU nodes\' control endpoints: signaling processes and SFU nodes prove it to each other by HMAC, ' +
        'it is never sent. Give every process of the cluster the same one. A signaling process needs it with `HOINGHI_SFU=cluster`.',
    }),
};

/** The same settings with the secret optional too (the signaling process: a single node has none). */
export const optionalClusterSettings = {
  ...clusterSettings,
  HOINGHI_SFU_SECRET: clusterSettings.HOINGHI_SFU_SECRET.optional(),
};

/** Where a process finds the cluster's Redis, and what an acknowledged write must reach first. */
export interface RedisTarget {
  /** The one Redis, or (with `sentinel`) only the credentials and database. */
  url: string | undefined;
  sentinel: SentinelSettings | undefined;
  /** Set with sentinels: a replica is expected, so acknowledged writes wait for it. */
  replicaAck: ReplicaAckOptions | undefined;
}

/** The Redis the settings name; undefined when they name none (a single node). */
export function redisTargetFrom(e: {
  HOINGHI_REDIS_URL?: string | undefined;
  HOINGHI_REDIS_SENTINELS?: string | undefined;
  HOINGHI_REDIS_SENTINEL_NAME: string;
  HOINGHI_REDIS_WAIT_MS: number;
}): RedisTarget | undefined {
  if (e.HOINGHI_REDIS_SENTINELS) {
    return {
      url: e.HOINGHI_REDIS_URL,
      sentinel: { sentinels: parseHostPorts(e.HOINGHI_REDIS_SENTINELS), name: e.HOINGHI_REDIS_SENTINEL_NAME },
      replicaAck: { replicas: 1, timeoutMs: e.HOINGHI_REDIS_WAIT_MS },
    };
  }
  if (e.HOINGHI_REDIS_URL) return { url: e.HOINGHI_REDIS_URL, sentinel: undefined, replicaAck: undefined };
  return undefined;
}

/** As redisTargetFrom, for a process that cannot run without Redis (an SFU node). */
export function requiredRedisTarget(e: Parameters<typeof redisTargetFrom>[0]): RedisTarget {
  const target = redisTargetFrom(e);
  if (!target) throw new ConfigError('a Redis is required: HOINGHI_REDIS_URL or HOINGHI_REDIS_SENTINELS');
  return target;
}
