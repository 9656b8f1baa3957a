/**
 * Idle sockets per signaling process: authenticated socket.io clients that `join` one meeting and
 * do nothing else (no transport, as a teacher who never opens media), added in steps against ONE
 * signaling process; at each step the process's resident memory (RSS per socket) and event-loop
 * delay from its /metrics. Run twice: single node with the memory store, and a cluster-mode node
 * (HOINGHI_REDIS_URL: Redis store + socket.io Redis streams adapter) to compare.
 *
 * The clients are spread over several client processes, each sending from its own loopback
 * address (127.0.0.2, 127.0.0.3, …) so no one address runs out of ephemeral ports. The file limit
 * is the ceiling: each process (server and clients) may hold at most `ulimit -n` descriptors
 * (20,000 hard on this machine, not raisable here), so the default top step is 19,500.
 *
 *   node --import tsx load-tests/idleSockets.ts [--steps 2500,5000,10000,15000,19500] [--clients 4] [--modes memory,redis]
 * Writes load-tests/results/idle-sockets.json, idle-sockets.svg (RSS) and idle-sockets-lag.svg
 * (event-loop delay); `--replot` redraws the charts from the JSON.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { BotPool, nodeReadings } from './bots';
import { lineChart } from './chart';
import { BENCH_SECRET, machine, runBenchmark, startNode, writeResult } from './lib';
import { freePort, startRedis } from '../harness/cluster';
import { startSignalingNode } from '../harness/signaling';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '2500,5000,10000,15000,19500' },
    clients: { type: 'string', default: '4' },
    modes: { type: 'string', default: 'memory,redis' },
    concurrency: { type: 'string', default: '200' },
    replot: { type: 'boolean', default: false },
  },
});
const STEPS = values.steps.split(',').map(Number);
const CLIENT_PROCS = Number(values.clients);
const CONCURRENCY = Number(values.concurrency);
const MEETING = 'bench-idle';
const wide = { HOINGHI_JWT_SECRET: BENCH_SECRET, HOINGHI_WORKERS: '1', HOINGHI_JOIN_RATE: '100000', HOINGHI_JOIN_BURST: '100000', HOINGHI_MAX_PARTICIPANTS: '1000000' };

interface Step {
  sockets: number;
  joinSeconds: number;
  rssMiB: number;
  rssPerSocketKiB: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  failed: number;
  /** Sockets the client processes still hold connected, and why the others closed. */
  clientConnected: number;
  disconnects: Record<string, number>;
}

async function measure(mode: string, url: string, metricsUrl = url): Promise<{ command: string; baseRssMiB: number; steps: Step[]; errors: string[] }> {
  const pool = BotPool.start(CLIENT_PROCS);
  const steps: Step[] = [];
  const errors: string[] = [];
  try {
    await new Promise((r) => setTimeout(r, 2_000));
    await nodeReadings(metricsUrl); // resets the event-loop histogram
    await new Promise((r) => setTimeout(r, 2_000));
    const base = await nodeReadings(metricsUrl);
    console.log(`${mode}: empty process ${base.rssMiB} MiB`);
    let have = 0;
    let failed = 0;
    for (const target of STEPS) {
      const t0 = performance.now();
      const reports = await pool.connect({ urls: [url], first: have, count: target - have, meetingId: MEETING, flow: 'join', concurrency: CONCURRENCY });
      const joinSeconds = (performance.now() - t0) / 1000;
      for (const r of reports) {
        failed += r.failed;
        errors.push(...r.errors.slice(0, 2));
      }
      have = target;
      // Idle: let the joins' garbage settle, then read the delay over a quiet window.
      await new Promise((r) => setTimeout(r, 5_000));
      await nodeReadings(metricsUrl);
      await new Promise((r) => setTimeout(r, 5_000));
      const m = await nodeReadings(metricsUrl);
      const status = await pool.status();
      const step: Step = {
        sockets: m.sockets,
        joinSeconds: Math.round(joinSeconds * 10) / 10,
        rssMiB: m.rssMiB,
        // Slope from the first step (the empty process's RSS is start-up garbage, not a baseline).
        rssPerSocketKiB: steps.length
          ? Math.round(((m.rssMiB - steps[0]!.rssMiB) * 1024 * 10) / (m.sockets - steps[0]!.sockets)) / 10
          : Math.round(((m.rssMiB - base.rssMiB) * 1024 * 10) / m.sockets) / 10,
        lagP50Ms: m.lagP50Ms,
        lagP99Ms: m.lagP99Ms,
        lagMaxMs: m.lagMaxMs,
        failed,
        clientConnected: status.connected,
        disconnects: status.disconnects,
      };
      steps.push(step);
      console.log(`${mode}: ${step.sockets} sockets joined (${failed} failed) — RSS ${step.rssMiB} MiB (${step.rssPerSocketKiB} KiB/socket), event-loop delay p50 ${step.lagP50Ms} ms p99 ${step.lagP99Ms} ms max ${step.lagMaxMs} ms; clients hold ${status.connected}, closed by others: ${JSON.stringify(status.disconnects)}`);
    }
    return { command: `node --import tsx load-tests/idleSockets.ts --steps ${values.steps} --clients ${CLIENT_PROCS} --modes ${mode}`, baseRssMiB: base.rssMiB, steps, errors: [...new Set(errors)].slice(0, 5) };
  } finally {
    await pool.close();
  }
}

/** RSS and event-loop delay against sockets, one SVG each. */
function writeCharts(results: Record<string, { steps: Step[] }>): void {
  const series = Object.entries(results);
  fs.writeFileSync(
    'load-tests/results/idle-sockets.svg',
    lineChart({
      title: 'Idle joined sockets on one signaling process: RSS (MiB)',
      xLabel: 'sockets',
      series: series.map(([name, r]) => ({ name, points: r.steps.map((s) => [s.sockets, s.rssMiB] as [number, number]) })),
    }),
  );
  fs.writeFileSync(
    'load-tests/results/idle-sockets-lag.svg',
    lineChart({
      title: 'Idle joined sockets on one signaling process: event-loop delay (ms)',
      xLabel: 'sockets',
      series: series.flatMap(([name, r]) => [
        { name: `${name}: p99`, points: r.steps.map((s) => [s.sockets, s.lagP99Ms] as [number, number]) },
        { name: `${name}: max`, points: r.steps.map((s) => [s.sockets, s.lagMaxMs] as [number, number]) },
      ]),
    }),
  );
}

async function main(): Promise<void> {
  if (values.replot) {
    // Charts again from the last results, without a run.
    writeCharts((JSON.parse(fs.readFileSync('load-tests/results/idle-sockets.json', 'utf8')) as { results: Record<string, { steps: Step[] }> }).results);
    return;
  }
  // A run of some modes keeps the last results of the others.
  const file = 'load-tests/results/idle-sockets.json';
  const results: Record<string, unknown> = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { results: Record<string, unknown> }).results : {};
  const modes = values.modes.split(',');
  if (modes.includes('memory')) {
    const node = await startNode({ ...wide, HOINGHI_PORT: '0', HOINGHI_RTC_BASE_PORT: '0' });
    try {
      results['memory store, single node'] = await measure('memory', node.url);
    } finally {
      await node.stop();
    }
  }
  if (modes.includes('redis')) {
    const redis = await startRedis();
    // In cluster mode /metrics is served on its own port only.
    const metricsPort = await freePort();
    const node = await startSignalingNode(redis.url, 'bench-idle-1', { ...wide, HOINGHI_SFU: 'local', HOINGHI_RTC_BASE_PORT: '0', HOINGHI_METRICS_PORT: String(metricsPort) });
    try {
      results['Redis store + adapter, cluster mode'] = await measure('redis', node.url, `http://127.0.0.1:${metricsPort}`);
    } finally {
      await node.stop();
      await redis.stop();
    }
  }
  const path = writeResult('idle-sockets', {
    benchmark: 'idle sockets per signaling process',
    date: new Date().toISOString(),
    machine: machine(),
    command: 'per mode, in results',
    note: 'each socket: authenticated connect + join, no transport; readings after 5 s settle + a 5 s quiet window; RSS per socket = (RSS − RSS at the first step) / (sockets − sockets at the first step)',
    results,
  });
  writeCharts(results as Record<string, { steps: Step[] }>);
  console.log(`idle-sockets: wrote ${path}, load-tests/results/idle-sockets.svg and idle-sockets-lag.svg`);
}

runBenchmark(main);
