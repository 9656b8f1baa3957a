/**
 * A WHIP or WHEP client's SDP offer, read into what mediasoup needs (pure, no I/O):
 *   - `parseOffer`: the offer's transport (ICE credentials, DTLS fingerprint and role) and its
 *     m-lines, refused with a typed `SdpError` when it cannot describe a WebRTC session;
 *   - `ingestParameters`: for one sending m-line (WHIP), the RtpParameters of a producer: the first
 *     codec the client offers that the router has (Opus; VP8, H.264 with a profile the router
 *     takes), its RTX, the header extensions mediasoup knows, the SSRCs or simulcast rids, the mid;
 *   - `receiveCapabilities`: for WHEP, the RtpCapabilities a receiving client offers (its payload
 *     types), to consume with.
 */
import { parse, parseParams, type MediaAttributes } from 'sdp-transform';
import { isSameProfile } from 'h264-profile-level-id';
import type { types } from 'mediasoup';
import { SdpError } from './sdpError';

export type Kind = 'audio' | 'video';

export interface OfferedMedia {
  /** The m-line's position in the offer (the answer keeps the order). */
  index: number;
  mid: string;
  kind: string;
  protocol: string;
  direction: 'sendrecv' | 'recvonly' | 'sendonly' | 'inactive';
  /** The parsed m-line (sdp-transform's object). */
  raw: MediaAttributes;
}

export interface ParsedOffer {
  iceUfrag: string;
  icePwd: string;
  /** The client's DTLS fingerprint (connectTransport). */
  fingerprint: { algorithm: string; value: string };
  /** The client's `a=setup`: actpass and active make the client the DTLS client. */
  setup: 'actpass' | 'active' | 'passive';
  media: OfferedMedia[];
}

const MAX_MEDIA = 8;
const FINGERPRINT_ALGORITHMS = new Set(['sha-1', 'sha-224', 'sha-256', 'sha-384', 'sha-512']);

/** Reads an offer, or throws SdpError naming what is missing. Never throws anything else. */
export function parseOffer(sdp: string): ParsedOffer {
  if (!/^v=0\r?\n/.test(sdp)) throw new SdpError('sdp', 'not an SDP offer (it must start with v=0)');
  let session;
  try {
    session = parse(sdp);
  } catch {
    throw new SdpError('sdp', 'the SDP offer could not be read');
  }
  const media = session.media ?? [];
  if (media.length === 0) throw new SdpError('sdp.media', 'the offer has no m= line');
  if (media.length > MAX_MEDIA) throw new SdpError('sdp.media', `the offer has more than ${MAX_MEDIA} m= lines`);
  const first = media[0]!;
  const iceUfrag = str(first.iceUfrag) ?? str(session.iceUfrag);
  const icePwd = str(first.icePwd) ?? str(session.icePwd);
  if (!iceUfrag || !icePwd) throw new SdpError('sdp.ice', 'the offer has no a=ice-ufrag / a=ice-pwd');
  const fp = first.fingerprint ?? session.fingerprint;
  if (!fp || typeof fp.hash !== 'string' || !FINGERPRINT_ALGORITHMS.has(String(fp.type).toLowerCase())) {
    throw new SdpError('sdp.fingerprint', 'the offer has no usable a=fingerprint');
  }
  const setup = String(first.setup ?? session.setup ?? 'actpass');
  if (setup !== 'actpass' && setup !== 'active' && setup !== 'passive') throw new SdpError('sdp.setup', `a=setup:${setup} cannot be answered`);
  const mids = new Set<string>();
  const out: OfferedMedia[] = media.map((m, index) => {
    const mid = m.mid === undefined ? '' : String(m.mid);
    if (!mid) throw new SdpError(`sdp.media.${index}.mid`, 'every m= line needs an a=mid');
    if (mids.has(mid)) throw new SdpError(`sdp.media.${index}.mid`, `a=mid:${mid} appears twice`);
    mids.add(mid);
    return { index, mid, kind: String(m.type), protocol: String(m.protocol), direction: m.direction ?? 'sendrecv', raw: m };
  });
  return { iceUfrag, icePwd, fingerprint: { algorithm: String(fp.type).toLowerCase(), value: fp.hash.toUpperCase() }, setup, media: out };
}

/** Whether an m-line is RTP media this server can take part in (not data channels, not plain RTP/AVP). */
export function isWebRtcMedia(m: OfferedMedia): m is OfferedMedia & { kind: Kind } {
  return (m.kind === 'audio' || m.kind === 'video') && /SAVPF$/.test(m.protocol) && m.raw.port !== 0;
}

/** RTCP feedback a mediasoup producer or consumer uses. */
const FEEDBACK = new Set(['nack', 'nack pli', 'ccm fir', 'goog-remb', 'transport-cc']);
const NOT_MEDIA_CODECS = new Set(['rtx', 'red', 'ulpfec', 'flexfec-03']);

interface OfferedCodec {
  payloadType: number;
  mimeType: string;
  clockRate: number;
  channels?: number;
  parameters: Record<string, string | number>;
  rtcpFeedback: types.RtcpFeedback[];
}

function offeredCodecs(m: OfferedMedia): OfferedCodec[] {
  const order = String(m.raw.payloads ?? '')
    .split(' ')
    .map(Number)
    .filter((pt) => Number.isInteger(pt));
  const codecs: OfferedCodec[] = [];
  for (const pt of order) {
    const rtp = m.raw.rtp.find((r) => r.payload === pt);
    if (!rtp || typeof rtp.codec !== 'string' || !rtp.rate) continue;
    const fmtp = m.raw.fmtp.find((f) => f.payload === pt);
    let parameters: Record<string, string | number> = {};
    try {
      parameters = fmtp ? parseParams(fmtp.config) : {};
    } catch {
      parameters = {};
    }
    const rtcpFeedback = (m.raw.rtcpFb ?? [])
      .filter((fb) => fb.payload === pt || fb.payload === '*' || Number(fb.payload) === pt)
      .map((fb) => ({ type: fb.type, parameter: fb.subtype ?? '' }))
      .filter((fb) => FEEDBACK.has(`${fb.type}${fb.parameter ? ` ${fb.parameter}` : ''}`));
    codecs.push({
      payloadType: pt,
      mimeType: `${m.kind}/${rtp.codec}`,
      clockRate: rtp.rate,
      ...(m.kind === 'audio' ? { channels: rtp.encoding ?? 1 } : {}),
      parameters,
      rtcpFeedback,
    });
  }
  return codecs;
}

/** Whether an offered codec is one the router has (same name, clock rate, channels; H.264: packetization mode and profile). */
function matches(offered: OfferedCodec, cap: types.RtpCodecCapability): boolean {
  if (offered.mimeType.toLowerCase() !== cap.mimeType.toLowerCase() || offered.clockRate !== cap.clockRate) return false;
  if (cap.kind === 'audio' && (offered.channels ?? 1) !== (cap.channels ?? 1)) return false;
  if (cap.mimeType.toLowerCase() === 'video/h264') {
    const mode = (p: Record<string, unknown> | undefined): number => Number(p?.['packetization-mode'] ?? 0);
    if (mode(offered.parameters) !== mode(cap.parameters)) return false;
    if (!isSameProfile(offered.parameters, cap.parameters ?? {})) return false;
  }
  return true;
}

function firstUsable(m: OfferedMedia, caps: types.RtpCapabilities): { codec: OfferedCodec; rtx: OfferedCodec | null } | null {
  const codecs = offeredCodecs(m);
  for (const codec of codecs) {
    const name = codec.mimeType.split('/')[1]!.toLowerCase();
    if (NOT_MEDIA_CODECS.has(name)) continue;
    if (!(caps.codecs ?? []).some((cap) => cap.kind === m.kind && matches(codec, cap))) continue;
    const rtx = codecs.find((c) => c.mimeType.toLowerCase().endsWith('/rtx') && Number(c.parameters.apt) === codec.payloadType) ?? null;
    return { codec, rtx };
  }
  return null;
}

/** The codecs named in an m-line (for error messages). */
export function offeredCodecNames(m: OfferedMedia): string[] {
  return [...new Set(offeredCodecs(m).map((c) => c.mimeType.split('/')[1]!).filter((n) => !NOT_MEDIA_CODECS.has(n.toLowerCase())))];
}

function knownExtensions(m: OfferedMedia & { kind: Kind }, caps: types.RtpCapabilities, skip: Set<string> = new Set()): { uri: string; id: number }[] {
  const known = new Set((caps.headerExtensions ?? []).filter((h) => h.kind === m.kind).map((h) => h.uri));
  return (m.raw.ext ?? [])
    .filter((e) => known.has(e.uri) && !skip.has(e.uri) && !e['encrypt-uri'] && Number.isInteger(e.value) && e.value >= 1 && e.value <= 255)
    .map((e) => ({ uri: e.uri, id: e.value }));
}

function ssrcValue(v: number | string | undefined): number | null {
  const n = Number(v);
  return Number.isInteger(n) && n > 0 && n <= 0xffffffff ? n : null;
}

function encodingsOf(m: OfferedMedia, hasRtx: boolean): types.RtpEncodingParameters[] {
  // Simulcast by rid (a=simulcast:send h;m;l with a=rid:<id> send).
  const sendRids = (m.raw.rids ?? []).filter((r) => r.direction === 'send').map((r) => String(r.id));
  if (m.raw.simulcast && sendRids.length > 0) {
    const sim = m.raw.simulcast;
    const list = sim.dir1 === 'send' ? sim.list1 : sim.dir2 === 'send' ? sim.list2 : undefined;
    const order = list
      ? list.split(';').map((alt) => alt.split(',')[0]!.replace(/^~/, ''))
      : sendRids;
    const rids = order.filter((rid) => sendRids.includes(rid));
    if (rids.length > 0) return rids.map((rid) => ({ rid }));
  }
  const ssrcs = m.raw.ssrcs ?? [];
  const fid = (m.raw.ssrcGroups ?? []).find((g) => g.semantics === 'FID');
  if (fid) {
    const [media, rtx] = fid.ssrcs.split(' ').map((s) => ssrcValue(s));
    if (media) return [hasRtx && rtx ? { ssrc: media, rtx: { ssrc: rtx } } : { ssrc: media }];
  }
  const first = ssrcValue(ssrcs[0]?.id);
  if (first) return [{ ssrc: first }];
  // No SSRC, no rid: the stream is found by its mid (mediasoup takes a single encoding).
  return [{}];
}

function cnameOf(m: OfferedMedia): string | undefined {
  const line = (m.raw.ssrcs ?? []).find((s) => s.attribute === 'cname');
  return line?.value ? String(line.value).slice(0, 255) : undefined;
}

/** What a WHIP m-line gives a producer, or why it cannot. */
export type IngestPlan =
  | { ok: true; kind: Kind; rtpParameters: types.RtpParameters; codecs: CodecLine[] }
  | { ok: false; reason: string };

/** One codec as the answer writes it (rtpmap, fmtp, rtcp-fb). */
export interface CodecLine {
  payloadType: number;
  mimeType: string;
  clockRate: number;
  channels?: number;
  parameters: Record<string, string | number>;
  rtcpFeedback: types.RtcpFeedback[];
}

/** The producer a sending m-line describes (WHIP), against the router's capabilities. */
export function ingestParameters(m: OfferedMedia, caps: types.RtpCapabilities): IngestPlan {
  if (!isWebRtcMedia(m)) return { ok: false, reason: `m=${m.kind} (${m.protocol}) is not WebRTC audio or video` };
  if (m.direction !== 'sendonly' && m.direction !== 'sendrecv') return { ok: false, reason: `m=${m.kind} mid ${m.mid} sends nothing (${m.direction})` };
  const chosen = firstUsable(m, caps);
  if (!chosen) {
    const offered = offeredCodecNames(m).join(', ') || 'none';
    const served = [...new Set((caps.codecs ?? []).filter((c) => c.kind === m.kind && !/\/rtx$/i.test(c.mimeType)).map((c) => c.mimeType.split('/')[1]))].join(', ');
    return { ok: false, reason: `m=${m.kind}: no codec this server takes (offered: ${offered}; served: ${served})` };
  }
  const { codec, rtx } = chosen;
  const codecs: CodecLine[] = [codec];
  if (rtx) codecs.push({ ...rtx, rtcpFeedback: [] });
  const cname = cnameOf(m);
  const rtpParameters: types.RtpParameters = {
    mid: m.mid,
    codecs: codecs.map((c) => ({
      mimeType: c.mimeType,
      payloadType: c.payloadType,
      clockRate: c.clockRate,
      ...(c.channels !== undefined ? { channels: c.channels } : {}),
      parameters: c.parameters,
      rtcpFeedback: c.rtcpFeedback,
    })),
    headerExtensions: knownExtensions(m, caps),
    encodings: encodingsOf(m, rtx !== null),
    rtcp: { ...(cname ? { cname } : {}), reducedSize: true },
  };
  return { ok: true, kind: m.kind, rtpParameters, codecs };
}

/**
 * The capabilities of a receiving client (WHEP) from its offer: its codecs and RTX, and the header
 * extensions the router knows. The mid and rid extensions are left out: the consumer's mid would
 * not be the client's, so the client tells streams apart by their SSRCs.
 *
 * A consumer sends with the router's payload types (mediasoup cannot rewrite them), and a client
 * that offered receives by its own: a codec is kept only where the two agree (an RTX only where its
 * payload type agrees too; without it, retransmissions go on the media SSRC). What is left out
 * here is refused with 406, never answered with a mapping the client would not decode.
 */
export function receiveCapabilities(offer: ParsedOffer, routerCaps: types.RtpCapabilities): types.RtpCapabilities {
  const codecs: types.RtpCodecCapability[] = [];
  const headerExtensions: types.RtpHeaderExtension[] = [];
  const skip = new Set([
    'urn:ietf:params:rtp-hdrext:sdes:mid',
    'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
    'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id',
  ]);
  const seen = new Set<string>();
  for (const m of offer.media) {
    if (!isWebRtcMedia(m) || (m.direction !== 'recvonly' && m.direction !== 'sendrecv')) continue;
    const offered = offeredCodecs(m);
    for (const c of offered) {
      const name = c.mimeType.split('/')[1]!.toLowerCase();
      if (name !== 'rtx' && NOT_MEDIA_CODECS.has(name)) continue;
      const router = (routerCaps.codecs ?? []).find((r) => r.kind === m.kind && r.preferredPayloadType === c.payloadType);
      if (!router) continue;
      if (name === 'rtx') {
        const media = offered.find((o) => o.payloadType === Number(c.parameters.apt));
        if (!router.mimeType.toLowerCase().endsWith('/rtx') || Number(router.parameters?.apt) !== media?.payloadType) continue;
      } else if (!matches(c, router)) continue;
      const key = `${m.kind}:${c.payloadType}`;
      if (seen.has(key)) continue;
      seen.add(key);
      codecs.push({
        kind: m.kind,
        mimeType: c.mimeType,
        preferredPayloadType: c.payloadType,
        clockRate: c.clockRate,
        ...(c.channels !== undefined ? { channels: c.channels } : {}),
        parameters: c.parameters,
        rtcpFeedback: name === 'rtx' ? [] : c.rtcpFeedback,
      });
    }
    for (const e of knownExtensions(m, routerCaps, skip)) {
      if (headerExtensions.some((h) => h.kind === m.kind && h.uri === e.uri)) continue;
      headerExtensions.push({ kind: m.kind, uri: e.uri, preferredId: e.id, direction: 'sendrecv' });
    }
  }
  return { codecs, headerExtensions };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
