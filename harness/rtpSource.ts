/**
 * Real media without a browser: the fan-out benchmark's source clip (harness/benchClip.ts:
 * VP8 ~550 kbps 640x360 with a keyframe every 2 s, plus Opus; encoded once and cached) looped by
 * ffmpeg with `-c copy` into two plain-RTP producers of a room.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { types } from 'mediasoup';
import type { LocalSfu } from '../sfu/LocalSfu';
import { BENCH_CLIP, ensureBenchClip } from './benchClip';

export const CLIP = BENCH_CLIP;
const VIDEO_SSRC = 22222222;
const AUDIO_SSRC = 11111111;

export interface RtpSource {
  videoProducerId: string;
  audioProducerId: string;
  ffmpeg: ChildProcess;
  stop(): void;
}

/** Publishes the looped clip into `roomId` as one video and one audio producer. */
export async function publishClip(sfu: LocalSfu, roomId: string): Promise<RtpSource> {
  ensureBenchClip();
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
