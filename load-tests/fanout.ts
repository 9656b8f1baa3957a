/**
 * Fan-out benchmark: how many viewers one mediasoup worker (one core) serves.
 *
 * - Source: a pre-encoded VP8 clip (~550 kbps, 640x360, 30 fps) plus Opus, looped by ffmpeg with
 *   `-c copy` into two PlainTransports: no live encoding eats the CPU being measured.
 * - Viewers: one PlainTransport each, SRTP with AEAD_AES_256_GCM, consuming the video and the
 *   audio (as a teacher does), all sending to one receiver (udpkit, C, recvmmsg) that counts
 *   packets and sequence gaps per SSRC from the clear RTP header.
 * - Sweep: viewers added in steps; at each, the worker's CPU (from /proc), packets out per second,
 *   loss and resident memory over a fixed window. The sweep stops at 95% CPU, 5% loss or the
 *   last step.
 * - Baseline in the same run: the raw UDP send ceiling of this machine's loopback (udpkit send,
 *   sendmmsg in batches of 32, 1200-byte datagrams), as packets per second per core.
 *
 * Usage: node --import tsx load-tests/fanout.ts [maxViewers=1600] [windowSeconds=4]
 * Writes load-tests/results/fanout.json and load-tests/results/fanout.svg.
 */
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { createMediaRouter } from '../sfu/mediaCodecs';
import { cpuSeconds, machine, runBenchmark, writeResult } from './lib';
import { freePort } from '../harness/cluster';
import { lineChart } from './chart';
import { buildUdpkit, Receiver, udpCeiling } from './udpkit';
import { BENCH_CLIP, ensureBenchClip } from '../harness/benchClip';
import { setTimeout as sleep } from 'node:timers/promises';

const MAX_VIEWERS = Number(process.argv[2] ?? 1600);
const WINDOW_S = Number(process.argv[3] ?? 4);
const STEPS = [25, 50, 100, 200, 300, 400, 500, 600, 800, 1000, 1200, 1400, 1600, 2000, 2500, 3000].filter((n) => n <= MAX_VIEWERS);
const VIDEO_SSRC = 22222222;
const AUDIO_SSRC = 11111111;
const CLIP = BENCH_CLIP;


function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

interface Step {
  viewers: number;
  cpuPct: number;
  cpuPerViewerPct: number;
  packetsOutPerS: number;
  packetsPerCoreS: number;
  fractionOfUdpCeiling: number;
  mbitOutPerS: number;
  lossPct: number;
  rssMiB: number;
  memPerViewerKiB: number;
}

/**
 * Where the worker's time goes at the last step: `perf record` with the cpu-clock software event
 * (hardware counters are not available on every machine), summed by library and by symbol.
 */
function perfProfile(pid: number, viewers: number): { viewers: number; byLibraryPct: Record<string, number>; topSymbolsPct: Record<string, number> } | { error: string } {
  const data = '.build/fanout.perf.data';
  try {
    execFileSync('perf', ['record', '-q', '-e', 'cpu-clock', '-F', '999', '-p', String(pid), '-o', data, '--', 'sleep', '3'], { stdio: 'ignore' });
    const report = (sort: string) =>
      execFileSync('perf', ['report', '-i', data, '--stdio', '--no-children', '--sort', sort, '--percent-limit', '1'], { stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .split('\n')
        .filter((l) => /^\s+[\d.]+%/.test(l))
        .map((l) => {
          const m = /^\s+([\d.]+)%\s+(.*)$/.exec(l)!;
          return [m[2]!.replace(/\s+/g, ' ').trim(), Number(m[1])] as const;
        });
    return { viewers, byLibraryPct: Object.fromEntries(report('dso')), topSymbolsPct: Object.fromEntries(report('dso,sym').slice(0, 15)) };
  } catch (error) {
    return { error: `perf unavailable: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
}

async function main(): Promise<void> {
  buildUdpkit();
  ensureBenchClip();
  console.log('fanout: measuring the loopback UDP ceiling');
  const ceiling = await udpCeiling();
  console.log(`fanout: loopback ceiling ${ceiling.packetsPerCoreSecond.toLocaleString()} packets/s per core (1200 B, sendmmsg ×32)`);

  const worker = await mediasoup.createWorker({ logLevel: 'error', rtcMinPort: 30000, rtcMaxPort: 39999 });
  // The worker gets core 0 to itself; this process and its instruments (ffmpeg, udpkit) share
  // the others, so that they never take the measured core's time.
  const pinned = os.availableParallelism() >= 2;
  if (pinned) {
    execFileSync('taskset', ['-a', '-p', '-c', '0', String(worker.pid)], { stdio: 'ignore' });
    execFileSync('taskset', ['-a', '-p', '-c', `1-${os.availableParallelism() - 1}`, String(process.pid)], { stdio: 'ignore' });
  }
  const router = await createMediaRouter(worker);
  const ingest = async (kind: 'audio' | 'video') => {
    const t = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: false, comedia: true });
    const rtpParameters: types.RtpParameters =
      kind === 'video'
        ? {
            codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }] }],
            encodings: [{ ssrc: VIDEO_SSRC }],
          }
        : {
            codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }],
            encodings: [{ ssrc: AUDIO_SSRC }],
          };
    const producer = await t.produce({ kind, rtpParameters });
    return { t, producer };
  };
  const video = await ingest('video');
  const audio = await ingest('audio');
  const rtpUrl = (t: types.PlainTransport) => `rtp://127.0.0.1:${t.tuple.localPort}?rtcpport=${t.rtcpTuple?.localPort ?? t.tuple.localPort}&pkt_size=1200`;
  const ffmpeg = spawn('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', CLIP,
    '-map', '0:v:0', '-c:v', 'copy', '-f', 'rtp', '-ssrc', String(VIDEO_SSRC), '-payload_type', '101', rtpUrl(video.t),
    '-map', '0:a:0', '-c:a', 'copy', '-f', 'rtp', '-ssrc', String(AUDIO_SSRC), '-payload_type', '100', rtpUrl(audio.t),
  ], { stdio: ['ignore', 'ignore', 'inherit'] });

  const sinkPort = await freePort();
  const rx = await Receiver.start(sinkPort);
  const ssrcs = new Set<number>();
  const caps = router.rtpCapabilities;
  let viewers = 0;
  const addViewer = async (): Promise<void> => {
    const t = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: false, enableSrtp: true, srtpCryptoSuite: 'AEAD_AES_256_GCM' });
    await t.connect({ ip: '127.0.0.1', port: sinkPort, srtpParameters: { cryptoSuite: 'AEAD_AES_256_GCM', keyBase64: randomBytes(44).toString('base64') } });
    for (const p of [video.producer, audio.producer]) {
      const c = await t.consume({ producerId: p.id, rtpCapabilities: caps });
      ssrcs.add(c.rtpParameters.encodings![0]!.ssrc!);
    }
    viewers += 1;
  };

  // The source must be flowing before the sweep.
  const deadline = Date.now() + 15_000;
  while (((await video.producer.getStats())[0]?.packetCount ?? 0) < 100) {
    if (Date.now() > deadline) throw new Error('ffmpeg is not feeding the producer');
    await sleep(200);
  }
  const ingestStats = async () => {
    const [v] = await video.producer.getStats();
    const [a] = await audio.producer.getStats();
    return { videoKbps: Math.round((v?.bitrate ?? 0) / 1000), audioKbps: Math.round((a?.bitrate ?? 0) / 1000) };
  };
  const rss0 = rssKiB(worker.pid);
  const steps: Step[] = [];
  console.log(`fanout: worker pid ${worker.pid}; steps ${STEPS.join(', ')}; ${WINDOW_S} s windows`);
  console.log('viewers  cpu%   cpu%/viewer  pkts/s out  pkts/s/core  of ceiling  loss%   rss MiB  KiB/viewer');
  for (const target of STEPS) {
    while (viewers < target) await addViewer();
    // Warm-up: every new video consumer waits for a keyframe (one every 2 s in the clip).
    await sleep(2_500);
    const a = await rx.snap();
    const cpuA = cpuSeconds(worker.pid);
    const tA = performance.now();
    await sleep(WINDOW_S * 1000);
    const b = await rx.snap();
    const cpuB = cpuSeconds(worker.pid);
    const dt = (performance.now() - tA) / 1000;
    const before = new Map(a.ssrcs.map(([s, r, e]) => [s, { r, e }]));
    let received = 0;
    let expected = 0;
    for (const [s, r, e] of b.ssrcs) {
      if (!ssrcs.has(s)) continue;
      const p = before.get(s);
      if (!p) continue; // first packets inside the window: not comparable
      received += r - p.r;
      expected += e - p.e;
    }
    const cpu = (cpuB - cpuA) / dt;
    const pkts = (b.packets - a.packets) / dt;
    const rss = rssKiB(worker.pid);
    const step: Step = {
      viewers,
      cpuPct: +(cpu * 100).toFixed(1),
      cpuPerViewerPct: +((cpu * 100) / viewers).toFixed(4),
      packetsOutPerS: Math.round(pkts),
      packetsPerCoreS: Math.round(pkts / Math.max(cpu, 1e-6)),
      fractionOfUdpCeiling: +(pkts / Math.max(cpu, 1e-6) / ceiling.packetsPerCoreSecond).toFixed(3),
      mbitOutPerS: +(((b.bytes - a.bytes) * 8) / dt / 1e6).toFixed(1),
      lossPct: expected > 0 ? +(100 * Math.max(0, 1 - received / expected)).toFixed(3) : 0,
      rssMiB: +(rss / 1024).toFixed(1),
      memPerViewerKiB: +((rss - rss0) / viewers).toFixed(1),
    };
    steps.push(step);
    console.log(
      [step.viewers, step.cpuPct, step.cpuPerViewerPct, step.packetsOutPerS, step.packetsPerCoreS, step.fractionOfUdpCeiling, step.lossPct, step.rssMiB, step.memPerViewerKiB]
        .map((v, i) => String(v).padStart(i === 0 ? 7 : 10))
        .join(' '),
    );
    if (cpu >= 0.95 || step.lossPct > 5) break;
  }
  const source = await ingestStats();
  const profile = perfProfile(worker.pid, viewers);
  ffmpeg.kill('SIGKILL');
  rx.stop();
  worker.close();

  // Viewers per core at ≤ 1% loss and ≤ 80% CPU: the largest measured step that meets both, and
  // the least-squares line of CPU against viewers, solved for 80%.
  const ok = steps.filter((s) => s.cpuPct <= 80 && s.lossPct <= 1);
  const n = steps.length;
  const mx = steps.reduce((s, x) => s + x.viewers, 0) / n;
  const my = steps.reduce((s, x) => s + x.cpuPct, 0) / n;
  const slope = steps.reduce((s, x) => s + (x.viewers - mx) * (x.cpuPct - my), 0) / Math.max(1e-9, steps.reduce((s, x) => s + (x.viewers - mx) ** 2, 0));
  const intercept = my - slope * mx;
  const at80 = Math.floor((80 - intercept) / slope);
  const result = {
    benchmark: 'fanout',
    when: new Date().toISOString(),
    machine: machine(),
    command: `node --import tsx load-tests/fanout.ts ${MAX_VIEWERS} ${WINDOW_S}`,
    source: { clip: 'VP8 640x360 30 fps ~550 kbps + Opus 48 kbps, ffmpeg -c copy, looped', measured: source },
    viewer: 'PlainTransport, SRTP AEAD_AES_256_GCM, one video + one audio consumer',
    workerPinnedToCore0: pinned,
    udpCeiling: ceiling,
    steps,
    profile,
    fit: { cpuPctIntercept: +intercept.toFixed(2), cpuPctPerViewer: +slope.toFixed(4) },
    viewersPerCore: {
      measuredAtOrUnder80PctCpuAnd1PctLoss: ok.length ? ok[ok.length - 1]!.viewers : 0,
      fittedAt80PctCpu: at80,
    },
  };
  const file = writeResult('fanout', result);
  fs.writeFileSync(
    'load-tests/results/fanout.svg',
    lineChart({
      title: 'One mediasoup worker: CPU, packets and loss against viewers (SRTP sinks, VP8 550 kbps + Opus)',
      xLabel: 'viewers on one worker',
      series: [
        { name: 'worker CPU %', points: steps.map((s) => [s.viewers, s.cpuPct]) },
        { name: 'loss % ×10', points: steps.map((s) => [s.viewers, s.lossPct * 10]) },
        { name: 'packets/s out ÷1000', points: steps.map((s) => [s.viewers, s.packetsOutPerS / 1000]) },
      ],
      hLines: [{ y: 80, label: '80% CPU' }],
    }),
  );
  console.log(`\nfanout: ${result.viewersPerCore.measuredAtOrUnder80PctCpuAnd1PctLoss} viewers measured under 80% CPU and 1% loss; fitted ${at80} at 80% CPU (${slope.toFixed(4)}% CPU per viewer)`);
  if ('byLibraryPct' in profile) console.log(`fanout: worker time by library at ${profile.viewers} viewers:`, profile.byLibraryPct);
  console.log(`fanout: wrote ${file} and load-tests/results/fanout.svg`);
}

runBenchmark(main);
