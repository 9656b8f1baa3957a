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

/**
 * A live H.264 source as a studio encoder sends it (packetization mode 1, constrained baseline,
 * SPS/PPS in band, a keyframe every second), with Opus: ffmpeg encodes a test pattern and a tone
 * with libx264 and libopus into two plain-RTP producers of `roomId`.
 */
export async function publishH264(sfu: LocalSfu, roomId: string): Promise<RtpSource> {
  const videoSsrc = 33333333;
  const audioSsrc = 44444444;
  const video = await sfu.ingestRtp(roomId, 'video', {
    codecs: [{
      mimeType: 'video/H264', payloadType: 125, clockRate: 90000,
      parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
      rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
    }],
    encodings: [{ ssrc: videoSsrc }],
  } as types.RtpParameters);
  const audio = await sfu.ingestRtp(roomId, 'audio', {
    codecs: [{ mimeType: 'audio/opus', payloadType: 120, clockRate: 48000, channels: 2 }],
    encodings: [{ ssrc: audioSsrc }],
  } as types.RtpParameters);
  const url = (p: { port: number; rtcpPort: number }) => `rtp://127.0.0.1:${p.port}?rtcpport=${p.rtcpPort}&pkt_size=1200`;
  const ffmpeg = spawn('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=15',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-map', '0:v:0', '-c:v', 'libx264', '-profile:v', 'baseline', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
    '-g', '15', '-bf', '0', '-b:v', '300k',
    '-f', 'rtp', '-ssrc', String(videoSsrc), '-payload_type', '125', url(video),
    '-map', '1:a:0', '-c:a', 'libopus', '-ac', '2', '-b:a', '48k',
    '-f', 'rtp', '-ssrc', String(audioSsrc), '-payload_type', '120', url(audio),
  ], { stdio: 'ignore' });
  return { videoProducerId: video.producerId, audioProducerId: audio.producerId, ffmpeg, stop: () => ffmpeg.kill('SIGKILL') };
}
