/** Choosing the cluster's Redis from the settings: one Redis, or a Sentinel group; and what waits for a replica. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../signaling/config';
import { loadSfuNodeConfig } from '../../sfu/node/config';
import { parseHostPorts } from '../../common/redisSentinel';

const SECRET = 'cluster-test-secret-cluster-test-secret-0123';

describe('Redis settings', () => {
  it('reads a sentinel list as host:port pairs, IPv6 in brackets included', () => {
    expect(parseHostPorts('10.0.0.1:26379, redis-s2:26380,[fd00::3]:26379')).toEqual([
      { host: '10.0.0.1', port: 26379 },
      { host: 'redis-s2', port: 26380 },
      { host: 'fd00::3', port: 26379 },
    ]);
    for (const bad of ['10.0.0.1', ':26379', '10.0.0.1:0', '10.0.0.1:70000', 'a:b']) expect(() => parseHostPorts(bad), bad).toThrow();
  });

  it('puts a signaling process in cluster mode with sentinels alone, waiting for one replica', () => {
    const c = loadConfig({ HOINGHI_DEMO_SIGNIN: 'true', HOINGHI_REDIS_SENTINELS: '127.0.0.1:26379,127.0.0.1:26380' });
    expect(c.redis).toEqual({
      url: undefined,
      sentinel: { sentinels: [{ host: '127.0.0.1', port: 26379 }, { host: '127.0.0.1', port: 26380 }], name: 'hoinghi' },
      replicaAck: { replicas: 1, timeoutMs: 1000 },
    });
    expect(c.metrics.port).toBe(0);
  });

  it('keeps one Redis as it was: no sentinel, nothing waits for a replica', () => {
    const c = loadConfig({ HOINGHI_DEMO_SIGNIN: 'true', HOINGHI_REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(c.redis).toEqual({ url: 'redis://127.0.0.1:6379', sentinel: undefined, replicaAck: undefined });
    expect(loadConfig({ HOINGHI_DEMO_SIGNIN: 'true' }).redis).toBeUndefined();
  });

  it('stops on a sentinel list that is not host:port pairs, naming it', () => {
    expect(() => loadConfig({ HOINGHI_DEMO_SIGNIN: 'true', HOINGHI_REDIS_SENTINELS: 'sentinel-1' })).toThrow(/HOINGHI_REDIS_SENTINELS/);
  });

  it('lets HOINGHI_SFU=cluster run on sentinels, and an SFU node too; an SFU node with no Redis stops', () => {
    const sentinels = { HOINGHI_REDIS_SENTINELS: '127.0.0.1:26379', HOINGHI_REDIS_SENTINEL_NAME: 'national' };
    expect(loadConfig({ HOINGHI_DEMO_SIGNIN: 'true', HOINGHI_SFU: 'cluster', HOINGHI_SFU_SECRET: SECRET, ...sentinels }).cluster).toBeDefined();
    expect(loadSfuNodeConfig({ HOINGHI_SFU_SECRET: SECRET, ...sentinels }).redis.sentinel?.name).toBe('national');
    expect(() => loadSfuNodeConfig({ HOINGHI_SFU_SECRET: SECRET })).toThrow(ConfigError);
  });
});
