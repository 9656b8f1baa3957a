/**
 * Live captions in one meeting served by two signaling processes over one SFU node and a real
 * redis-server (the Redis caption log, and delivery through the adapter): test/helpers/captionSuite.ts.
 */
import { afterAll, beforeAll } from 'vitest';
import { startRedis, startSfuNode, type RedisProcess, type SfuNodeProcess } from '../../harness/cluster';
import { clusterToken, connectTo, startSignalingNode, type SignalingProcess } from '../../harness/signaling';
import type { TestSocket } from '../../harness/server';
import { captionSuite } from '../helpers/captionSuite';

let redis: RedisProcess;
let sfu: SfuNodeProcess;
const sig: SignalingProcess[] = [];
const open: TestSocket[] = [];

beforeAll(async () => {
  redis = await startRedis();
  sfu = await startSfuNode(redis.url, 'sfu-cap');
  for (const id of ['sig-cap-1', 'sig-cap-2']) sig.push(await startSignalingNode(redis.url, id));
}, 180_000);

afterAll(async () => {
  for (const s of open) s.close();
  await Promise.all(sig.map((n) => n.stop()));
  await sfu?.stop();
  await redis?.stop();
});

captionSuite('two nodes, Redis', () => ({
  connect: (node, claims) => connectTo(sig[node]!.url, clusterToken(claims)),
  open,
}));
