/**
 * The source clips of the per-viewer cost benchmarks (load-tests/viewerCost.ts,
 * load-tests/workerProfile.ts): one WebM per simulcast layer and Opus frame length, made once with
 * ffmpeg and cached in ~/.cache/hoinghi (or $HOINGHI_CACHE_DIR).
 *
 * Layers: `top` (1280×720, 30 fps, 1.2 Mbps) and `middle` (640×360, 30 fps, 500 kbps) are the web
 * client's CAMERA_ENCODINGS; `360p20` (640×360, 20 fps, 350 kbps) is a lighter mass-audience middle
 * layer measured as a candidate, not what the client sends. Keyframes every 2 s in all.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const CACHE = process.env.HOINGHI_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'hoinghi');

export type VideoLayer = 'top' | 'middle' | '360p20';
export type Ptime = 20 | 60;
/** Per layer: the source, the bitrate, the keyframe interval in frames (2 s). */
const videoArgs: Record<VideoLayer, [string, string, number]> = {
  top: ['testsrc2=size=1280x720:rate=30', '1200k', 60],
  middle: ['testsrc2=size=640x360:rate=30', '500k', 60],
  '360p20': ['testsrc2=size=640x360:rate=20', '350k', 40],
};
export function clipPath(layer: VideoLayer, ptime: Ptime): string {
  return path.join(CACHE, `viewer-cost-${layer}-opus${ptime}-v1.webm`);
}
export function makeClips(): void {
  fs.mkdirSync(CACHE, { recursive: true });
  const ff = (args: string[]) => execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { stdio: 'inherit' });
  const parts = path.join(CACHE, 'viewer-cost-parts');
  fs.mkdirSync(parts, { recursive: true });
  for (const layer of ['top', 'middle', '360p20'] as const) {
    for (const ptime of [20, 60] as const) {
      const out = clipPath(layer, ptime);
      if (fs.existsSync(out)) continue;
      const v = path.join(parts, `${layer}.webm`);
      if (!fs.existsSync(v)) {
        const [src, rate, gop] = videoArgs[layer];
        console.log(`viewer-cost: encoding the ${layer} layer clip once`);
        ff(['-f', 'lavfi', '-i', src, '-t', '20', '-c:v', 'libvpx', '-b:v', rate, '-minrate', rate, '-maxrate', rate, '-bufsize', rate,
          '-deadline', 'realtime', '-cpu-used', '8', '-g', String(gop), '-keyint_min', String(gop), `${v}.tmp.webm`]);
        fs.renameSync(`${v}.tmp.webm`, v);
      }
      const a = path.join(parts, `opus${ptime}.webm`);
      if (!fs.existsSync(a)) {
        // A voice-band tone, talking 3.5 s and pausing 1.5 s of every 5 s; mono 32 kbps as the web client sends.
        ff(['-f', 'lavfi', '-i', "aevalsrc='if(lt(mod(t,5),3.5),0.3*sin(2*PI*440*t)*(0.6+0.4*sin(2*PI*3*t)),0)':s=48000", '-t', '20',
          '-c:a', 'libopus', '-b:a', '32k', '-ac', '1', '-frame_duration', String(ptime), `${a}.tmp.webm`]);
        fs.renameSync(`${a}.tmp.webm`, a);
      }
      ff(['-i', v, '-i', a, '-map', '0:v:0', '-map', '1:a:0', '-c', 'copy', `${out}.tmp.webm`]);
      fs.renameSync(`${out}.tmp.webm`, out);
    }
  }
}
