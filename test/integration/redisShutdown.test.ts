/**
 * A node told to stop while Redis is away stops. node-redis's quit() and close() stop the
 * reconnect loop and then wait for replies: called between reconnect attempts (Redis restarting,
 * a failover, a link down) nothing ever answers and the promise never settles. Found from outside:
 * a test that restarted Redis and then closed the node hung in its teardown, one Redis user or
 * another each time (whichever client was still in its reconnect back-off).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import type { ClusterSfu } from '../../sfu/cluster/ClusterSfu';
import { startServer } from '../../harness/server';
import { SFU_SECRET, startRedis, startSfuNode, stopChild, type RedisProcess, type SfuNodeProcess } from '../../harness/cluster';
import { until } from '../../harness/wait';

let redis: RedisProcess | undefined;
let node: SfuNodeProcess | undefined;
let server: HoinghiServer | undefined;

afterEach(async () => {
  if (node) await stopChild(node.child);
  await redis?.stop();
  node = undefined;
  server = undefined;
  redis = undefined;
});

const exitOf = (child: SfuNodeProcess['child']) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

describe('stopping while Redis is away', () => {
  it('a signaling node in cluster mode closes, and an SFU node exits by itself on SIGTERM', async () => {
    redis = await startRedis();
    node = await startSfuNode(redis.url, 'sfu-a');
    server = await startServer({ HOINGHI_SFU: 'cluster', HOINGHI_REDIS_URL: redis.url, HOINGHI_SFU_SECRET: SFU_SECRET });
    const s = server;
    await until(() => (s.sfu as ClusterSfu).clusterStats().nodes.length === 1, { timeoutMs: 20_000, what: 'the SFU node discovered' });

    await redis.stop();
    // Every Redis user of the node is now between reconnect attempts.
    await until(async () => (await fetch(`${s.url}/readyz`)).status === 503, { timeoutMs: 20_000, what: 'the node not ready without Redis' });

    // Settles (before: never, from whichever client was waiting for Redis).
    await s.close();

    // The SFU node's own shutdown ends with exit code 0, not with the harness's SIGKILL 5 s later.
    const exited = exitOf(node.child);
    node.child.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
  }, 60_000);
});
