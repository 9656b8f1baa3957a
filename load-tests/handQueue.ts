/**
 * Hand-queue benchmark: N socket.io clients on one node raise and lower hands at a set rate while
 * a host receives the throttled summaries. Reports the latency from a raise to the first host
 * summary that includes it (p50/p99), the server's CPU, and its event-loop delay.
 *
 *   node --import tsx load-tests/handQueue.ts [--clients 5000] [--rate 500] [--seconds 20]
 * The node runs in its own process on 127.0.0.1; the run stops by itself.
 * Writes load-tests/results/hand-queue.json.
 */
import { parseArgs } from 'node:util';
import type { HandQueueSummary } from '../signaling/protocol/events';
import { BENCH_SECRET, botToken, connectBot, cpuSeconds, emitAck, joinBots, machine, metricValue, percentile, runBenchmark, startNode, writeResult } from './lib';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '5000' },
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '20' },
  },
});
const CLIENTS = Number(values.clients);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const MEETING = 'bench-hands';
const token = (sub: string, role: string, province: string | null): string => botToken(MEETING, sub, role, province);
const connect = connectBot;
const emit = emitAck;




async function main(): Promise<void> {
  const node = await startNode({
    HOINGHI_PORT: '0',
    HOINGHI_JWT_SECRET: BENCH_SECRET,
    HOINGHI_WORKERS: '1',
    HOINGHI_RTC_BASE_PORT: '0',
    HOINGHI_JOIN_RATE: '100000',
    HOINGHI_JOIN_BURST: '100000',
    // Every bot connects from 127.0.0.1: lift the per-IP socket caps.
    HOINGHI_MAX_PENDING_PER_IP: '1000000',
    HOINGHI_MAX_SOCKETS_PER_IP: '1000000',
  });
  const pid = node.child.pid!;
  try {
    console.log(`node at ${node.url} (pid ${pid}); connecting ${CLIENTS} clients…`);
    const host = await connect(node.url, token('bench-host', 'host', null));
    const summaries: { seq: number; at: number; total: number }[] = [];
    host.on('handQueue', (s: HandQueueSummary) => summaries.push({ seq: s.seq, at: performance.now(), total: s.total }));
    await emit(host, 'join', { meetingId: MEETING });

    const t0 = performance.now();
    const bots = await joinBots(node.url, MEETING, CLIENTS);
    const joinSeconds = (performance.now() - t0) / 1000;
    console.log(`${CLIENTS} clients joined in ${joinSeconds.toFixed(1)} s; toggling ${RATE}/s for ${SECONDS} s…`);

    await fetch(`${node.url}/metrics`); // resets the event-loop histogram
    const cpu0 = cpuSeconds(pid);
    const selfCpu0 = process.cpuUsage();
    const wall0 = performance.now();
    const raises: { seq: number; sentAt: number }[] = [];
    const raised = new Array<boolean>(CLIENTS).fill(false);
    let errors = 0;
    let sent = 0;
    const total = RATE * SECONDS;
    const interval = 1000 / RATE;
    await new Promise<void>((resolve) => {
      const start = performance.now();
      const tick = (): void => {
        const due = Math.min(total, Math.floor((performance.now() - start) / interval));
        while (sent < due) {
          const i = Math.floor(Math.random() * CLIENTS);
          sent += 1;
          const sentAt = performance.now();
          if (raised[i]) {
            raised[i] = false;
            emit(bots[i]!, 'lowerHand', {}).catch(() => (errors += 1));
          } else {
            raised[i] = true;
            emit<{ seq: number }>(bots[i]!, 'raiseHand', {}).then((r) => raises.push({ seq: r.seq, sentAt }), () => (errors += 1));
          }
        }
        if (sent >= total) resolve();
        else setTimeout(tick, 2);
      };
      tick();
    });
    await new Promise((r) => setTimeout(r, 1_500)); // let the last summary arrive
    const wall = (performance.now() - wall0) / 1000;
    const cpu = cpuSeconds(pid) - cpu0;
    const selfCpu = process.cpuUsage(selfCpu0);
    const metrics = await (await fetch(`${node.url}/metrics`)).text();

    const latencies: number[] = [];
    let s = 0;
    for (const r of raises.sort((a, b) => a.seq - b.seq)) {
      while (s < summaries.length && summaries[s]!.seq < r.seq) s += 1;
      if (s < summaries.length) latencies.push(summaries[s]!.at - r.sentAt);
    }
    latencies.sort((a, b) => a - b);
    const lag = (name: string): number => Math.round((metricValue(metrics, `hoinghi_process_nodejs_eventloop_lag_${name}_seconds`) ?? NaN) * 1e4) / 10;
    const result = {
      benchmark: 'hand queue: raise → host summary',
      date: new Date().toISOString(),
      machine: machine(),
      clients: CLIENTS,
      togglesPerSecond: RATE,
      seconds: SECONDS,
      joinSeconds: Math.round(joinSeconds * 10) / 10,
      toggles: sent,
      raisesMeasured: latencies.length,
      errors,
      summariesReceived: summaries.length,
      summaryIntervalMs: 500,
      latencyMs: {
        p50: Math.round(percentile(latencies, 50)),
        p99: Math.round(percentile(latencies, 99)),
        max: Math.round(latencies.at(-1) ?? NaN),
      },
      serverCpuPercentOfOneCore: Math.round((cpu / wall) * 1000) / 10,
      benchClientCpuPercentOfOneCore: Math.round(((selfCpu.user + selfCpu.system) / 1e6 / wall) * 1000) / 10,
      serverEventLoopDelayMs: { p50: lag('p50'), p99: lag('p99'), max: lag('max') },
    };
    const path = writeResult('hand-queue', result);
    console.log(JSON.stringify(result, null, 2));
    console.log(`→ ${path}`);
    host.close();
    for (const b of bots) b.close();
  } finally {
    await node.stop();
  }
}

runBenchmark(main);
