/**
 * Recording benchmarks, on real parts (mediasoup worker, SFU recorder taps, Debian's ffmpeg,
 * hls.js in Debian's Chromium), loopback only:
 *
 * 1. ffmpeg's CPU per recorded meeting: the fan-out benchmark's clip (VP8 640x360 30 fps
 *    ~550 kbps + Opus) published into a room and recorded (a) as the product does, VP8 → H.264
 *    and Opus → AAC into HLS, and (b) without transcoding, `-c copy` into Matroska (an archive
 *    browsers cannot play through hls.js), each for WINDOW_S seconds.
 * 2. The live HLS delay, glass to glass: a live VP8 source (ffmpeg) whose frames carry their own
 *    wall-clock time, burned in as 12 black/white boxes (tenths of a second, mod 409.6 s), is
 *    recorded; a Chromium page plays the live playlist with hls.js (the web client's settings)
 *    and decodes the boxes of the frame on screen against its own clock. The source's start-up
 *    (spawn → first frame, ~0.1–0.3 s) counts as delay, so the figure is an upper bound.
 *
 * Usage: node --import tsx load-tests/recording.ts [windowSeconds=20] [segmentSeconds=2]
 * Writes load-tests/results/recording.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { types } from 'mediasoup';
import { LocalSfu } from '../sfu/LocalSfu';
import { testConfig } from '../harness/server';
import { publishClip } from '../harness/rtpSource';
import { launchChromium } from '../harness/browser';
import { RecordingManager } from '../signaling/recording/RecordingManager';
import { type RecordableStream } from '../signaling/recording/recordingTypes';
import { freePortPair } from '../signaling/recording/ports';
import { recordingSdp } from '../signaling/recording/sdp';
import { cpuSeconds, machine, percentile, runBenchmark, writeResult } from './lib';
import { setTimeout as sleep } from 'node:timers/promises';

const WINDOW_S = Number(process.argv[2] ?? 20);
const SEGMENT_S = Number(process.argv[3] ?? 2);

function settings(dir: string) {
  return {
    dir,
    rtpIp: '127.0.0.1',
    minFreeBytes: 64 * 2 ** 20,
    retentionDays: 0,
    diskCheckIntervalMs: 60_000,
    recorder: { ffmpegPath: 'ffmpeg', segmentSeconds: SEGMENT_S, restartBackoffMs: { min: 500, max: 5_000 } },
  };
}

/** CPU of one process over the window, % of one core. */
async function cpuOver(pid: number, seconds: number): Promise<number> {
  const c0 = cpuSeconds(pid);
  const t0 = Date.now();
  await sleep(seconds * 1000);
  return +((100 * (cpuSeconds(pid) - c0)) / ((Date.now() - t0) / 1000)).toFixed(1);
}

async function cpuTranscoding(sfu: LocalSfu, room: string, streams: RecordableStream[], dir: string): Promise<number> {
  const m = new RecordingManager(settings(dir), sfu, { streams: () => streams });
  await m.start(room, 'main', 'bench');
  const rec = m.recorderOf(room, 'main')!;
  const deadline = Date.now() + 30_000;
  while (rec.runSegments < 1 && Date.now() < deadline) await sleep(200);
  const pct = await cpuOver(rec.pid!, WINDOW_S);
  await m.close();
  return pct;
}

async function cpuCopy(sfu: LocalSfu, streams: RecordableStream[], dir: string): Promise<number> {
  const taps: { id: string; kind: 'audio' | 'video'; port: number; rtpParameters: types.RtpParameters }[] = [];
  for (const s of streams) {
    const pair = await freePortPair('127.0.0.1');
    const tap = await sfu.createRecorderTap(s.producerId, { ip: '127.0.0.1', ...pair });
    taps.push({ id: tap.id, kind: tap.kind, port: pair.port, rtpParameters: tap.rtpParameters });
  }
  fs.writeFileSync(path.join(dir, 'copy.sdp'), recordingSdp('127.0.0.1', taps));
  const ffmpeg = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-protocol_whitelist', 'file,udp,rtp', '-i', 'copy.sdp',
    '-map', '0:v:0', '-map', '0:a:0', '-c', 'copy', '-f', 'matroska', '-y', 'copy.mkv'], { cwd: dir, stdio: 'ignore' });
  await sleep(1_000);
  for (const t of taps) await sfu.resumeRecorderTap(t.id);
  const deadline = Date.now() + 30_000;
  const out = path.join(dir, 'copy.mkv');
  while ((!fs.existsSync(out) || fs.statSync(out).size < 200_000) && Date.now() < deadline) await sleep(200);
  const pct = await cpuOver(ffmpeg.pid!, WINDOW_S);
  ffmpeg.kill('SIGINT');
  for (const t of taps) await sfu.closeRecorderTap(t.id);
  return pct;
}

/** A live VP8 source whose frames show floor(T*10 + offset) mod 4096 as 12 boxes, LSB left. */
async function timestampSource(sfu: LocalSfu, room: string): Promise<{ producerId: string; startedAt: number; ffmpeg: ChildProcess }> {
  const ssrc = 33333333;
  const p = await sfu.ingestRtp(room, 'video', {
    codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] }],
    encodings: [{ ssrc }],
  } as types.RtpParameters);
  const startedAt = Date.now();
  const offset = (startedAt % 409_600) / 1000;
  const bits = `255*mod(floor((T+${offset})*10/pow(2,floor(X/20))),2)`;
  const ffmpeg = spawn('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', 'color=c=0x808080:s=320x180:r=15',
    '-vf', `geq=lum='if(lt(Y,40)*lt(X,240),${bits},128)':cb=128:cr=128`,
    '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '400k', '-g', '30', '-keyint_min', '30',
    '-f', 'rtp', '-ssrc', String(ssrc), '-payload_type', '101', `rtp://127.0.0.1:${p.port}?rtcpport=${p.rtcpPort}&pkt_size=1200`,
  ], { stdio: 'ignore' });
  return { producerId: p.producerId, startedAt, ffmpeg };
}

const PAGE = `<!doctype html><html><body><video id="v" muted playsinline></video><canvas id="c" width="320" height="180"></canvas>
<script src="/hls.js"></script><script>
window.startHls = (src) => { const v = document.getElementById('v');
  const hls = new Hls({ enableWorker: false, liveSyncDurationCount: 2 }); hls.loadSource(src); hls.attachMedia(v);
  hls.on(Hls.Events.MANIFEST_PARSED, () => v.play()); window.__hls = hls; };
window.sample = () => { const v = document.getElementById('v'); if (v.readyState < 2) return null;
  const c = document.getElementById('c').getContext('2d', { willReadFrequently: true }); c.drawImage(v, 0, 0, 320, 180);
  let n = 0; for (let i = 0; i < 12; i++) { const d = c.getImageData(i * 20 + 10, 20, 1, 1).data; if (d[0] > 128) n |= 1 << i; }
  return { value: n, now: Date.now(), currentTime: v.currentTime }; };
</script></body></html>`;

async function liveDelay(sfu: LocalSfu, room: string, dir: string): Promise<{ samples: number; p50: number; p95: number; min: number; max: number }> {
  const source = await timestampSource(sfu, room);
  const m = new RecordingManager(settings(dir), sfu, { streams: () => [{ producerId: source.producerId, kind: 'video', source: 'camera' }] });
  const info = await m.start(room, 'main', 'bench');
  const app = express();
  app.get('/', (_req, res) => res.type('html').send(PAGE));
  app.get('/hls.js', (_req, res) => res.sendFile(path.resolve('node_modules/hls.js/dist/hls.min.js')));
  app.use('/rec', express.static(path.join(dir, room, info.id), { maxAge: 0 }));
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const rec = m.recorderOf(room, 'main')!;
  while (rec.runSegments < 3) await sleep(200);
  const browser = await launchChromium();
  const page = await browser.newPage();
  await page.goto(url);
  await page.evaluate((src) => (window as unknown as { startHls(s: string): void }).startHls(src), `${url}/rec/index.m3u8`);
  const delays: number[] = [];
  const until = Date.now() + WINDOW_S * 1000 + 15_000;
  while (Date.now() < until && delays.length < WINDOW_S * 5) {
    const s = await page.evaluate(() => (window as unknown as { sample(): { value: number; now: number; currentTime: number } | null }).sample());
    if (s && s.currentTime > 0) {
      // The frame's source time: the tenths it shows, unwrapped against the source's start.
      const shownS = s.value / 10;
      const sinceStart = (s.now - source.startedAt) / 1000;
      const offset = (source.startedAt % 409_600) / 1000;
      let frameS = shownS - offset;
      while (frameS < sinceStart - 409.6) frameS += 409.6;
      while (frameS > sinceStart) frameS -= 409.6;
      delays.push(+(sinceStart - frameS).toFixed(2));
    }
    await sleep(200);
  }
  await browser.close();
  server.close();
  await m.close();
  source.ffmpeg.kill('SIGKILL');
  const sorted = [...delays].sort((a, b) => a - b);
  return { samples: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), min: sorted[0] ?? NaN, max: sorted[sorted.length - 1] ?? NaN };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-bench-rec-'));
  const sfu = await LocalSfu.create(testConfig({ HOINGHI_WORKERS: '1' }).sfu);
  try {
    await sfu.openRoom('bench-rec');
    const clip = await publishClip(sfu, 'bench-rec');
    const streams: RecordableStream[] = [
      { producerId: clip.videoProducerId, kind: 'video', source: 'camera' },
      { producerId: clip.audioProducerId, kind: 'audio', source: 'mic' },
    ];
    await sleep(2_000);
    const transcodePct = await cpuTranscoding(sfu, 'bench-rec', streams, dir);
    console.log(`recording: ffmpeg transcoding to HLS (H.264 + AAC): ${transcodePct}% of a core`);
    const copyPct = await cpuCopy(sfu, streams, dir);
    console.log(`recording: ffmpeg copying (VP8 + Opus into Matroska): ${copyPct}% of a core`);
    clip.stop();

    await sfu.openRoom('bench-delay');
    const delay = await liveDelay(sfu, 'bench-delay', dir);
    console.log(`recording: live HLS delay, glass to glass (segments ${SEGMENT_S} s): p50 ${delay.p50} s, p95 ${delay.p95} s (min ${delay.min}, max ${delay.max}, ${delay.samples} samples)`);
    const file = writeResult('recording', {
      at: new Date().toISOString(),
      machine: machine(),
      windowSeconds: WINDOW_S,
      segmentSeconds: SEGMENT_S,
      source: 'VP8 640x360 30 fps ~550 kbps + Opus 48 kbps (load-tests/fanout.ts clip), looped into plain-RTP producers',
      ffmpegCpuPctOfCore: { transcodingToHls: transcodePct, copyToMatroska: copyPct },
      liveDelaySeconds: { ...delay, source: 'live VP8 320x180 15 fps with its wall-clock time burned in; hls.js liveSyncDurationCount 2; includes source start-up (upper bound)' },
    });
    console.log(`recording: wrote ${file}`);
  } finally {
    await sfu.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

runBenchmark(main);
