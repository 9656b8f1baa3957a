/**
 * The SDP side of the viewer bot. mediasoup never sees SDP: the bot builds locally the offer the
 * SFU would make from the server's ICE/DTLS/RTP parameters, as mediasoup-client builds its remote
 * offer, and hands it to libdatachannel. Also the capabilities the bot announces, and the m-line of
 * mediasoup's bandwidth probation stream.
 */
import { randomInt } from 'node:crypto';
import type { ConsumerInfo, RouterCapabilities, TransportInfo } from './viewerProtocol';

export const TRANSPORT_CC_URI = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';

/** mediasoup's bandwidth probation stream (RTP_PROBATOR_SSRC), and the mid mediasoup-client gives it. */
const PROBATOR_SSRC = 1234;
const PROBATOR_ID = 'probator';

/**
 * The SDP offer the SFU would make for these consumers (one BUNDLEd m-line each, ICE-lite); the
 * m-lines of `closed` consumers are kept in place with port 0, as mediasoup-client closes them.
 */
export function offerSdp(transport: TransportInfo, consumers: ConsumerInfo[], closed: ReadonlySet<string> = new Set()): string {
  const fp = transport.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256') ?? transport.dtlsParameters.fingerprints[0]!;
  const mids = consumers.map((c, i) => c.rtpParameters.mid ?? String(i));
  const lines = [
    'v=0',
    `o=hoinghi-sfu ${randomInt(1, 2 ** 31)} 1 IN IP4 0.0.0.0`,
    's=-',
    't=0 0',
    'a=ice-lite',
    `a=fingerprint:${fp.algorithm} ${fp.value}`,
    `a=group:BUNDLE ${mids.join(' ')}`,
    'a=msid-semantic: WMS *',
  ];
  const udp = transport.iceCandidates.filter((c) => c.protocol === 'udp');
  consumers.forEach((c, i) => {
    const rtp = c.rtpParameters;
    const pts = rtp.codecs.map((x) => x.payloadType);
    lines.push(`m=${c.kind} ${closed.has(c.id) ? 0 : 7} UDP/TLS/RTP/SAVPF ${pts.join(' ')}`, 'c=IN IP4 127.0.0.1', 'a=rtcp:9 IN IP4 0.0.0.0');
    lines.push(`a=ice-ufrag:${transport.iceParameters.usernameFragment}`, `a=ice-pwd:${transport.iceParameters.password}`);
    for (const cand of udp) lines.push(`a=candidate:${cand.foundation} 1 udp ${cand.priority} ${cand.ip} ${cand.port} typ host`);
    lines.push('a=end-of-candidates', 'a=setup:actpass', `a=mid:${mids[i]}`);
    // sendrecv, not sendonly: libdatachannel only lets a track send RTCP from the application
    // when its direction allows sending. The SFU never reads this SDP.
    lines.push(closed.has(c.id) ? 'a=inactive' : 'a=sendrecv', 'a=rtcp-mux', 'a=rtcp-rsize');
    for (const codec of rtp.codecs) {
      const [, name] = codec.mimeType.split('/');
      lines.push(`a=rtpmap:${codec.payloadType} ${name}/${codec.clockRate}${codec.channels && codec.channels > 1 ? `/${codec.channels}` : ''}`);
      const params = Object.entries(codec.parameters ?? {});
      if (params.length) lines.push(`a=fmtp:${codec.payloadType} ${params.map(([k, v]) => `${k}=${v}`).join(';')}`);
      for (const fb of codec.rtcpFeedback ?? []) lines.push(`a=rtcp-fb:${codec.payloadType} ${fb.type}${fb.parameter ? ` ${fb.parameter}` : ''}`);
    }
    for (const ext of rtp.headerExtensions ?? []) lines.push(`a=extmap:${ext.id} ${ext.uri}`);
    const enc = rtp.encodings?.[0];
    const cname = rtp.rtcp?.cname ?? 'hoinghi';
    if (enc?.ssrc !== undefined) {
      if (enc.rtx) lines.push(`a=ssrc-group:FID ${enc.ssrc} ${enc.rtx.ssrc}`);
      lines.push(`a=ssrc:${enc.ssrc} cname:${cname}`, `a=ssrc:${enc.ssrc} msid:hoinghi ${c.id}`);
      if (enc.rtx) lines.push(`a=ssrc:${enc.rtx.ssrc} cname:${cname}`, `a=ssrc:${enc.rtx.ssrc} msid:hoinghi ${c.id}`);
    }
  });
  return lines.join('\r\n') + '\r\n';
}

/**
 * Capabilities the bot announces: the router's, minus transport-cc when it is not wanted, and
 * minus REMB too without any bandwidth feedback (`remb: false`: mediasoup then runs no bandwidth
 * estimator for the viewer at all).
 */
export function botCapabilities(router: RouterCapabilities, transportCc: boolean, remb = true): RouterCapabilities {
  if (transportCc) return router;
  return {
    codecs: (router.codecs ?? []).map((c) => ({ ...c, rtcpFeedback: (c.rtcpFeedback ?? []).filter((f) => f.type !== 'transport-cc' && (remb || f.type !== 'goog-remb')) })),
    headerExtensions: (router.headerExtensions ?? []).filter((h) => h.uri !== TRANSPORT_CC_URI),
  };
}

/**
 * The m-line of mediasoup's bandwidth probation stream (SSRC 1234), to add with the first video
 * consumer as mediasoup-client adds its 'probator' (null: already offered, or no video yet).
 * Without it libdatachannel drops the probation packets (an SSRC it was not told of), no
 * transport-cc feedback answers them, and an estimate that fell below the lowest layer (video
 * stopped, audio carries no transport-cc) never climbs back: the bot would see no video again
 * where a browser recovers.
 */
export function probator(offered: ConsumerInfo[]): ConsumerInfo | null {
  if (offered.some((c) => c.id === PROBATOR_ID)) return null;
  const video = offered.find((c) => c.kind === 'video');
  if (!video) return null;
  const rtp = video.rtpParameters;
  const media = rtp.codecs.find((x) => !/\/(rtx|red|ulpfec)$/i.test(x.mimeType)) ?? rtp.codecs[0]!;
  return {
    id: PROBATOR_ID,
    kind: 'video',
    rtpParameters: { mid: PROBATOR_ID, codecs: [media], headerExtensions: rtp.headerExtensions, encodings: [{ ssrc: PROBATOR_SSRC }], rtcp: { cname: 'probator' } },
  };
}
