/**
 * The SDP file ffmpeg reads to receive a recording's plain RTP: one media section per stream,
 * with the payload type, codec, clock rate and format parameters the SFU's consumer sends.
 */
import type { types } from 'mediasoup';
import type { MediaKind } from '../../sfu/types';

export interface SdpStream {
  kind: MediaKind;
  /** Where ffmpeg listens: RTP on `port`, RTCP on `port + 1` (ffmpeg's own rule). */
  port: number;
  rtpParameters: types.RtpParameters;
}

/** The SDP for `streams`, all received on `ip`. */
export function recordingSdp(ip: string, streams: SdpStream[]): string {
  const family = ip.includes(':') ? 'IP6' : 'IP4';
  const lines = ['v=0', `o=- 0 0 IN ${family} ${ip}`, 's=hoinghi recording', `c=IN ${family} ${ip}`, 't=0 0'];
  for (const s of streams) {
    // The consumer's first codec is the media; the rest (RTX) are not sent to a plain transport
    // without RTX negotiated, and ffmpeg ignores what it does not map.
    const codec = s.rtpParameters.codecs.find((c) => !/\/rtx$/i.test(c.mimeType));
    if (!codec) throw new Error(`no media codec among the ${s.kind} consumer's codecs`);
    const name = codec.mimeType.split('/')[1]!;
    const rtpmap = `${codec.payloadType} ${name}/${codec.clockRate}${codec.channels && codec.channels > 1 ? `/${codec.channels}` : ''}`;
    lines.push(`m=${s.kind} ${s.port} RTP/AVP ${codec.payloadType}`, `a=rtpmap:${rtpmap}`);
    const params = Object.entries(codec.parameters ?? {}).map(([k, v]) => `${k}=${String(v)}`);
    if (params.length > 0) lines.push(`a=fmtp:${codec.payloadType} ${params.join(';')}`);
    lines.push('a=recvonly');
  }
  return `${lines.join('\r\n')}\r\n`;
}
