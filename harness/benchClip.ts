/**
 * The fan-out benchmarks' source: a 20 s VP8 550 kbit/s + Opus clip (640×360, 30 fps, a keyframe
 * every 2 s), encoded once by ffmpeg and cached in ~/.cache/hoinghi (HOINGHI_CACHE_DIR).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CACHE_DIR = process.env.HOINGHI_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'hoinghi');
export const BENCH_CLIP = path.join(CACHE_DIR, 'bench-clip-vp8-550k-v1.webm');

/** Encodes the clip unless it is cached; returns its path. */
export function ensureBenchClip(): string {
  if (fs.existsSync(BENCH_CLIP)) return BENCH_CLIP;
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  console.log('bench: encoding the source clip once (cached in', BENCH_CLIP, ')');
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', '20',
    '-c:v', 'libvpx', '-b:v', '550k', '-minrate', '550k', '-maxrate', '550k', '-bufsize', '550k',
    '-deadline', 'realtime', '-cpu-used', '8', '-g', '60', '-keyint_min', '60',
    '-c:a', 'libopus', '-b:a', '48k', '-ac', '2',
    `${BENCH_CLIP}.tmp.webm`,
  ], { stdio: 'inherit' });
  fs.renameSync(`${BENCH_CLIP}.tmp.webm`, BENCH_CLIP);
  return BENCH_CLIP;
}
