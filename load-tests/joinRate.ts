/**
 * Join rate: how many viewers per second one signaling node brings from connect to connected
 * receive transport with consumers, against in-process workers and against a cluster of SFU node
 * processes. Bots are real socket.io clients doing the whole join flow (join → recv transport →
 * connect → startConsuming → resume); DTLS parameters are a browser's, so the SFU accepts the
 * connect without a handshake (no media flows here: that is the fan-out benchmark's part).
 * Admission control is opened wide to measure capacity, not the configured rate.
 *
 * Usage: node --import tsx load-tests/joinRate.ts [viewers=1000] [concurrency=50]
 * Writes load-tests/results/join-rate.json.
 */
import { BENCH_SECRET, botToken, connectBot, emitAck, machine, percentile, runBenchmark, startNode, writeResult, type NodeProcess } from './lib';
import { SFU_SECRET, startRedis, startSfuNode } from '../harness/cluster';
import { audioRtpParameters, dtlsParameters, videoRtpParameters } from '../harness/media';
import type { Socket } from 'socket.io-client';

const N = Number(process.argv[2] ?? 1000);
const CONCURRENCY = Number(process.argv[3] ?? 50);
const MEETING = 'bench-join';

const common = {
  HOINGHI_PORT: '0',
  HOINGHI_RTC_BASE_PORT: '0',
  HOINGHI_JWT_SECRET: BENCH_SECRET,
  HOINGHI_JOIN_RATE: '100000',
  HOINGHI_JOIN_BURST: '100000',
  // Every bot connects from 127.0.0.1: lift the per-IP socket caps.
  HOINGHI_MAX_PENDING_PER_IP: '1000000',
  HOINGHI_MAX_SOCKETS_PER_IP: '1000000',
  HOINGHI_VIEWERS_PER_WORKER: '100000',
};

async function publishHost(url: string): Promise<Socket> {
  const s = await connectBot(url, botToken(MEETING, 'bench-host', 'host', null));
  await emitAck(s, 'join', { meetingId: MEETING });
  const t = await emitAck<{ id: string }>(s, 'createTransport', { direction: 'send' });
  await emitAck(s, 'connectTransport', { transportId: t.id, dtlsParameters });
  await emitAck(s, 'produce', { transportId: t.id, kind: 'video', source: 'camera', rtpParameters: videoRtpParameters() });
  await emitAck(s, 'produce', { transportId: t.id, kind: 'audio', source: 'mic', rtpParameters: audioRtpParameters() });
  return s;
}

async function run(label: string, node: NodeProcess): Promise<Record<string, unknown>> {
  const host = await publishHost(node.url);
  const sockets: Socket[] = [];
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const start = performance.now();
  const one = async (i: number): Promise<void> => {
    const t0 = performance.now();
    try {
      const s = await connectBot(node.url, botToken(MEETING, `viewer-${i}`, 'teacher', '01'));
      sockets.push(s);
      const join = await emitAck<{ routerRtpCapabilities: unknown }>(s, 'join', { meetingId: MEETING });
      const t = await emitAck<{ id: string }>(s, 'createTransport', { direction: 'recv' });
      await emitAck(s, 'connectTransport', { transportId: t.id, dtlsParameters });
      const { consumers } = await emitAck<{ consumers: { id: string }[] }>(s, 'startConsuming', { rtpCapabilities: join.routerRtpCapabilities });
      for (const c of consumers) await emitAck(s, 'resumeConsumer', { consumerId: c.id });
      if (consumers.length !== 2) throw new Error(`expected 2 consumers, got ${consumers.length}`);
      latencies.push(performance.now() - t0);
    } catch (error) {
      failures += 1;
      if (failures <= 3) console.error(`${label}: join ${i} failed:`, error instanceof Error ? error.message : error);
    }
  };
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < N) await one(next++);
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  for (const s of sockets) s.close();
  host.close();
  const out = {
    label,
    viewers: N,
    concurrency: CONCURRENCY,
    failures,
    seconds: +seconds.toFixed(2),
    joinsPerSecond: Math.round(latencies.length / seconds),
    latencyMs: { p50: Math.round(percentile(latencies, 50)), p99: Math.round(percentile(latencies, 99)), max: Math.round(latencies[latencies.length - 1] ?? 0) },
  };
  console.log(`${label}: ${out.joinsPerSecond} joins/s (${N} viewers, ${CONCURRENCY} at a time); p50 ${out.latencyMs.p50} ms, p99 ${out.latencyMs.p99} ms; ${failures} failed`);
  return out;
}

async function main(): Promise<void> {
  const results: Record<string, unknown>[] = [];
  const local = await startNode({ ...common, HOINGHI_WORKERS: '2' });
  try {
    results.push(await run('one node, 2 in-process workers', local));
  } finally {
    await local.stop();
  }

  const redis = await startRedis();
  const sfuEnv = { HOINGHI_VIEWERS_PER_WORKER: '100000' };
  const nodes = [await startSfuNode(redis.url, 'bench-sfu-a', sfuEnv), await startSfuNode(redis.url, 'bench-sfu-b', sfuEnv)];
  const clustered = await startNode({ ...common, HOINGHI_SFU: 'cluster', HOINGHI_REDIS_URL: redis.url, HOINGHI_SFU_SECRET: SFU_SECRET });
  try {
    // Both nodes discovered before the run.
    await new Promise((r) => setTimeout(r, 2_000));
    results.push(await run('signaling + 2 SFU node processes (1 worker each)', clustered));
  } finally {
    await clustered.stop();
    await Promise.all(nodes.map((n) => n.stop()));
    await redis.stop();
  }
  const file = writeResult('join-rate', {
    benchmark: 'join-rate',
    when: new Date().toISOString(),
    machine: machine(),
    command: `node --import tsx load-tests/joinRate.ts ${N} ${CONCURRENCY}`,
    note: 'each join: connect → join → recv transport → connect → startConsuming (2 consumers) → resume both; everything on one 2-core machine',
    results,
  });
  console.log(`join-rate: wrote ${file}`);
}

runBenchmark(main);
