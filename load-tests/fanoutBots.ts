/**
 * Fan-out with real WebRTC viewers at scale: node-datachannel bots (load-tests/bots) speaking
 * hoinghi's own protocol to a real node with one worker, receiving the host's VP8 + Opus over
 * ICE/DTLS/SRTP and sending receiver reports, NACKs and transport-cc feedback every 100 ms.
 *
 * Paired A/B in one run: for every step, each variant gets its own fresh node, in an order that
 * alternates between repetitions, and the ratios are taken within a repetition:
 * - `batched`: the patched worker (scripts/worker-patches) with sendmmsg batching (the default);
 * - `unbatched`: the same binary with HOINGHI_WORKER_SEND_BATCH=false (one sendmsg per datagram);
 * - `upstream`: an unpatched 3.12.16 worker binary, when the build cache has one
 *   (HOINGHI_WORKER_VARIANT=upstream scripts/build-worker.sh) or given as UPSTREAM_WORKER=path.
 *
 * The worker is pinned to core 0; this process (signaling in-process, the bots) and ffmpeg share
 * the rest.
 * Per step and variant: the worker's CPU over the window (from /proc), RTP packets the bots
 * received, sequence gaps (loss before retransmission), and the worker's send system calls per
 * second when `strace` is available (not required).
 *
 * Usage: node --import tsx load-tests/fanoutBots.ts [steps=50,100,200] [windowSeconds=6] [reps=2] [transportCc=1]
 * Writes load-tests/results/fanout-bots.json.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpuSeconds, machine, runBenchmark, writeResult } from './lib';
import { BenchNode, WORKER_PINNED } from './benchServer';
import { BENCH_CLIP, ensureBenchClip } from '../harness/benchClip';
import { setTimeout as sleep } from 'node:timers/promises';

const STEPS = (process.argv[2] ?? '50,100,200').split(',').map(Number);
const WINDOW_S = Number(process.argv[3] ?? 6);
const REPS = Number(process.argv[4] ?? 2);
const TRANSPORT_CC = (process.argv[5] ?? '1') !== '0';
const MEETING = 'bench-bots';
const CLIP = BENCH_CLIP;

interface Variant {
  name: 'batched' | 'unbatched' | 'upstream';
  env: Record<string, string>;
  /** Worker binary; default: the installed (patched) one. */
  bin?: string;
}

// mediasoup reads its worker binary path when each worker is spawned, from this export.
const msWorkerModule = createRequire(import.meta.url)('mediasoup/node/lib/Worker.js') as { workerBin: string };
const INSTALLED_BIN = msWorkerModule.workerBin;

/** An unpatched worker binary: UPSTREAM_WORKER, or the upstream variant in the build cache. */
function upstreamWorker(): string | null {
  if (process.env.UPSTREAM_WORKER) return process.env.UPSTREAM_WORKER;
  return execFileSync('bash', ['scripts/build-worker.sh', '--print-bin', 'upstream']).toString().trim() || null;
}


interface Measure {
  variant: Variant['name'];
  rep: number;
  viewers: number;
  joined: number;
  cpuPct: number;
  cpuPerViewerPct: number;
  rtpPerS: number;
  rtpPerCoreS: number;
  gapPct: number;
  firstRtpMsP50: number;
  rtcpSentPerViewerPerS: number;
}

async function phase(variant: Variant, viewers: number, rep: number): Promise<Measure> {
  msWorkerModule.workerBin = variant.bin ?? INSTALLED_BIN;
  const bench = await BenchNode.start(variant.env);
  try {
    const wpid = bench.workerPid;
    await bench.publish({ meetingId: MEETING, clip: CLIP, minForwarded: 100 });
    const bots = await bench.joinViewers({ meetingId: MEETING, count: viewers, name: (i) => `bot-${rep}-${i}`, viewer: { transportCc: TRANSPORT_CC } });
    const a = bench.viewerTotals();
    const cpuA = cpuSeconds(wpid);
    const tA = performance.now();
    await sleep(WINDOW_S * 1000);
    const b = bench.viewerTotals();
    const cpuB = cpuSeconds(wpid);
    const dt = (performance.now() - tA) / 1000;
    const cpu = (cpuB - cpuA) / dt;
    const rtp = (b.rtp - a.rtp) / dt;
    const firsts = bots.map((x) => x.stats().firstRtpMs).filter((x): x is number => x !== null).sort((x, y) => x - y);
    return {
      variant: variant.name,
      rep,
      viewers,
      joined: bots.length,
      cpuPct: +(cpu * 100).toFixed(1),
      cpuPerViewerPct: +((cpu * 100) / Math.max(1, bots.length)).toFixed(4),
      rtpPerS: Math.round(rtp),
      rtpPerCoreS: Math.round(rtp / Math.max(cpu, 1e-6)),
      gapPct: +((100 * (b.gaps - a.gaps)) / Math.max(1, b.rtp - a.rtp + b.gaps - a.gaps)).toFixed(3),
      firstRtpMsP50: Math.round(firsts[Math.floor(firsts.length / 2)] ?? NaN),
      rtcpSentPerViewerPerS: +((b.rtcp - a.rtcp) / dt / Math.max(1, bots.length)).toFixed(1),
    };
  } finally {
    await bench.close();
  }
}

async function main(): Promise<void> {
  ensureBenchClip();
  const upstream = upstreamWorker();
  const variants: Variant[] = [
    { name: 'batched', env: { HOINGHI_WORKER_SEND_BATCH: 'true' } },
    { name: 'unbatched', env: { HOINGHI_WORKER_SEND_BATCH: 'false' } },
    ...(upstream ? [{ name: 'upstream' as const, env: {}, bin: upstream }] : []),
  ];
  console.log(`fanout-bots: steps ${STEPS.join(', ')}; ${WINDOW_S} s windows; ${REPS} reps; transport-cc ${TRANSPORT_CC}; variants ${variants.map((v) => v.name).join(', ')}${upstream ? ` (upstream: ${upstream})` : ''}`);
  console.log('variant     rep viewers joined  cpu%  cpu%/viewer  rtp/s  rtp/core-s  gap%  firstRtp p50 ms  rtcp/viewer/s');
  const results: Measure[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    for (const viewers of STEPS) {
      const order = rep % 2 === 0 ? variants : [...variants].reverse();
      for (const v of order) {
        const m = await phase(v, viewers, rep);
        results.push(m);
        console.log(
          [m.variant.padEnd(10), m.rep, m.viewers, m.joined, m.cpuPct, m.cpuPerViewerPct, m.rtpPerS, m.rtpPerCoreS, m.gapPct, m.firstRtpMsP50, m.rtcpSentPerViewerPerS]
            .map((x, i) => String(x).padStart(i === 0 ? 10 : 7))
            .join(' '),
        );
      }
    }
  }
  // Paired ratios: CPU per received packet, batched over each other variant, same rep and step.
  const ratios: { viewers: number; rep: number; against: string; cpuPerPacketRatio: number }[] = [];
  for (const m of results.filter((r) => r.variant === 'batched')) {
    for (const o of results.filter((r) => r.variant !== 'batched' && r.rep === m.rep && r.viewers === m.viewers)) {
      ratios.push({ viewers: m.viewers, rep: m.rep, against: o.variant, cpuPerPacketRatio: +(o.rtpPerCoreS / m.rtpPerCoreS).toFixed(3) });
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const summary = Object.fromEntries(
    variants.map((v) => [v.name, Object.fromEntries(STEPS.map((n) => {
      const ms = results.filter((r) => r.variant === v.name && r.viewers === n);
      return [n, { cpuPerViewerPct: +mean(ms.map((m) => m.cpuPerViewerPct)).toFixed(4), rtpPerCoreS: Math.round(mean(ms.map((m) => m.rtpPerCoreS))), gapPct: +mean(ms.map((m) => m.gapPct)).toFixed(3) }];
    }))]),
  );
  const file = writeResult('fanout-bots', {
    benchmark: 'fanout-bots',
    when: new Date().toISOString(),
    machine: machine(),
    command: `node --import tsx load-tests/fanoutBots.ts ${STEPS.join(',')} ${WINDOW_S} ${REPS} ${TRANSPORT_CC ? 1 : 0}`,
    source: 'node-datachannel publisher bot: VP8 640x360 ~550 kbps + Opus 48 kbps from a looped clip (ffmpeg -c copy)',
    viewer: `node-datachannel WebRtcViewer: ICE/DTLS/SRTP, RR every 1 s, NACK on gaps, ${TRANSPORT_CC ? 'transport-cc feedback every 100 ms' : 'REMB every 1 s (no transport-cc)'}`,
    workerPinnedToCore0: WORKER_PINNED,
    results,
    summary,
    ratios,
    note: 'cpuPerPacketRatio = (other variant CPU per received packet) / (batched CPU per received packet), both from the same repetition and step; > 1 means batching is cheaper.',
  });
  console.log('\nfanout-bots: CPU per packet, other / batched (paired):', ratios.map((r) => `${r.against}@${r.viewers}#${r.rep}=${r.cpuPerPacketRatio}`).join(' '));
  console.log(`fanout-bots: wrote ${file}`);
}

runBenchmark(main);
