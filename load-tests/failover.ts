/**
 * Failover time: from the SIGKILL of a teacher's media server to the first video frame that
 * teacher's Chromium page decodes again (on new receive tracks, without a reload). Repeated for
 * a worker (in-process workers, one viewer per worker) and for an SFU node process (cluster mode,
 * a fresh node started after each kill so that capacity stays).
 *
 * Usage: node --import tsx load-tests/failover.ts [workerRounds=5] [nodeRounds=3]
 * Writes load-tests/results/failover.json.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../signaling/server';
import type { LocalSfu } from '../sfu/LocalSfu';
import type { ClusterSfu } from '../sfu/cluster/ClusterSfu';
import { startServer } from '../harness/server';
import { closeAll, framesOnNewTracks, inboundStats, launchChromium, openAs, trackIds, waitFor } from '../harness/browser';
import { SFU_SECRET, startRedis, startSfuNode, type SfuNodeProcess } from '../harness/cluster';
import { machine, percentile, runBenchmark, writeResult } from './lib';

const WORKER_ROUNDS = Number(process.argv[2] ?? 5);
const NODE_ROUNDS = Number(process.argv[3] ?? 3);
const MEETING = 'bench-failover';
const TEACHER = 'gv-hn-1';

/** Kills, then waits for the teacher's first decoded frame on new tracks; returns the ms. */
async function measure(page: Page, kill: () => void): Promise<number> {
  await waitFor(() => inboundStats(page), (s) => s.framesDecoded > 0, 30_000, 'frames before the kill');
  const old = await trackIds(page);
  const t0 = Date.now();
  kill();
  await waitFor(() => framesOnNewTracks(page, old), (n) => n > 0, 30_000, 'frames after the kill');
  return Date.now() - t0;
}

async function setUp(server: HoinghiServer): Promise<{ browser: Browser; contexts: BrowserContext[]; page: Page }> {
  const browser = await launchChromium();
  const contexts: BrowserContext[] = [];
  const host = await openAs(browser, contexts, server.url, 'bo-truong');
  await host.click('button[data-control="camera"]');
  const page = await openAs(browser, contexts, server.url, TEACHER);
  return { browser, contexts, page };
}

const summary = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return { rounds: s.length, medianMs: percentile(s, 50), minMs: s[0], maxMs: s[s.length - 1], allMs: ms };
};

async function workerFailover(): Promise<ReturnType<typeof summary>> {
  const server = await startServer({ HOINGHI_WORKERS: '3', HOINGHI_VIEWERS_PER_WORKER: '1', HOINGHI_DEMO_MEETING: MEETING });
  const { browser, contexts, page } = await setUp(server);
  const times: number[] = [];
  try {
    const sfu = server.sfu as LocalSfu;
    for (let i = 0; i < WORKER_ROUNDS; i++) {
      const edge = await waitFor(async () => server.sockets.registry.get(MEETING)?.peers.get(TEACHER)?.edgeRoomId ?? null, (e) => e !== null, 30_000, 'placed');
      const pid = sfu.roomWorkerPid(edge!)!;
      if (pid === sfu.roomWorkerPid(MEETING)) throw new Error('teacher on the origin worker');
      times.push(await measure(page, () => process.kill(pid, 'SIGKILL')));
      console.log(`failover: worker round ${i + 1}: ${times[times.length - 1]} ms`);
      await waitFor(async () => sfu.stats().workersAlive, (n) => n === 3, 10_000, 'replacement worker');
    }
  } finally {
    await closeAll(contexts, browser, server);
  }
  return summary(times);
}

async function nodeFailover(): Promise<ReturnType<typeof summary>> {
  const redis = await startRedis();
  const nodes = new Map<string, SfuNodeProcess>();
  let n = 0;
  const addNode = async () => {
    const id = `bench-sfu-${n++}`;
    nodes.set(id, await startSfuNode(redis.url, id, { HOINGHI_VIEWERS_PER_WORKER: '1' }));
  };
  // The origin's node holds the host's own receiving transport; the teacher goes elsewhere.
  for (let i = 0; i < 3; i++) await addNode();
  const server = await startServer({ HOINGHI_SFU: 'cluster', HOINGHI_REDIS_URL: redis.url, HOINGHI_SFU_SECRET: SFU_SECRET, HOINGHI_DEMO_MEETING: MEETING });
  const cluster = server.sfu as ClusterSfu;
  await waitFor(async () => cluster.clusterStats().nodes.length, (k) => k === 3, 10_000, 'nodes');
  const { browser, contexts, page } = await setUp(server);
  const times: number[] = [];
  try {
    for (let i = 0; i < NODE_ROUNDS; i++) {
      const edge = await waitFor(async () => server.sockets.registry.get(MEETING)?.peers.get(TEACHER)?.edgeRoomId ?? null, (e) => e !== null, 30_000, 'placed');
      const nodeId = cluster.nodeOf(edge!)!;
      if (nodeId === cluster.nodeOf(MEETING)) throw new Error('teacher on the origin node');
      times.push(await measure(page, () => nodes.get(nodeId)!.kill()));
      console.log(`failover: node round ${i + 1}: ${times[times.length - 1]} ms`);
      nodes.delete(nodeId);
      await addNode();
      await waitFor(async () => cluster.clusterStats().nodes.length, (k) => k === 3, 10_000, 'replacement node');
    }
  } finally {
    await closeAll(contexts, browser, server);
    await Promise.all([...nodes.values()].map((x) => x.stop()));
    await redis.stop();
  }
  return summary(times);
}

async function main(): Promise<void> {
  const worker = await workerFailover();
  const node = await nodeFailover();
  const file = writeResult('failover', {
    benchmark: 'failover',
    when: new Date().toISOString(),
    machine: machine(),
    command: `node --import tsx load-tests/failover.ts ${WORKER_ROUNDS} ${NODE_ROUNDS}`,
    measured: 'SIGKILL of the teacher\'s worker or SFU node → first decoded video frame on new tracks in the teacher\'s Chromium page (no reload)',
    worker,
    node,
  });
  console.log(`failover: worker median ${worker.medianMs} ms (max ${worker.maxMs}); node median ${node.medianMs} ms (max ${node.maxMs}); wrote ${file}`);
}

runBenchmark(main);
