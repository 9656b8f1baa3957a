/**
 * What composing a recording costs ffmpeg (signaling/recording/composition.ts), on real parts
 * (mediasoup worker, SFU recorder taps, Debian's ffmpeg writing HLS), loopback only:
 *
 *   single                 one 720p camera + one microphone: no filter graph (as recordings always were)
 *   sideBySide+interpreter two 720p cameras side by side, the interpreter's 720p picture as an
 *                          inset, two microphones mixed (amix): three decodes, scaling, one encode
 *
 * Each source loops a cached 720p VP8 (~1.5 Mbit/s, 30 fps, testsrc2: moving, not a still) +
 * Opus clip with `-c copy` (the senders cost next to nothing). CPU of the recorder's ffmpeg is
 * measured over WINDOW_S seconds after its first segment, as % of one core.
 *
 * Usage: node --import tsx load-tests/composition.ts [windowSeconds=20]
 * Writes load-tests/results/composition.json.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalSfu } from '../sfu/LocalSfu';
import { testConfig } from '../harness/server';
import { CACHE_DIR } from '../harness/benchClip';
import { publishLive, type LiveSource } from '../harness/liveSource';
import { RecordingManager } from '../signaling/recording/RecordingManager';
import type { RecordableStream } from '../signaling/recording/recordingTypes';
import type { StageLayout } from '../signaling/protocol/production';
import { cpuSeconds, machine, runBenchmark, writeResult } from './lib';

const WINDOW_S = Number(process.argv[2] ?? 20);
const CLIP_720 = path.join(CACHE_DIR, 'bench-clip-vp8-720p-1500k-v1.webm');

function ensureClip(): string {
  if (fs.existsSync(CLIP_720)) return CLIP_720;
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  console.log('composition: encoding the 720p source clip once (cached in', CLIP_720, ')');
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '20',
    '-c:v', 'libvpx', '-b:v', '1500k', '-deadline', 'realtime', '-cpu-used', '8', '-g', '60', '-keyint_min', '60',
    '-c:a', 'libopus', '-b:a', '48k', '-ac', '2', `${CLIP_720}.tmp.webm`,
  ], { stdio: 'inherit' });
  fs.renameSync(`${CLIP_720}.tmp.webm`, CLIP_720);
  return CLIP_720;
}

async function measure(sfu: LocalSfu, room: string, dir: string, streams: RecordableStream[], layout: StageLayout): Promise<number> {
  const m = new RecordingManager(
    { dir, rtpIp: '127.0.0.1', minFreeBytes: 64 * 2 ** 20, retentionDays: 0, diskCheckIntervalMs: 60_000, recorder: { ffmpegPath: 'ffmpeg', segmentSeconds: 2, restartBackoffMs: { min: 500, max: 5_000 } } },
    sfu,
    { streams: () => streams, layout: () => layout },
  );
  await m.start(room, 'main', 'bench');
  const rec = m.recorderOf(room, 'main')!;
  const deadline = Date.now() + 30_000;
  while (rec.runSegments < 1 && Date.now() < deadline) await sleep(200);
  const pid = rec.pid!;
  const c0 = cpuSeconds(pid);
  const t0 = Date.now();
  await sleep(WINDOW_S * 1000);
  const pct = +((100 * (cpuSeconds(pid) - c0)) / ((Date.now() - t0) / 1000)).toFixed(1);
  const segments = rec.runSegments;
  await m.close();
  if (segments < WINDOW_S / 2 / 2) throw new Error(`only ${segments} segments in ${WINDOW_S} s: ffmpeg did not keep up`);
  return pct;
}

async function main(): Promise<void> {
  const clip = ensureClip();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-bench-compose-'));
  const sfu = await LocalSfu.create(testConfig({ HOINGHI_WORKERS: '1' }).sfu);
  const sources: LiveSource[] = [];
  try {
    await sfu.openRoom('bench-compose');
    for (let i = 0; i < 3; i++) sources.push(await publishLive(sfu, 'bench-compose', { clip, toneHz: i < 2 ? 440 : undefined }));
    const [a, b, sign] = sources as [LiveSource, LiveSource, LiveSource];
    await sleep(2_000);
    const cam = (s: LiveSource, order: number): RecordableStream => ({ producerId: s.videoProducerId, kind: 'video', source: 'camera', role: 'stage', order });
    const mic = (s: LiveSource, order: number): RecordableStream => ({ producerId: s.audioProducerId!, kind: 'audio', source: 'mic', role: 'stage', order });
    const single = await measure(sfu, 'bench-compose', dir, [cam(a, 0), mic(a, 0)], 'single');
    console.log(`composition: single (one 720p camera, one microphone, no filter): ${single}% of a core`);
    const composed = await measure(
      sfu, 'bench-compose', dir,
      [cam(a, 0), mic(a, 0), cam(b, 1), mic(b, 1), { producerId: sign.videoProducerId, kind: 'video', source: 'camera', role: 'interpreter' }],
      'sideBySide',
    );
    console.log(`composition: sideBySide + interpreter (three 720p pictures, two microphones mixed): ${composed}% of a core`);
    const file = writeResult('composition', {
      at: new Date().toISOString(),
      machine: machine(),
      windowSeconds: WINDOW_S,
      source: 'VP8 1280x720 30 fps ~1.5 Mbit/s testsrc2 + Opus 48 kbit/s, looped with -c copy into plain-RTP producers',
      output: 'H.264 (x264 veryfast zerolatency, crf 23, maxrate 2500k) + AAC 96k, 2 s HLS segments; composed at 1280x720',
      ffmpegCpuPctOfCore: { single, sideBySideWithInterpreter: composed },
    });
    console.log(`composition: wrote ${file}`);
  } finally {
    for (const s of sources) s.stop();
    await sfu.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

runBenchmark(main);
