/**
 * Real media without a browser: the fan-out benchmark's source clip (VP8 ~550 kbps 640x360 with
 * a keyframe every 2 s, plus Opus; encoded once and cached, same recipe and file as
 * load-tests/fanout.ts) looped by ffmpeg with `-c copy` into two plain-RTP producers of a room.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { types } from 'mediasoup';
import type { LocalSfu } from '../../sfu/LocalSfu';

const CACHE = process.env.HOINGHI_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'hoinghi');
export const CLIP = path.join(CACHE, 'bench-clip-vp8-550k-v1.webm');
const VIDEO_SSRC = 22222222;
const AUDIO_SSRC = 11111111;

/** 20 s of moving test pattern at ~550 kbps VP8 plus a 48 kbps Opus tone, made once. */
export function makeClip(): string {
  if (fs.existsSync(CLIP)) return CLIP;
  fs.mkdirSync(CACHE, { recursive: true });
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', '20',
    '-c:v', 'libvpx', '-b:v', '550k', '-minrate', '550k', '-maxrate', '550k', '-bufsize', '550k',
    '-deadline', 'realtime', '-cpu-used', '8', '-g', '60', '-keyint_min', '60',
    '-c:a', 'libopus', '-b:a', '48k', '-ac', '2',
    `${CLIP}.tmp.webm`,
  ], { stdio: 'inherit' });
  fs.renameSync(`${CLIP}.tmp.webm`, CLIP);
  return CLIP;
}

export interface RtpSource {
  videoProducerId: string;
  audioProducerId: string;
  ffmpeg: ChildProcess;
  stop(): void;
}

/** Publishes the looped clip into `roomId` as one video and one audio producer. */
export async function publishClip(sfu: LocalSfu, roomId: string): Promise<RtpSource> {
  makeClip();
  const video = await sfu.ingestRtp(roomId, 'video', {
    codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }] }],
    encodings: [{ ssrc: VIDEO_SSRC }],
  } as types.RtpParameters);
  const audio = await sfu.ingestRtp(roomId, 'audio', {
    codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }],
    encodings: [{ ssrc: AUDIO_SSRC }],
  } as types.RtpParameters);
  const url = (p: { port: number; rtcpPort: number }) => `rtp://127.0.0.1:${p.port}?rtcpport=${p.rtcpPort}&pkt_size=1200`;
  const ffmpeg = spawn('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', CLIP,
    '-map', '0:v:0', '-c:v', 'copy', '-f', 'rtp', '-ssrc', String(VIDEO_SSRC), '-payload_type', '101', url(video),
    '-map', '0:a:0', '-c:a', 'copy', '-f', 'rtp', '-ssrc', String(AUDIO_SSRC), '-payload_type', '100', url(audio),
  ], { stdio: 'ignore' });
  return {
    videoProducerId: video.producerId,
    audioProducerId: audio.producerId,
    ffmpeg,
    stop: () => ffmpeg.kill('SIGKILL'),
  };
}
