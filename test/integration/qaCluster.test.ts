/**
 * Questions, polls and reactions in one meeting served by two signaling processes over one SFU
 * node and a real redis-server (the Redis store's Lua scripts): see test/helpers/qaSuite.ts.
 */
import { afterAll, beforeAll } from 'vitest';
import { startRedis, startSfuNode, type RedisProcess, type SfuNodeProcess } from '../../harness/cluster';
import { clusterToken, connectTo, startSignalingNode, type SignalingProcess } from '../../harness/signaling';
import type { TestSocket } from '../../harness/server';
import { qaSuite } from '../helpers/qaSuite';

const SUMMARY_MS = 250;
let redis: RedisProcess;
let sfu: SfuNodeProcess;
const sig: SignalingProcess[] = [];
const open: TestSocket[] = [];

beforeAll(async () => {
  redis = await startRedis();
  sfu = await startSfuNode(redis.url, 'sfu-qa');
  for (const id of ['sig-qa-1', 'sig-qa-2']) {
    sig.push(await startSignalingNode(redis.url, id, { HOINGHI_QA_SUMMARY_MS: String(SUMMARY_MS), HOINGHI_QA_PUBLIC_MS: '300', HOINGHI_REACTION_INTERVAL_MS: '200' }));
  }
}, 180_000);

afterAll(async () => {
  for (const s of open) s.close();
  await Promise.all(sig.map((n) => n.stop()));
  await sfu?.stop();
  await redis?.stop();
});

qaSuite('two nodes, Redis', () => ({
  connect: (node, claims) => connectTo(sig[node]!.url, clusterToken(claims)),
  summaryMs: SUMMARY_MS,
  open,
}));
