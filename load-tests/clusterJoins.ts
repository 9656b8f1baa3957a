/**
 * Joins across a signaling cluster: 3 signaling processes (Redis store + adapter, cluster SFU) over
 * 2 SFU node processes; a host publishes camera + mic through node 1; N viewer bots spread over the
 * 3 nodes do the whole receive flow (join → recv transport → connect → startConsuming → resume).
 * Reports joins/s and Redis commands per join (total_commands_processed delta during the joins,
 * less the cluster's idle rate measured just before) with the per-command breakdown.
 *
 *   node --import tsx load-tests/clusterJoins.ts [--viewers 2000] [--concurrency 60] [--clients 3]
 * Writes load-tests/results/cluster-joins.json.
 */
import { parseArgs } from 'node:util';
import { RedisCounter, sum } from './bots';
import { BenchCluster } from './benchCluster';
import { machine, percentile, runBenchmark, writeResult } from './lib';

const { values } = parseArgs({
  options: {
    viewers: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '60' },
    clients: { type: 'string', default: '3' },
  },
});
const N = Number(values.viewers);
const MEETING = 'bench-cluster-joins';

async function main(): Promise<void> {
  const cluster = await BenchCluster.start(MEETING, Number(values.clients));
  const { counter, pool, urls, host } = cluster;
  try {
    const idlePerS = await cluster.idleCommandsPerSecond();

    const cmd0 = await counter.commands();
    const total0 = await counter.total();
    const w0 = performance.now();
    const reports = await pool.connect({ urls, first: 0, count: N, meetingId: MEETING, flow: 'recv', concurrency: Number(values.concurrency) });
    const wall = (performance.now() - w0) / 1000;
    const totalDelta = (await counter.total()) - total0 - 1;
    const cmds = RedisCounter.delta(cmd0, await counter.commands());
    const joined = sum(reports.map((r) => r.joined));
    const consumers = reports.flatMap((r) => r.consumers);
    const latencies = reports.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
    const result = {
      benchmark: 'cluster joins: 3 signaling processes, 2 SFU node processes, Redis',
      date: new Date().toISOString(),
      machine: machine(),
      command: `node --import tsx load-tests/clusterJoins.ts --viewers ${N} --concurrency ${values.concurrency} --clients ${values.clients}`,
      note: 'each join: connect → join → recv transport → connect → startConsuming → resume each consumer; the host publishes through node 1, so 2/3 of viewers consume across signaling nodes',
      viewers: N,
      joined,
      failed: sum(reports.map((r) => r.failed)),
      errors: [...new Set(reports.flatMap((r) => r.errors))].slice(0, 5),
      viewersWithTwoConsumers: consumers.filter((c) => c === 2).length,
      seconds: Math.round(wall * 10) / 10,
      joinsPerSecond: Math.round(joined / wall),
      latencyMs: { p50: Math.round(percentile(latencies, 50)), p99: Math.round(percentile(latencies, 99)) },
      redis: {
        idleCommandsPerSecond: Math.round(idlePerS),
        commandsDuringJoins: totalDelta,
        commandsPerJoin: Math.round(((totalDelta - idlePerS * wall) / Math.max(1, joined)) * 10) / 10,
        byCommand: cmds,
      },
    };
    console.log(JSON.stringify(result, null, 2));
    console.log(`cluster-joins: wrote ${writeResult('cluster-joins', result)}`);
    host.close();
  } finally {
    await cluster.close();
  }
}

runBenchmark(main);
