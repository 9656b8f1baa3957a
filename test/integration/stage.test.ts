/**
 * The produced broadcast (backstage, stage, crew, interpreter) on one node with the in-memory
 * store, and on two signaling nodes sharing Redis (store and adapter) over an SFU node process:
 * see test/helpers/stageSuite.ts.
 */
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { startServer, type TestSocket } from '../../harness/server';
import { SFU_SECRET, startRedis, startSfuNode, type RedisProcess, type SfuNodeProcess } from '../../harness/cluster';
import { until } from '../../harness/wait';
import type { ClusterSfu } from '../../sfu/cluster/ClusterSfu';
import { stageSuite } from '../helpers/stageSuite';

const open: TestSocket[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

describe('one node', () => {
  let server: HoinghiServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  stageSuite('the stage on one node', () => ({ nodes: [server], open }));
});

describe('two signaling nodes sharing Redis', () => {
  let redis: RedisProcess;
  let sfu: SfuNodeProcess;
  const nodes: HoinghiServer[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    sfu = await startSfuNode(redis.url, 'stage-sfu');
    for (const id of ['stage-sig-a', 'stage-sig-b']) {
      nodes.push(await startServer({ HOINGHI_SFU: 'cluster', HOINGHI_REDIS_URL: redis.url, HOINGHI_SFU_SECRET: SFU_SECRET, HOINGHI_NODE_ID: id }));
    }
    for (const n of nodes) await until(() => (n.sfu as ClusterSfu).clusterStats().nodes.length === 1, { timeoutMs: 30_000, what: 'the SFU node discovered' });
  }, 180_000);
  afterAll(async () => {
    for (const n of nodes) await n.close();
    await sfu?.stop();
    await redis?.stop();
  });
  stageSuite('the stage across two nodes', () => ({ nodes, open }));
});
