/**
 * Hands across a signaling cluster: N raisers spread over 3 signaling processes (Redis store +
 * socket.io Redis streams adapter), a host on node 1. Raisers toggle hands at a steady rate; the
 * host's node builds summaries from the store's hand sequence numbers (hostFeeds.ts). Reports:
 * raise → first host summary that contains it (p50/p99), Redis commands per hand toggle (the
 * total_commands_processed delta during the toggling, less the idle rate of the same cluster
 * measured just before — the adapter's stream reads and heartbeats), and the host's inbound
 * messages/s (bounded by the summary throttle, not by the toggle rate).
 *
 *   node --import tsx load-tests/clusterHands.ts [--raisers 5000] [--rate 200] [--seconds 15] [--clients 3]
 * Writes load-tests/results/cluster-hands.json.
 */
import { parseArgs } from 'node:util';
import type { HandQueueSummary } from '../signaling/protocol/events';
import { BotPool, RedisCounter, nodeReadings, sum } from './bots';
import { BENCH_SECRET, botToken, connectBot, emitAck, machine, percentile, runBenchmark, writeResult } from './lib';
import { freePort, startRedis } from '../harness/cluster';
import { startSignalingNode, type SignalingProcess } from '../harness/signaling';

const { values } = parseArgs({
  options: {
    raisers: { type: 'string', default: '5000' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '15' },
    clients: { type: 'string', default: '3' },
  },
});
const RAISERS = Number(values.raisers);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const MEETING = 'bench-cluster-hands';
const env = { HOINGHI_JWT_SECRET: BENCH_SECRET, HOINGHI_SFU: 'local', HOINGHI_WORKERS: '1', HOINGHI_RTC_BASE_PORT: '0', HOINGHI_JOIN_RATE: '100000', HOINGHI_JOIN_BURST: '100000' };
const now = (): number => performance.timeOrigin + performance.now();

async function main(): Promise<void> {
  const redis = await startRedis();
  const nodes: SignalingProcess[] = [];
  const pool = BotPool.start(Number(values.clients));
  const counter = await RedisCounter.open(redis.url);
  try {
    // In cluster mode /metrics is off the public port: each node serves it on its own port.
    const metrics: string[] = [];
    for (const id of ['sig-1', 'sig-2', 'sig-3']) {
      const port = await freePort();
      metrics.push(`http://127.0.0.1:${port}`);
      nodes.push(await startSignalingNode(redis.url, id, { ...env, HOINGHI_METRICS_PORT: String(port) }));
    }
    const urls = nodes.map((n) => n.url);
    const host = await connectBot(urls[0]!, botToken(MEETING, 'bench-host', 'host', null));
    await emitAck(host, 'join', { meetingId: MEETING });
    const summaries: { seq: number; at: number }[] = [];
    let hostMessages = 0;
    host.onAny(() => (hostMessages += 1));
    host.on('handQueue', (s: HandQueueSummary) => summaries.push({ seq: s.seq, at: now() }));

    const t0 = performance.now();
    const joined = await pool.connect({ urls, first: 0, count: RAISERS, meetingId: MEETING, flow: 'join', concurrency: 150 });
    const joinSeconds = (performance.now() - t0) / 1000;
    console.log(`${sum(joined.map((r) => r.joined))} raisers joined over 3 signaling nodes in ${joinSeconds.toFixed(1)} s (${sum(joined.map((r) => r.failed))} failed)`);

    // The cluster's idle Redis rate (stream reads, heartbeats), to subtract.
    await new Promise((r) => setTimeout(r, 3_000));
    const idle0 = await counter.total();
    await new Promise((r) => setTimeout(r, 5_000));
    const idlePerS = ((await counter.total()) - idle0 - 1) / 5;
    for (const u of metrics) await nodeReadings(u); // reset event-loop histograms

    const cmd0 = await counter.commands();
    const total0 = await counter.total();
    const msgs0 = hostMessages;
    const w0 = performance.now();
    const reports = await pool.hands(RATE, SECONDS);
    await new Promise((r) => setTimeout(r, 1_500)); // the last summary
    const wall = (performance.now() - w0) / 1000;
    const totalDelta = (await counter.total()) - total0 - 1;
    const cmds = RedisCounter.delta(cmd0, await counter.commands());
    const hostMsgs = hostMessages - msgs0;
    const toggles = sum(reports.map((r) => r.sent));
    const readings = await Promise.all(metrics.map((u) => nodeReadings(u)));

    const raises = reports.flatMap((r) => r.raises).sort((a, b) => a.seq - b.seq);
    const latencies: number[] = [];
    let s = 0;
    for (const r of raises) {
      while (s < summaries.length && summaries[s]!.seq < r.seq) s += 1;
      if (s < summaries.length) latencies.push(summaries[s]!.at - r.sentAt);
    }
    latencies.sort((a, b) => a - b);
    const result = {
      benchmark: 'cluster hands: raise → host summary across 3 signaling processes',
      date: new Date().toISOString(),
      machine: machine(),
      command: `node --import tsx load-tests/clusterHands.ts --raisers ${RAISERS} --rate ${RATE} --seconds ${SECONDS} --clients ${values.clients}`,
      raisers: RAISERS,
      joinSeconds: Math.round(joinSeconds * 10) / 10,
      togglesPerSecond: RATE,
      toggles,
      errors: sum(reports.map((r) => r.errors)),
      raisesMeasured: latencies.length,
      latencyMs: { p50: Math.round(percentile(latencies, 50)), p99: Math.round(percentile(latencies, 99)), max: Math.round(latencies.at(-1) ?? NaN) },
      redis: {
        idleCommandsPerSecond: Math.round(idlePerS),
        commandsDuringToggling: totalDelta,
        commandsPerToggle: Math.round(((totalDelta - idlePerS * wall) / toggles) * 100) / 100,
        byCommand: cmds,
      },
      host: { messagesPerSecond: Math.round((hostMsgs / wall) * 10) / 10, summaries: summaries.length },
      nodes: readings,
    };
    console.log(JSON.stringify(result, null, 2));
    console.log(`cluster-hands: wrote ${writeResult('cluster-hands', result)}`);
    host.close();
  } finally {
    await pool.close();
    await counter.close();
    await Promise.all(nodes.map((n) => n.stop()));
    await redis.stop();
  }
}

runBenchmark(main);
