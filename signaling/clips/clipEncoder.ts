/**
 * How a clip becomes two RTP streams the SFU takes: ffmpeg reads the file at its own pace (`-re`)
 * and encodes VP8 (at most 854×480, 30 fps, 800 kbit/s, a keyframe every 2 s so that a viewer
 * who joins gets a picture soon) and Opus (96 kbit/s stereo), each sent as plain RTP to its ingest
 * transport with the SSRC and payload type its producer was made with. One layer: no simulcast.
 */
import type { types } from 'mediasoup';
import type { IngestTransport, MediaKind } from '../../sfu/types';

export const CLIP_VIDEO = { ssrc: 0x0c11_0001, payloadType: 101 } as const;
export const CLIP_AUDIO = { ssrc: 0x0c11_0002, payloadType: 100 } as const;
/** Seconds between two keyframes. */
export const CLIP_KEYFRAME_S = 2;
export const CLIP_VIDEO_KBPS = 800;

/** What the producer of each stream is made with: what ffmpeg sends. */
export function clipRtpParameters(kind: MediaKind): types.RtpParameters {
  if (kind === 'video') {
    return {
      codecs: [{
        mimeType: 'video/VP8',
        payloadType: CLIP_VIDEO.payloadType,
        clockRate: 90000,
        rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
      }],
      encodings: [{ ssrc: CLIP_VIDEO.ssrc, maxBitrate: CLIP_VIDEO_KBPS * 1000 }],
    };
  }
  return {
    codecs: [{ mimeType: 'audio/opus', payloadType: CLIP_AUDIO.payloadType, clockRate: 48000, channels: 2 }],
    encodings: [{ ssrc: CLIP_AUDIO.ssrc }],
  };
}

function rtpUrl(to: Pick<IngestTransport, 'ip' | 'port' | 'rtcpPort'>): string {
  const host = to.ip.includes(':') ? `[${to.ip}]` : to.ip;
  return `rtp://${host}:${to.port}?rtcpport=${to.rtcpPort}&pkt_size=1200`;
}

/** ffmpeg's arguments: the file, once, in real time, to the video and/or audio transport. */
export function clipFfmpegArgs(file: string, to: { video?: IngestTransport; audio?: IngestTransport }): string[] {
  const args = ['-hide_banner', '-loglevel', 'warning', '-nostdin', '-re', '-i', file];
  if (to.video) {
    args.push(
      '-map', '0:v:0', '-an', '-sn', '-dn',
      '-vf', "scale=w='min(854,iw)':h='min(480,ih)':force_original_aspect_ratio=decrease,scale=trunc(iw/2)*2:trunc(ih/2)*2",
      '-fpsmax', '30', '-pix_fmt', 'yuv420p',
      '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-threads', '2', '-lag-in-frames', '0', '-error-resilient', '1',
      '-b:v', `${CLIP_VIDEO_KBPS}k`, '-maxrate', `${CLIP_VIDEO_KBPS}k`, '-bufsize', `${CLIP_VIDEO_KBPS}k`,
      '-force_key_frames', `expr:gte(t,n_forced*${CLIP_KEYFRAME_S})`, '-g', String(CLIP_KEYFRAME_S * 30),
      '-f', 'rtp', '-ssrc', String(CLIP_VIDEO.ssrc), '-payload_type', String(CLIP_VIDEO.payloadType), rtpUrl(to.video),
    );
  }
  if (to.audio) {
    args.push(
      '-map', '0:a:0', '-vn', '-sn', '-dn',
      '-c:a', 'libopus', '-b:a', '96k', '-ac', '2', '-ar', '48000', '-application', 'audio',
      '-f', 'rtp', '-ssrc', String(CLIP_AUDIO.ssrc), '-payload_type', String(CLIP_AUDIO.payloadType), rtpUrl(to.audio),
    );
  }
  return args;
}
