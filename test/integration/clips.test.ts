/**
 * Clips played from the server (signaling/clips/): on one node with the in-process SFU, and on a
 * signaling node driving an SFU node process (the ingest transport over the node protocol). See
 * test/helpers/clipSuite.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { startServer, type TestSocket } from '../../harness/server';
import { SFU_SECRET, startRedis, startSfuNode, type RedisProcess, type SfuNodeProcess } from '../../harness/cluster';
import { until } from '../../harness/wait';
import type { ClusterSfu } from '../../sfu/cluster/ClusterSfu';
import { clipTests, makeClipsDir } from '../helpers/clipSuite';

const open: TestSocket[] = [];
let root: string;
let clipsDir: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-clips-'));
  clipsDir = makeClipsDir(root);
});
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('clips on one node', () => {
  let server: HoinghiServer;
  beforeAll(async () => {
    server = await startServer({ HOINGHI_CLIPS_DIR: clipsDir });
  });
  afterAll(async () => {
    await server?.close();
  });
  clipTests(() => ({ server, open }), { full: true });
});

describe('clips over an SFU node process', () => {
  let redis: RedisProcess;
  let sfu: SfuNodeProcess;
  let server: HoinghiServer;
  beforeAll(async () => {
    redis = await startRedis();
    sfu = await startSfuNode(redis.url, 'clips-sfu');
    server = await startServer({ HOINGHI_SFU: 'cluster', HOINGHI_REDIS_URL: redis.url, HOINGHI_SFU_SECRET: SFU_SECRET, HOINGHI_NODE_ID: 'clips-sig', HOINGHI_CLIPS_DIR: clipsDir });
    await until(() => (server.sfu as ClusterSfu).clusterStats().nodes.length === 1, { timeoutMs: 30_000, what: 'the SFU node discovered' });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await sfu?.stop();
    await redis?.stop();
  });
  clipTests(() => ({ server, open }), { full: false });
});
