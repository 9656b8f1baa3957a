/**
 * A live source you can recognise in a recording: ffmpeg encodes a solid colour (VP8, small and
 * cheap) and, if asked, a sine tone at its own frequency (Opus), in real time, into plain-RTP
 * producers of a room. A composed recording shows each source's colour where the layout puts it,
 * and its mix carries each tone (tests read both back from the recorded files).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import type { types } from 'mediasoup';
import type { LocalSfu } from '../sfu/LocalSfu';

export interface LiveSourceOptions {
  /** ffmpeg colour, e.g. '0x0000ff' or 'green'. */
  colour?: string;
  /** Instead of a colour: a WebM clip (VP8, and Opus when `toneHz` is set) looped as it is (`-c copy`, no encoding). */
  clip?: string;
  /** Picture size, e.g. '320x180'. */
  size?: string;
  /** A sine tone in Hz; no microphone without it. */
  toneHz?: number;
}

export interface LiveSource {
  videoProducerId: string;
  audioProducerId: string | null;
  ffmpeg: ChildProcess;
  stop(): void;
}

export async function publishLive(sfu: LocalSfu, roomId: string, options: LiveSourceOptions): Promise<LiveSource> {
  const videoSsrc = randomInt(1, 2 ** 31);
  const audioSsrc = randomInt(1, 2 ** 31);
  const video = await sfu.ingestRtp(roomId, 'video', {
    codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }] }],
    encodings: [{ ssrc: videoSsrc }],
  } as types.RtpParameters);
  const audio = options.toneHz
    ? await sfu.ingestRtp(roomId, 'audio', {
        codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }],
        encodings: [{ ssrc: audioSsrc }],
      } as types.RtpParameters)
    : null;
  const url = (p: { port: number; rtcpPort: number }) => `rtp://127.0.0.1:${p.port}?rtcpport=${p.rtcpPort}&pkt_size=1200`;
  const args = ['-hide_banner', '-loglevel', 'error'];
  if (options.clip) {
    args.push('-re', '-stream_loop', '-1', '-i', options.clip, '-map', '0:v:0', '-c:v', 'copy');
  } else {
    args.push('-re', '-f', 'lavfi', '-i', `color=c=${options.colour ?? 'black'}:s=${options.size ?? '320x180'}:r=15`);
    if (options.toneHz) args.push('-re', '-f', 'lavfi', '-i', `sine=frequency=${options.toneHz}:sample_rate=48000`);
    args.push('-map', '0:v:0', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '150k', '-g', '15', '-keyint_min', '15');
  }
  args.push('-f', 'rtp', '-ssrc', String(videoSsrc), '-payload_type', '101', url(video));
  if (audio) {
    args.push(...(options.clip ? ['-map', '0:a:0', '-c:a', 'copy'] : ['-map', '1:a:0', '-c:a', 'libopus', '-ac', '2', '-b:a', '48k']));
    args.push('-f', 'rtp', '-ssrc', String(audioSsrc), '-payload_type', '100', url(audio));
  }
  const ffmpeg = spawn('ffmpeg', args, { stdio: 'ignore' });
  return {
    videoProducerId: video.producerId,
    audioProducerId: audio?.producerId ?? null,
    ffmpeg,
    stop: () => ffmpeg.kill('SIGKILL'),
  };
}
