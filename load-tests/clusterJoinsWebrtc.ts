/**
 * Cluster join rate with real WebRTC viewers: HAProxy (deploy/haproxy.ts, as start-cluster.sh runs
 * it) in front of 3 signaling processes (Redis store + adapter, cluster SFU) over 2 SFU node
 * processes. A host bot publishes a looped VP8 + Opus clip over real WebRTC (harness/webrtcPublisher.ts)
 * through the balancer; N viewer bots (bots/webrtcViewer: node-datachannel ICE, DTLS, SRTP, RTCP)
 * spread over client processes join through the balancer, at most `concurrency` at once. Each
 * viewer counts from the start of its join (socket connect) to the DTLS handshake done with every
 * consumer resumed, and to its first RTP packet.
 *
 * Reports joins/s (viewers receiving RTP ÷ time from the first join's start to the last first
 * packet), p50/p95/p99 of both times, Redis commands per join (total_commands_processed during the
 * joins less the cluster's idle rate measured just before), how the balancer spread the sockets,
 * and whether media still flows to every viewer afterwards.
 *
 *   node --import tsx load-tests/clusterJoinsWebrtc.ts [--viewers 150] [--concurrency 12] [--clients 3]
 * Writes load-tests/results/cluster-joins-webrtc-<viewers>-c<concurrency>.json.
 */
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { RedisCounter, sum } from './bots';
import { BENCH_SECRET, botToken, machine, metricValue, percentile, runBenchmark, writeResult } from './lib';
import { WebRtcPublisher } from '../harness/webrtcPublisher';
import type { ViewerTiming, WebRtcCommand, WebRtcReport } from './webrtcBotWorker';
import { freePort, startRedis, startSfuNode, type SfuNodeProcess } from '../harness/cluster';
import { startHaproxy } from '../harness/haproxy';
import { startSignalingNode, type SignalingProcess } from '../harness/signaling';
import { BENCH_CLIP, ensureBenchClip } from '../harness/benchClip';
import { setTimeout as sleep } from 'node:timers/promises';

const { values } = parseArgs({
  options: {
    viewers: { type: 'string', default: '150' },
    concurrency: { type: 'string', default: '12' },
    clients: { type: 'string', default: '3' },
  },
});
const N = Number(values.viewers);
const CLIENTS = Number(values.clients);
const CONCURRENCY = Number(values.concurrency);
const MEETING = 'bench-cluster-webrtc';
const CLIP = BENCH_CLIP;

function ask<T extends WebRtcReport['type']>(w: ChildProcess, c: WebRtcCommand, until: T): Promise<Extract<WebRtcReport, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (r: WebRtcReport): void => {
      if (r.type !== until) return;
      w.off('message', onMessage);
      w.off('exit', onExit);
      resolve(r as Extract<WebRtcReport, { type: T }>);
    };
    const onExit = (code: number | null): void => reject(new Error(`viewer process exited with ${code}`));
    w.on('message', onMessage);
    w.once('exit', onExit);
    w.send(c);
  });
}

const pct = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: Math.round(percentile(s, 50)), p95: Math.round(percentile(s, 95)), p99: Math.round(percentile(s, 99)), max: Math.round(s.at(-1) ?? NaN) };
};

async function main(): Promise<void> {
  ensureBenchClip();
  const redis = await startRedis();
  const sfu: SfuNodeProcess[] = [];
  const nodes: SignalingProcess[] = [];
  const metricsUrls: string[] = [];
  const counter = await RedisCounter.open(redis.url);
  const workers = Array.from({ length: CLIENTS }, () =>
    fork('load-tests/webrtcBotWorker.ts', [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  let host: WebRtcPublisher | null = null;
  let haproxy: Awaited<ReturnType<typeof startHaproxy>> | null = null;
  try {
    for (const id of ['sfu-a', 'sfu-b']) sfu.push(await startSfuNode(redis.url, id));
    for (const id of ['sig-1', 'sig-2', 'sig-3']) {
      const metricsPort = await freePort();
      metricsUrls.push(`http://127.0.0.1:${metricsPort}/metrics`);
      nodes.push(
        await startSignalingNode(redis.url, id, {
          HOINGHI_JWT_SECRET: BENCH_SECRET,
          // Raw capacity: admission (the cluster's token bucket) must not be what is measured.
          HOINGHI_JOIN_RATE: '100000',
          HOINGHI_JOIN_BURST: '100000',
          HOINGHI_TRUSTED_PROXIES: '127.0.0.1',
          HOINGHI_METRICS_PORT: String(metricsPort),
        }),
      );
    }
    haproxy = await startHaproxy(nodes.map((n) => new URL(n.url).host));
    for (const n of nodes) await haproxy.waitFor(new URL(n.url).host, 'UP');
    const entry = haproxy.url;

    host = await WebRtcPublisher.start({ url: entry, token: botToken(MEETING, 'bench-host', 'host', null), meetingId: MEETING, clip: CLIP });
    const until = Date.now() + 20_000;
    while (host.stats().forwarded < 100) {
      if (Date.now() > until) throw new Error('the publisher bot forwards nothing');
      await sleep(100);
    }
    console.log('host publishing through the balancer');

    await sleep(2_000);
    const idle0 = await counter.total();
    await sleep(5_000);
    const idlePerS = ((await counter.total()) - idle0 - 1) / 5;

    const cmd0 = await counter.commands();
    const total0 = await counter.total();
    const w0 = performance.now();
    const per = Math.ceil(N / CLIENTS);
    const reports = await Promise.all(
      workers.map((w, k) =>
        ask(w, { type: 'join', url: entry, meetingId: MEETING, first: k * per, count: Math.max(0, Math.min(per, N - k * per)), concurrency: Math.max(1, Math.round(CONCURRENCY / CLIENTS)), province: '01' }, 'joined'),
      ),
    );
    const wall = (performance.now() - w0) / 1000;
    const totalDelta = (await counter.total()) - total0 - 1;
    const cmds = RedisCounter.delta(cmd0, await counter.commands());

    const timings: ViewerTiming[] = reports.flatMap((r) => r.timings);
    const joined = timings.length;
    const firstStart = Math.min(...timings.map((t) => t.startedAt));
    const lastRtp = Math.max(...timings.map((t) => t.firstRtpAt));
    const joinSeconds = (lastRtp - firstStart) / 1000;

    // Media still flowing to every viewer: RTP received over 3 s.
    const s0 = await Promise.all(workers.map((w) => ask(w, { type: 'stats' }, 'stats')));
    await sleep(3_000);
    const s1 = await Promise.all(workers.map((w) => ask(w, { type: 'stats' }, 'stats')));
    const rtpPerViewerPerS = (sum(s1.map((s) => s.rtpPackets)) - sum(s0.map((s) => s.rtpPackets))) / 3 / Math.max(1, joined);
    const rtpTotal = sum(s1.map((s) => s.rtpPackets));
    const gapsTotal = sum(s1.map((s) => s.gaps));

    const perNode = await Promise.all(metricsUrls.map(async (u) => metricValue(await (await fetch(u)).text(), 'hoinghi_connected_sockets') ?? NaN));
    const result = {
      benchmark: 'cluster joins with real WebRTC viewers: HAProxy → 3 signaling processes → 2 SFU node processes, Redis',
      date: new Date().toISOString(),
      machine: machine(),
      loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10),
      command: `node --import tsx load-tests/clusterJoinsWebrtc.ts --viewers ${N} --concurrency ${CONCURRENCY} --clients ${CLIENTS}`,
      note: 'each viewer: socket.io connect through HAProxy → join → recv transport → startConsuming → SDP → connectTransport → ICE + DTLS (node-datachannel) → resume each consumer → first RTP packet; the host publishes VP8 550 kbit/s + Opus over real WebRTC through the balancer; admission set out of the way (HOINGHI_JOIN_RATE 100000)',
      viewers: N,
      clientProcesses: CLIENTS,
      concurrency: CONCURRENCY,
      joined,
      failed: sum(reports.map((r) => r.failed)),
      errors: [...new Set(reports.flatMap((r) => r.errors))].slice(0, 5),
      seconds: Math.round(joinSeconds * 10) / 10,
      joinsPerSecond: Math.round((joined / joinSeconds) * 10) / 10,
      // ICE + DTLS up and every consumer resumed (the first RTP may arrive before the last resume's answer).
      msToConnectedAndResumed: pct(timings.map((t) => t.connectedAt - t.startedAt)),
      msToFirstRtp: pct(timings.map((t) => t.firstRtpAt - t.startedAt)),
      rtpPacketsPerViewerPerSecondAfter: Math.round(rtpPerViewerPerS),
      // Sequence gaps over packets received since each viewer's first (loss before retransmission).
      lossPercentSinceJoin: Math.round((gapsTotal / Math.max(1, rtpTotal + gapsTotal)) * 1000) / 10,
      socketsPerSignalingNode: perNode,
      redis: {
        idleCommandsPerSecond: Math.round(idlePerS),
        commandsDuringJoins: totalDelta,
        commandsPerJoin: Math.round(((totalDelta - idlePerS * wall) / Math.max(1, joined)) * 10) / 10,
        byCommand: cmds,
      },
    };
    console.log(JSON.stringify(result, null, 2));
    console.log(`cluster-joins-webrtc: wrote ${writeResult(`cluster-joins-webrtc-${N}-c${CONCURRENCY}`, result)}`);
  } finally {
    await Promise.all(
      workers.map(async (w) => {
        if (w.exitCode !== null) return;
        const exited = new Promise((r) => w.once('exit', r));
        w.send({ type: 'close' } satisfies WebRtcCommand);
        setTimeout(() => w.kill('SIGKILL'), 10_000).unref();
        await exited;
      }),
    );
    host?.close();
    await counter.close();
    await haproxy?.stop();
    await Promise.all(nodes.map((n) => n.stop()));
    await Promise.all(sfu.map((n) => n.stop()));
    await redis.stop();
  }
}

runBenchmark(main);
