/**
 * Reconnect storm: N viewer bots (receive flow) over 3 signaling processes (2 SFU node processes,
 * Redis); a host publishes through node 1. Node 3 is killed with SIGKILL; its bots reconnect to the
 * surviving nodes (as a balancer would) with jittered exponential back-off and run the join flow
 * again. Reports the time from the kill until 50/90/99 % of them consume again, and the peak Redis
 * commands/s during the storm (INFO polled every 100 ms).
 *
 *   node --import tsx load-tests/reconnectStorm.ts [--viewers 5000] [--concurrency 60] [--clients 3] [--backoff 2000]
 * Writes load-tests/results/reconnect-storm.json.
 */
import { parseArgs } from 'node:util';
import { sum } from './bots';
import { BenchCluster } from './benchCluster';
import { machine, percentile, runBenchmark, writeResult } from './lib';

const { values } = parseArgs({
  options: {
    viewers: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '60' },
    clients: { type: 'string', default: '3' },
    backoff: { type: 'string', default: '2000' },
  },
});
const N = Number(values.viewers);
const MEETING = 'bench-storm';
const now = (): number => performance.timeOrigin + performance.now();

async function main(): Promise<void> {
  const cluster = await BenchCluster.start(MEETING, Number(values.clients));
  const { counter, pool, nodes, urls, host } = cluster;
  try {
    // The initial joins double as the cluster's receive-flow join rate (socket.io bots, no media).
    const idlePerS = await cluster.idleCommandsPerSecond();
    const j0 = await counter.total();
    const jt0 = performance.now();
    const joined = await pool.connect({ urls, first: 0, count: N, meetingId: MEETING, flow: 'recv', concurrency: Number(values.concurrency) });
    const joinWall = (performance.now() - jt0) / 1000;
    const joinCommands = (await counter.total()) - j0 - 1;
    const joinedCount = sum(joined.map((r) => r.joined));
    const joinLatencies = joined.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
    const initialJoins = {
      seconds: Math.round(joinWall * 10) / 10,
      joinsPerSecond: Math.round(joinedCount / joinWall),
      latencyMs: { p50: Math.round(percentile(joinLatencies, 50)), p95: Math.round(percentile(joinLatencies, 95)), p99: Math.round(percentile(joinLatencies, 99)) },
      redisIdleCommandsPerSecond: Math.round(idlePerS),
      redisCommandsPerJoin: Math.round(((joinCommands - idlePerS * joinWall) / Math.max(1, joinedCount)) * 10) / 10,
    };
    console.log(`${joinedCount} viewers consuming over 3 signaling nodes (${sum(joined.map((r) => r.failed))} failed): ${JSON.stringify(initialJoins)}`);
    await new Promise((r) => setTimeout(r, 3_000));

    // Redis commands/s, every 100 ms, from just before the kill to the end of the storm.
    const rates: number[] = [];
    const instantaneous: number[] = [];
    let last = await counter.total();
    let lastAt = performance.now();
    let polling = true;
    const poller = (async () => {
      while (polling) {
        await new Promise((r) => setTimeout(r, 100));
        const sample = await counter.sample();
        const at = performance.now();
        rates.push(((sample.total - last - 1) * 1000) / (at - lastAt));
        instantaneous.push(sample.instantaneousOpsPerSec);
        last = sample.total;
        lastAt = at;
      }
    })();

    const dead = nodes[2]!;
    const survivors = urls.slice(0, 2);
    const storm = pool.storm(dead.url, survivors, Number(values.backoff));
    await new Promise((r) => setTimeout(r, 500));
    const killedAt = now();
    dead.kill();
    const reports = await storm;
    polling = false;
    await poller;

    const affected = sum(reports.map((r) => r.affected));
    const stages = reports.flatMap((r) => r.stages);
    const stage = (xs: number[]) => {
      const sorted = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
      return { p50: Math.round(percentile(sorted, 50)), p90: Math.round(percentile(sorted, 90)), p99: Math.round(percentile(sorted, 99)) };
    };
    const after = reports.flatMap((r) => r.rejoinedAt.map((at) => at - killedAt)).sort((a, b) => a - b);
    const consuming = reports.flatMap((r) => r.consumersAfter).filter((c) => c === 2).length;
    const at = (p: number): number => Math.round(after[Math.ceil((p / 100) * affected) - 1] ?? NaN);
    const result = {
      benchmark: 'reconnect storm: one of 3 signaling processes killed with SIGKILL',
      date: new Date().toISOString(),
      machine: machine(),
      command: `node --import tsx load-tests/reconnectStorm.ts --viewers ${N} --concurrency ${values.concurrency} --clients ${values.clients} --backoff ${values.backoff}`,
      viewers: N,
      connectedBeforeKill: joinedCount,
      initialJoins,
      affected,
      rejoined: after.length,
      rejoinedConsumingBoth: consuming,
      failed: sum(reports.map((r) => r.failed)),
      attempts: sum(reports.map((r) => r.attempts)),
      msFromKillUntil: { '50%': at(50), '90%': at(90), '99%': at(99), all: Math.round(after.at(-1) ?? NaN) },
      rejoinLatencyP50Ms: Math.round(percentile(after, 50)),
      // Where the time goes, per rejoin (ms; p50 / p90 / p99 over the rejoins).
      stagesMs: {
        killToSocketClosed: stage(stages.map((x) => x.closedAt - killedAt)),
        closedToSuccessfulAttempt: stage(stages.map((x) => x.attemptAt - x.closedAt)),
        connect: stage(stages.map((x) => x.connectedAt - x.attemptAt)),
        join: stage(stages.map((x) => x.joinedAt - x.connectedAt)),
        transportAndConsume: stage(stages.map((x) => x.consumingAt - x.joinedAt)),
      },
      attemptErrors: Object.fromEntries(reports.flatMap((r) => Object.entries(r.attemptErrors))),
      redisCommandsPerSecond: {
        note: 'peak: total_commands_processed delta over each 100 ms poll; instantaneousPeak: the highest instantaneous_ops_per_sec Redis reported (its own ~1.6 s sliding estimate)',
        peak: Math.round(Math.max(...rates)),
        median: Math.round(percentile([...rates].sort((a, b) => a - b), 50)),
        instantaneousPeak: Math.max(...instantaneous),
      },
    };
    console.log(JSON.stringify(result, null, 2));
    console.log(`reconnect-storm: wrote ${writeResult('reconnect-storm', result)}`);
    host.close();
  } finally {
    await cluster.close();
  }
}

runBenchmark(main);
