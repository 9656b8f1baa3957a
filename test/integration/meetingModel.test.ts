/**
 * Model-based tests of the whole meeting (issue 20): random sequences and interleavings of every
 * participant's actions (join, leave, reconnect, hands, invitations and grants, breakouts, speak
 * to all, publishing, recording, polls, questions, the produced broadcast: crew, backstage, the
 * stage, going live, the interpreter's picture; a node's resync) against real nodes, each checked after every
 * command against a model of the meeting (test/helpers/meetingModel/): every answer within the
 * liveness bound, every participant in exactly one session and consuming exactly what it offers,
 * what each was told agreeing with the model, and no serial queue stalled.
 *
 * Shapes: one node (in-memory store), and two signaling nodes sharing Redis (store and adapter)
 * over an SFU node process, with the cast spread over both. Seeds, run counts and bounds: see
 * runModel.ts. A failure prints fast-check's shrunk sequence; each one found is kept as a plain
 * test in meetingModelRegressions.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { SFU_SECRET, startRedis, startSfuNode, type RedisProcess, type SfuNodeProcess } from '../../harness/cluster';
import { until } from '../../harness/wait';
import type { ClusterSfu } from '../../sfu/cluster/ClusterSfu';
import { MODEL_NODE_ENV, checkMeetingModel, modelSettings } from '../helpers/meetingModel/runModel';

/** Long enough for the runs, the shrinking of a failure, and the slow start of a loaded machine. */
const SHAPE_TIMEOUT_MS = modelSettings.timeS * 1000 + 180_000;

const dirs: string[] = [];
const recordingsDir = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-model-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('the meeting model on one node', () => {
  let server: HoinghiServer;
  beforeAll(async () => {
    server = await startServer({ ...MODEL_NODE_ENV, HOINGHI_RECORDINGS_DIR: recordingsDir() });
  });
  afterAll(async () => {
    await server?.close();
  });

  it(
    'agrees with the model after every command of random sequences and interleavings',
    async () => {
      const { runs } = await checkMeetingModel('one', [server]);
      expect(runs).toBeGreaterThan(0);
    },
    SHAPE_TIMEOUT_MS,
  );
});

describe('the meeting model on two signaling nodes sharing Redis', () => {
  let redis: RedisProcess;
  let sfu: SfuNodeProcess;
  const nodes: HoinghiServer[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    sfu = await startSfuNode(redis.url, 'model-sfu');
    for (const id of ['model-sig-a', 'model-sig-b']) {
      nodes.push(
        await startServer({
          ...MODEL_NODE_ENV,
          HOINGHI_RECORDINGS_DIR: recordingsDir(),
          HOINGHI_SFU: 'cluster',
          HOINGHI_REDIS_URL: redis.url,
          HOINGHI_SFU_SECRET: SFU_SECRET,
          HOINGHI_NODE_ID: id,
        }),
      );
    }
    for (const n of nodes) await until(() => (n.sfu as ClusterSfu).clusterStats().nodes.length === 1, { timeoutMs: 30_000, what: 'the SFU node discovered' });
  }, 180_000);
  afterAll(async () => {
    for (const n of nodes) await n.close();
    await sfu?.stop();
    await redis?.stop();
  });

  it(
    'agrees with the model after every command, with the participants spread over both nodes',
    async () => {
      const { runs } = await checkMeetingModel('two', nodes);
      expect(runs).toBeGreaterThan(0);
    },
    SHAPE_TIMEOUT_MS,
  );
});
