/**
 * What one receive-only teacher costs the SFU, every lever in one run (one file of ~440 lines on
 * purpose: the phases share their set-up so that their ratios compare like with like).
 *
 * Phases, each on a fresh worker pinned to core 0 (this process, the bots and ffmpeg share the
 * other cores), in one run so that the ratios compare like with like:
 * - the raw loopback UDP send ceiling (udpkit, sendmmsg ×32, 1200-byte datagrams), packets/s per core;
 * - plain SRTP sinks (PlainTransport, AES-GCM, no RTCP back) against node-datachannel WebRTC
 *   viewers (ICE/DTLS/SRTP, receiver reports, NACK, transport-cc feedback every 100 ms or REMB),
 *   today's profile, on the unpatched (upstream 3.12.16) and the patched worker;
 * - the mass-audience levers on the patched worker with WebRTC viewers, each alone and together:
 *   Opus in 60 ms frames with DTX, the middle simulcast layer (360p, 500 kbps) instead of the top one
 *   (720p, 1.2 Mbps: what a consumer gets today, mediasoup's default preferred layer), REMB instead
 *   of transport-cc; and all together on the unpatched worker too;
 * - the patched worker with batching off (HOINGHI_WORKER_SEND_BATCH=false), today's profile.
 *
 * The layers are single-encoding clips at each layer's resolution and bitrate (the publisher bot
 * sends no simulcast): what a viewer of that layer receives. DTX is emulated by the publisher bot
 * (ffmpeg's libopus has no DTX switch): one packet every 400 ms while the clip's audio is silent
 * (1.5 s of every 5 s, an assumption about a teacher's speech pauses).
 *
 * Per phase: the worker's CPU with the publisher alone (base), then with N viewers; the marginal
 * CPU per viewer is (cpu − base) / N. RTP packets/s received by the viewers, per core-second of the
 * worker, as a fraction of the loopback ceiling.
 *
 * Usage: node --import tsx load-tests/viewerCost.ts [viewers=100] [windowSeconds=6] [reps=1]
 * Needs both worker binaries: the patched one installed (scripts/build-worker.sh) and the upstream
 * one in the cache (HOINGHI_WORKER_VARIANT=upstream scripts/build-worker.sh, or UPSTREAM_WORKER=path).
 * Writes load-tests/results/viewer-cost.json and viewer-cost.svg.
 *
 * PLAN=mass,massNoBwe (profile keys, comma-separated) measures only those profiles, WebRTC bots
 * on the installed worker, interleaved per rep, into viewer-cost-<plan>.json. massNoBwe20 is the
 * mass audience with a lighter middle layer (640×360, 20 fps, 350 kbps: clip layer 360p20), to
 * compare with massNoBwe (640×360, 30 fps, 500 kbps) in one run.
 *
 * RPS=1 measures each phase twice, interleaved, with the receiving side's kernel work on the
 * worker's core (as loopback does: the NET_RX softirq runs in the sender's context) and off it (as
 * a NIC would: the viewers are other machines), and reports the paired ratio. The benchmark then
 * re-executes itself in a private network namespace (`unshare --net --mount`, root; see
 * load-tests/netns.ts) and toggles Receive Packet Steering on its private loopback between
 * rps_cpus=0 and the mask of every core but 0. The machine's own loopback is never touched. Each
 * phase also records NET_RX softirqs and softirq time per CPU (machine-wide counters) over its
 * window, the check that RPS moves the receive side off core 0. Files get a "-rps" suffix, e.g.
 *   RPS=1 PLAN=mass,massNoBwe flock /tmp/hoinghi-heavy.lock node --import tsx load-tests/viewerCost.ts 100 6 4
 *
 * A/B of two patched workers (the per-packet patches 0011+ of scripts/worker-patches):
 * BASELINE_WORKER=<path of the worker before the patches> runs only WebRTC viewers, today's and the
 * mass-audience profile, the baseline against the installed worker, interleaved, and writes
 * viewer-cost-ab.json / viewer-cost-ab.svg instead (e.g. the main branch's cached worker:
 * BASELINE_WORKER=$(cd /work/main && scripts/build-worker.sh --print-bin)).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { cpuSeconds, machine, runBenchmark, writeResult } from './lib';
import { BenchNode, CORES, pinWorker, WORKER_PINNED } from './benchServer';
import { barChart } from './chart';
import { buildUdpkit, Receiver, udpCeiling } from './udpkit';
import { createMediaRouter } from '../sfu/mediaCodecs';
import { freePort } from '../harness/cluster';
import { clipPath, makeClips, type Ptime, type VideoLayer } from './viewerClips';
import { inPrivateNetns, maskOfCoresBut0, reexecInPrivateNetns, setRps, setUpPrivateLoopback, softirqSnap } from './netns';
import { setTimeout as sleep } from 'node:timers/promises';

const VIEWERS = Number(process.argv[2] ?? 100);
const WINDOW_S = Number(process.argv[3] ?? 6);
const REPS = Number(process.argv[4] ?? 1);
const MEETING = 'bench-viewer-cost';
const BASELINE = process.env.BASELINE_WORKER;
/** RPS=1: every phase with the loopback receive side on the worker's core and off it (see the usage above). */
const RPS = process.env.RPS === '1';
const NAME = (process.env.PLAN ? `viewer-cost-${process.env.PLAN.replace(/[^A-Za-z0-9]+/g, '-')}` : BASELINE ? 'viewer-cost-ab' : 'viewer-cost') + (RPS ? '-rps' : '');

// mediasoup reads its worker binary path when each worker is spawned, from this export.
const msWorker = createRequire(import.meta.url)('mediasoup/node/lib/Worker.js') as { workerBin: string };
const INSTALLED_BIN = msWorker.workerBin;

// ---- workers and profiles -------------------------------------------------------------------
interface WorkerVariant {
  name: 'upstream' | 'patched' | 'patched-unbatched' | 'baseline';
  bin: string;
  env: Record<string, string>;
}
interface Profile {
  name: string;
  layer: VideoLayer;
  ptime: Ptime;
  dtx: boolean;
  transportCc: boolean;
  /** Without transport-cc: REMB (default) or no bandwidth feedback at all. */
  remb?: boolean;
}
const PROFILES: Record<string, Profile> = {
  today: { name: 'today (720p 1.2 Mbps, Opus 20 ms, transport-cc)', layer: 'top', ptime: 20, dtx: false, transportCc: true },
  opus60dtx: { name: 'Opus 60 ms + DTX', layer: 'top', ptime: 60, dtx: true, transportCc: true },
  middle: { name: 'middle layer (360p 500 kbps)', layer: 'middle', ptime: 20, dtx: false, transportCc: true },
  remb: { name: 'REMB instead of transport-cc', layer: 'top', ptime: 20, dtx: false, transportCc: false },
  mass: { name: 'mass audience (all three)', layer: 'middle', ptime: 60, dtx: true, transportCc: false },
  massNoBwe: { name: 'mass audience, no bandwidth feedback', layer: 'middle', ptime: 60, dtx: true, transportCc: false, remb: false },
  massNoBwe20: { name: 'mass audience, no bandwidth feedback, 360p 20 fps 350 kbps', layer: '360p20', ptime: 60, dtx: true, transportCc: false, remb: false },
};

function upstreamBin(): string {
  if (process.env.UPSTREAM_WORKER) return process.env.UPSTREAM_WORKER;
  const out = execFileSync('bash', ['scripts/build-worker.sh', '--print-bin', 'upstream']).toString().trim();
  if (!out) throw new Error('no upstream worker in the cache: run HOINGHI_WORKER_VARIANT=upstream scripts/build-worker.sh, then scripts/build-worker.sh again');
  return out;
}

/** Per CPU over a window: NET_RX softirqs raised per second, and % of the CPU's time in softirq (machine-wide). */
interface SoftirqRates {
  netRxPerS: number[];
  softirqPct: number[];
  /** Every softirq type's count per second, per CPU. */
  perSByType: Record<string, number[]>;
}

/** Worker CPU (fraction of a core) over a window, and the softirq counters of every CPU. */
async function cpuOver(pid: number, seconds: number, counter?: () => number): Promise<{ cpu: number; perS: number; softirq: SoftirqRates }> {
  const c0 = counter?.() ?? 0;
  const s0 = softirqSnap();
  const a = cpuSeconds(pid);
  const t = performance.now();
  await sleep(seconds * 1000);
  const dt = (performance.now() - t) / 1000;
  const cpu = (cpuSeconds(pid) - a) / dt;
  const s1 = softirqSnap();
  return {
    cpu,
    perS: ((counter?.() ?? 0) - c0) / dt,
    softirq: {
      netRxPerS: s1.netRx.map((n, i) => Math.round((n - (s0.netRx[i] ?? 0)) / dt)),
      softirqPct: s1.softirqTicks.map((n, i) => +((n - (s0.softirqTicks[i] ?? 0)) / dt).toFixed(1)), // USER_HZ = 100: ticks/s = %
      perSByType: Object.fromEntries(Object.entries(s1.byType).map(([type, ns]) => [type, ns.map((n, i) => Math.round((n - (s0.byType[type]?.[i] ?? 0)) / dt))])),
    },
  };
}

interface Measure {
  rep: number;
  viewerKind: 'plain SRTP sink' | 'WebRTC bot';
  worker: WorkerVariant['name'];
  profile: string;
  profileKey: string;
  viewers: number;
  joined: number;
  baseCpuPct: number;
  cpuPct: number;
  /** (cpu − base) / viewers, % of one core. */
  marginalCpuPerViewerPct: number;
  /** cpu / viewers, % of one core (ingest included). */
  grossCpuPerViewerPct: number;
  rtpPerViewerPerS: number;
  rtpPerCoreS: number;
  fractionOfUdpCeiling: number;
  lossPct: number;
  rtcpSentPerViewerPerS?: number;
  /** RPS=1 runs: the receive side steered off the worker's core (rps_cpus = every core but 0) or not. */
  rps?: boolean;
  /** Over the measured window: NET_RX softirqs per second and % of time in softirq, per CPU. */
  softirq?: SoftirqRates;
}

// ---- plain SRTP sinks (as load-tests/fanout.ts) ---------------------------------------------
async function sinkPhase(w: WorkerVariant, key: string, rep: number, ceiling: number): Promise<Measure> {
  const profile = PROFILES[key]!;
  msWorker.workerBin = w.bin;
  // The patched worker reads these at start, as WorkerPool sets them; mediasoup passes our environment on.
  process.env.MEDIASOUP_SEND_BATCH = w.env.MEDIASOUP_SEND_BATCH ?? '1';
  process.env.MEDIASOUP_UDP_RECV_BUFFER = String(4 * 1024 * 1024);
  process.env.MEDIASOUP_UDP_SEND_BUFFER = String(4 * 1024 * 1024);
  const worker = await mediasoup.createWorker({ logLevel: 'error', rtcMinPort: 30000, rtcMaxPort: 39999 });
  pinWorker(worker.pid);
  const router = await createMediaRouter(worker);
  const ssrc = { video: 22222222, audio: 11111111 };
  const ingest = async (kind: 'audio' | 'video') => {
    const t = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: false, comedia: true });
    const producer = await t.produce({
      kind,
      rtpParameters: kind === 'video'
        ? { codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] }], encodings: [{ ssrc: ssrc.video }] }
        : { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: ssrc.audio }] },
    });
    return { t, producer };
  };
  const video = await ingest('video');
  const audio = await ingest('audio');
  const url = (t: types.PlainTransport) => `rtp://127.0.0.1:${t.tuple.localPort}?rtcpport=${t.rtcpTuple?.localPort ?? t.tuple.localPort}&pkt_size=1200`;
  const ffmpeg = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', clipPath(profile.layer, profile.ptime),
    '-map', '0:v:0', '-c:v', 'copy', '-f', 'rtp', '-ssrc', String(ssrc.video), '-payload_type', '101', url(video.t),
    '-map', '0:a:0', '-c:a', 'copy', '-f', 'rtp', '-ssrc', String(ssrc.audio), '-payload_type', '100', url(audio.t)], { stdio: ['ignore', 'ignore', 'inherit'] });
  const sinkPort = await freePort();
  const rx = await Receiver.start(sinkPort);
  try {
    const deadline = Date.now() + 15_000;
    while (((await video.producer.getStats())[0]?.packetCount ?? 0) < 60) {
      if (Date.now() > deadline) throw new Error('ffmpeg is not feeding the producer');
      await sleep(200);
    }
    const base = await cpuOver(worker.pid, 3);
    const ssrcs = new Set<number>();
    for (let i = 0; i < VIEWERS; i++) {
      const t = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: false, enableSrtp: true, srtpCryptoSuite: 'AEAD_AES_256_GCM' });
      await t.connect({ ip: '127.0.0.1', port: sinkPort, srtpParameters: { cryptoSuite: 'AEAD_AES_256_GCM', keyBase64: randomBytes(44).toString('base64') } });
      for (const p of [video.producer, audio.producer]) {
        const c = await t.consume({ producerId: p.id, rtpCapabilities: router.rtpCapabilities });
        ssrcs.add(c.rtpParameters.encodings![0]!.ssrc!);
      }
    }
    await sleep(2_500); // every video consumer waits for a keyframe (one every 2 s)
    const a = await rx.snap();
    const m = await cpuOver(worker.pid, WINDOW_S);
    const b = await rx.snap();
    const before = new Map(a.ssrcs.map(([s, r, e]) => [s, { r, e }]));
    let received = 0;
    let expected = 0;
    for (const [s, r, e] of b.ssrcs) {
      const p = before.get(s);
      if (!ssrcs.has(s) || !p) continue;
      received += r - p.r;
      expected += e - p.e;
    }
    const rtpPerS = received / WINDOW_S;
    return { ...measure(rep, 'plain SRTP sink', w, key, VIEWERS, base.cpu, m.cpu, rtpPerS, expected > 0 ? 100 * Math.max(0, 1 - received / expected) : 0, ceiling), softirq: m.softirq };
  } finally {
    ffmpeg.kill('SIGKILL');
    rx.stop();
    worker.close();
  }
}

// ---- node-datachannel WebRTC viewers through hoinghi's own signaling ------------------------
async function botPhase(w: WorkerVariant, key: string, rep: number, ceiling: number): Promise<Measure> {
  const profile = PROFILES[key]!;
  msWorker.workerBin = w.bin;
  const bench = await BenchNode.start(w.env);
  try {
    const wpid = bench.workerPid;
    await bench.publish({ meetingId: MEETING, clip: clipPath(profile.layer, profile.ptime), dtx: profile.dtx, minForwarded: 60 });
    const base = await cpuOver(wpid, 3);
    const bots = await bench.joinViewers({ meetingId: MEETING, count: VIEWERS, name: (i) => `bot-${rep}-${i}`, viewer: { transportCc: profile.transportCc, remb: profile.remb ?? true } });
    const a = bench.viewerTotals();
    const m = await cpuOver(wpid, WINDOW_S);
    const b = bench.viewerTotals();
    const rtp = b.rtp - a.rtp;
    const gaps = b.gaps - a.gaps;
    const out = measure(rep, 'WebRTC bot', w, key, bots.length, base.cpu, m.cpu, rtp / WINDOW_S, (100 * gaps) / Math.max(1, rtp + gaps), ceiling);
    out.rtcpSentPerViewerPerS = +((b.rtcp - a.rtcp) / WINDOW_S / Math.max(1, bots.length)).toFixed(1);
    out.softirq = m.softirq;
    return out;
  } finally {
    await bench.close();
  }
}

function measure(rep: number, viewerKind: Measure['viewerKind'], w: WorkerVariant, key: string, n: number, base: number, cpu: number, rtpPerS: number, lossPct: number, ceiling: number): Measure {
  return {
    rep,
    viewerKind,
    worker: w.name,
    profile: PROFILES[key]!.name,
    profileKey: key,
    viewers: VIEWERS,
    joined: n,
    baseCpuPct: +(base * 100).toFixed(1),
    cpuPct: +(cpu * 100).toFixed(1),
    marginalCpuPerViewerPct: +(((cpu - base) * 100) / Math.max(1, n)).toFixed(4),
    grossCpuPerViewerPct: +((cpu * 100) / Math.max(1, n)).toFixed(4),
    rtpPerViewerPerS: Math.round(rtpPerS / Math.max(1, n)),
    rtpPerCoreS: Math.round(rtpPerS / Math.max(cpu, 1e-6)),
    fractionOfUdpCeiling: +(rtpPerS / Math.max(cpu, 1e-6) / ceiling).toFixed(3),
    lossPct: +lossPct.toFixed(3),
  };
}

interface Step {
  run: typeof sinkPhase;
  w: WorkerVariant;
  key: string;
  /** RPS=1 runs only: steer the loopback receive side off core 0 for this phase. */
  rps?: boolean;
}
const kindOf = (run: Step['run']): Measure['viewerKind'] => (run === sinkPhase ? 'plain SRTP sink' : 'WebRTC bot');
const rpsLabel = (rps: boolean | undefined) => (rps === undefined ? '' : rps ? 'rps on' : 'rps off');

async function main(): Promise<void> {
  if (RPS && !inPrivateNetns()) {
    console.log('viewer-cost: RPS=1, running again in a private network namespace (unshare --net --mount)');
    const code = await reexecInPrivateNetns();
    if (code !== 0) throw new Error(`the benchmark in the private network namespace exited with ${code}`);
    return;
  }
  const rpsMask = maskOfCoresBut0(CORES);
  if (RPS) {
    if (CORES < 2) throw new Error('RPS=1 needs at least two cores (the worker on core 0, the receive side on the others)');
    setUpPrivateLoopback();
    setRps('0');
  }
  buildUdpkit();
  makeClips();
  const workers: Record<WorkerVariant['name'], WorkerVariant> = {
    upstream: { name: 'upstream', bin: BASELINE ? '' : upstreamBin(), env: {} },
    baseline: { name: 'baseline', bin: BASELINE ?? '', env: { HOINGHI_WORKER_SEND_BATCH: 'true', MEDIASOUP_SEND_BATCH: '1' } },
    patched: { name: 'patched', bin: INSTALLED_BIN, env: { HOINGHI_WORKER_SEND_BATCH: 'true', MEDIASOUP_SEND_BATCH: '1' } },
    'patched-unbatched': { name: 'patched-unbatched', bin: INSTALLED_BIN, env: { HOINGHI_WORKER_SEND_BATCH: 'false', MEDIASOUP_SEND_BATCH: '0' } },
  };
  if (BASELINE && fs.readFileSync(BASELINE).equals(fs.readFileSync(INSTALLED_BIN))) {
    throw new Error('BASELINE_WORKER is the installed worker: install the new one (scripts/build-worker.sh) first');
  }
  if (!BASELINE && fs.readFileSync(workers.upstream.bin).equals(fs.readFileSync(INSTALLED_BIN))) {
    throw new Error('the installed worker is the upstream one: install the patched worker (scripts/build-worker.sh) first');
  }
  // The ceiling is a sender's packets/s per core: with RPS, the sender no longer runs the receive side.
  const ceilings: { rps?: boolean; run: Awaited<ReturnType<typeof udpCeiling>> }[] = [];
  for (const rps of RPS ? [false, true] : [undefined]) {
    if (rps !== undefined) setRps(rps ? rpsMask : '0');
    console.log(`viewer-cost: measuring the loopback UDP ceiling ${rpsLabel(rps)}`);
    ceilings.push({ rps, run: await udpCeiling() });
  }
  const ceilingOf = (rps: boolean | undefined) => ceilings.find((c) => c.rps === rps)!.run.packetsPerCoreSecond;
  console.log(`viewer-cost: loopback ceiling ${ceilings.map((c) => `${c.run.packetsPerCoreSecond.toLocaleString()} ${rpsLabel(c.rps)}`.trim()).join(', ')} packets/s per core; ${VIEWERS} viewers per phase, ${WINDOW_S} s windows, ${REPS} rep(s)`);
  // PLAN=mass,massNoBwe: only those profiles, WebRTC bots on the patched worker, paired per rep.
  const only = process.env.PLAN?.split(',').filter((k) => k in PROFILES);
  const base: [typeof sinkPhase, WorkerVariant, string][] = only?.length ? only.map((k) => [botPhase, workers.patched, k]) : BASELINE ? [
    [botPhase, workers.baseline, 'mass'],
    [botPhase, workers.patched, 'mass'],
    [botPhase, workers.baseline, 'today'],
    [botPhase, workers.patched, 'today'],
  ] : [
    [sinkPhase, workers.upstream, 'today'],
    [sinkPhase, workers.patched, 'today'],
    [botPhase, workers.upstream, 'today'],
    [botPhase, workers.patched, 'today'],
    [botPhase, workers['patched-unbatched'], 'today'],
    [botPhase, workers.patched, 'opus60dtx'],
    [botPhase, workers.patched, 'middle'],
    [botPhase, workers.patched, 'remb'],
    [botPhase, workers.patched, 'mass'],
    [botPhase, workers.upstream, 'mass'],
  ];
  // RPS=1: each phase with the receive side on core 0 and then off it (reversed on odd reps).
  const plan: Step[] = base.flatMap(([run, w, key]) => (RPS ? [false, true].map((rps) => ({ run, w, key, rps })) : [{ run, w, key }]));
  console.log(`viewers            worker             profile                                     ${RPS ? 'rps      ' : ''}base%  cpu%  marginal%/viewer  rtp/viewer/s  rtp/core-s  of ceiling  loss%${RPS ? '  NET_RX/s per cpu  softirq% per cpu' : ''}`);
  const results: Measure[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    for (const { run, w, key, rps } of rep % 2 === 0 ? plan : [...plan].reverse()) {
      if (rps !== undefined) setRps(rps ? rpsMask : '0');
      const m = await run(w, key, rep, ceilingOf(rps));
      if (rps !== undefined) m.rps = rps;
      results.push(m);
      console.log([m.viewerKind.padEnd(18), m.worker.padEnd(18), m.profile.slice(0, 43).padEnd(43), ...(RPS ? [rpsLabel(rps).padEnd(8)] : []),
        String(m.baseCpuPct).padStart(5), String(m.cpuPct).padStart(5), String(m.marginalCpuPerViewerPct).padStart(17), String(m.rtpPerViewerPerS).padStart(13), String(m.rtpPerCoreS).padStart(11), String(m.fractionOfUdpCeiling).padStart(11), String(m.lossPct).padStart(6),
        ...(RPS && m.softirq ? [m.softirq.netRxPerS.join('/').padStart(17), m.softirq.softirqPct.join('/').padStart(17)] : [])].join(' '));
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const same = (s: Step) => (r: Measure) => r.worker === s.w.name && r.profileKey === s.key && r.viewerKind === kindOf(s.run) && r.rps === s.rps;
  const table = plan.map((s) => {
    const ms = results.filter(same(s));
    const marginal = mean(ms.map((m) => m.marginalCpuPerViewerPct));
    const rtp = mean(ms.map((m) => m.rtpPerViewerPerS * m.joined));
    return {
      viewerKind: ms[0]!.viewerKind,
      worker: s.w.name,
      profile: PROFILES[s.key]!.name,
      profileKey: s.key,
      ...(s.rps === undefined ? {} : { rps: s.rps }),
      marginalCpuPerViewerPct: +marginal.toFixed(4),
      grossCpuPerViewerPct: +mean(ms.map((m) => m.grossCpuPerViewerPct)).toFixed(4),
      viewersPerCoreAt80Pct: Math.floor((80 - mean(ms.map((m) => m.baseCpuPct))) / Math.max(1e-6, marginal)),
      rtpPerViewerPerS: Math.round(mean(ms.map((m) => m.rtpPerViewerPerS))),
      fractionOfUdpCeiling: +mean(ms.map((m) => m.fractionOfUdpCeiling)).toFixed(3),
      lossPct: +mean(ms.map((m) => m.lossPct)).toFixed(3),
      ...(s.rps === undefined ? {} : {
        /** Mean over reps, per CPU, over the measured windows: NET_RX softirqs per RTP packet the viewers received. */
        netRxPerRtpPacket: ms[0]!.softirq!.netRxPerS.map((_, i) => +(mean(ms.map((m) => m.softirq!.netRxPerS[i]!)) / Math.max(1, rtp)).toFixed(3)),
        softirqPct: ms[0]!.softirq!.softirqPct.map((_, i) => +mean(ms.map((m) => m.softirq!.softirqPct[i]!)).toFixed(1)),
      }),
    };
  });
  // RPS=1: per profile, the paired ratio (rps on / rps off) of the marginal CPU per viewer, rep by rep.
  const pairs = RPS ? base.map(([run, w, key]) => {
    const per = (rps: boolean) => results.filter(same({ run, w, key, rps }));
    const off = per(false);
    const on = per(true);
    const ratios = off.map((o, i) => on[i]!.marginalCpuPerViewerPct / o.marginalCpuPerViewerPct);
    return {
      viewerKind: kindOf(run),
      worker: w.name,
      profileKey: key,
      marginalOffPct: +mean(off.map((m) => m.marginalCpuPerViewerPct)).toFixed(4),
      marginalOnPct: +mean(on.map((m) => m.marginalCpuPerViewerPct)).toFixed(4),
      ratioOnOverOff: +mean(ratios).toFixed(3),
      ratioPerRep: ratios.map((r) => +r.toFixed(3)),
    };
  }) : undefined;
  const env = [process.env.PLAN ? `PLAN=${process.env.PLAN}` : '', RPS ? 'RPS=1' : '', BASELINE ? `BASELINE_WORKER=${BASELINE}` : ''].filter(Boolean).join(' ');
  const file = writeResult(NAME, {
    benchmark: 'viewer-cost',
    when: new Date().toISOString(),
    machine: machine(),
    command: `${env ? `${env} ` : ''}node --import tsx load-tests/viewerCost.ts ${VIEWERS} ${WINDOW_S} ${REPS}`,
    workerPinnedToCore0: WORKER_PINNED,
    workers: BASELINE ? { baseline: BASELINE, patched: INSTALLED_BIN } : { upstream: workers.upstream.bin, patched: INSTALLED_BIN },
    udpCeiling: RPS ? ceilings : ceilings[0]!.run,
    ...(RPS ? { rps: { device: 'lo of a private network namespace', rpsCpusOn: rpsMask, rpsCpusOff: '0' } } : {}),
    profiles: PROFILES,
    notes: [
      'marginal = (worker CPU with N viewers − worker CPU with the publisher alone) / N, % of one core',
      'viewersPerCoreAt80Pct = (80 − base) / marginal',
      'layers are single-encoding clips at the layer resolution and bitrate; DTX emulated by the publisher bot (1.5 s pause in every 5 s)',
      'plain sinks send no RTCP back; the bots send RR every 1 s, NACKs, and transport-cc every 100 ms or REMB every 1 s',
      ...(RPS ? [
        'rps on: Receive Packet Steering on the private lo to every core but 0, so the viewers\' receive side (NET_RX softirq) runs off the worker\'s core, as with a NIC; rps off: loopback runs it in the sending worker\'s context on core 0',
        'softirq counters (/proc/softirqs NET_RX, /proc/stat softirq) are machine-wide, per CPU, over the measured window',
      ] : []),
    ],
    table,
    ...(pairs ? { pairs } : {}),
    results,
  });
  fs.writeFileSync(`load-tests/results/${NAME}.svg`, barChart({
    title: `CPU per receive-only viewer, % of one core (${VIEWERS} viewers on one worker, marginal over the publisher alone)`,
    xLabel: '% of one core per viewer (lower is better; dashed: the 0.1% goal)',
    bars: table.map((t) => ({
      // RPS=1 labels name the profile by its key (the 330 px label column fits ~50 characters).
      label: `${t.viewerKind === 'WebRTC bot' ? 'WebRTC' : 'sink'} · ${t.worker} · ${'rps' in t ? `${t.profileKey} · ${rpsLabel(t.rps)}` : t.profile.replace(/ \(.*\)/, '')}`,
      value: t.marginalCpuPerViewerPct,
      group: 'rps' in t ? (t.rps ? 0 : 1) : t.worker === 'upstream' || t.worker === 'baseline' ? 1 : t.worker === 'patched' ? 0 : 3,
    })),
    vLines: [{ x: 0.1, label: 'goal 0.1%' }],
  }));
  console.log('\nviewer-cost:', table.map((t) => `${t.viewerKind}/${t.worker}/${t.profile}${'rps' in t ? `/${rpsLabel(t.rps)}` : ''}: ${t.marginalCpuPerViewerPct}% (${t.viewersPerCoreAt80Pct}/core), ${t.rtpPerViewerPerS} rtp/viewer/s`).join('\n  '));
  if (pairs) console.log('viewer-cost: rps on / off, paired per rep:', pairs.map((p) => `${p.profileKey} ${p.marginalOffPct}% → ${p.marginalOnPct}% (×${p.ratioOnOverOff}; ${p.ratioPerRep.join(', ')})`).join('; '));
  console.log(`viewer-cost: wrote ${file} and load-tests/results/${NAME}.svg`);
}

runBenchmark(main);
