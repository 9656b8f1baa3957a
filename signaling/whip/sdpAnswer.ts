/**
 * The SDP answer of a WHIP or WHEP resource (pure): ICE-lite, the transport's ICE credentials and
 * candidates, its DTLS fingerprint and role, BUNDLE of the accepted m-lines, rtcp-mux, and per
 * m-line the codecs chosen (rtpmap, fmtp, rtcp-fb) and header extensions. WHIP answers recvonly;
 * WHEP answers sendonly with the consumer's SSRCs and cname. An m-line that is not served is
 * answered with port 0 (rejected) and left out of the bundle, as RFC 8843 wants.
 */
import { write, type MediaAttributes, type SessionDescription } from 'sdp-transform';
import type { types } from 'mediasoup';
import type { TransportParams } from '../../sfu/types';
import type { OfferedMedia, ParsedOffer } from './sdpOffer';

/** What the answer says for one offered m-line. */
export type AnsweredMedia =
  | { offered: OfferedMedia; accepted: false }
  | {
      offered: OfferedMedia;
      accepted: true;
      direction: 'recvonly' | 'sendonly';
      rtpParameters: types.RtpParameters;
      /** WHEP: the stream and track ids of a=msid. */
      msid?: { stream: string; track: string };
    };

/** Our DTLS role from the client's a=setup (actpass/active: we are the server, `passive`). */
export function dtlsRoles(offer: ParsedOffer): { ours: 'passive' | 'active'; client: types.DtlsRole } {
  return offer.setup === 'passive' ? { ours: 'active', client: 'server' } : { ours: 'passive', client: 'client' };
}

function fingerprint(transport: TransportParams): { type: string; hash: string } {
  const fps = transport.dtlsParameters.fingerprints;
  const fp = fps.find((f) => f.algorithm === 'sha-256') ?? fps[fps.length - 1]!;
  return { type: fp.algorithm, hash: fp.value };
}

function candidates(transport: TransportParams): MediaAttributes['candidates'] {
  return transport.iceCandidates.map((c) => ({
    foundation: c.foundation,
    component: 1,
    transport: c.protocol,
    priority: c.priority,
    ip: (c as { address?: string }).address ?? (c as { ip?: string }).ip,
    port: c.port,
    type: c.type,
    ...(c.protocol === 'tcp' ? { tcptype: c.tcpType ?? 'passive' } : {}),
  }));
}

function codecAttributes(rtp: types.RtpParameters): Pick<MediaAttributes, 'rtp' | 'fmtp' | 'rtcpFb' | 'payloads'> {
  const out = { rtp: [] as MediaAttributes['rtp'], fmtp: [] as MediaAttributes['fmtp'], rtcpFb: [] as NonNullable<MediaAttributes['rtcpFb']> };
  for (const c of rtp.codecs) {
    out.rtp.push({ payload: c.payloadType, codec: c.mimeType.split('/')[1]!, rate: c.clockRate, ...(c.channels && c.channels > 1 ? { encoding: c.channels } : {}) });
    const params = Object.entries(c.parameters ?? {}).map(([k, v]) => `${k}=${v}`);
    if (params.length > 0) out.fmtp.push({ payload: c.payloadType, config: params.join(';') });
    for (const fb of c.rtcpFeedback ?? []) out.rtcpFb.push({ payload: c.payloadType, type: fb.type, ...(fb.parameter ? { subtype: fb.parameter } : {}) });
  }
  return { ...out, payloads: rtp.codecs.map((c) => c.payloadType).join(' ') };
}

function ssrcAttributes(rtp: types.RtpParameters, msid: { stream: string; track: string } | undefined): Pick<MediaAttributes, 'ssrcs' | 'ssrcGroups'> {
  const cname = rtp.rtcp?.cname ?? 'hoinghi';
  const ssrcs: NonNullable<MediaAttributes['ssrcs']> = [];
  const ssrcGroups: NonNullable<MediaAttributes['ssrcGroups']> = [];
  for (const e of rtp.encodings ?? []) {
    if (!e.ssrc) continue;
    const all = e.rtx?.ssrc ? [e.ssrc, e.rtx.ssrc] : [e.ssrc];
    if (all.length === 2) ssrcGroups.push({ semantics: 'FID', ssrcs: all.join(' ') });
    for (const id of all) {
      ssrcs.push({ id, attribute: 'cname', value: cname });
      if (msid) ssrcs.push({ id, attribute: 'msid', value: `${msid.stream} ${msid.track}` });
    }
  }
  return { ssrcs, ssrcGroups };
}

/** The answer to `offer` on `transport`, m-line for m-line. */
export function buildAnswer(offer: ParsedOffer, transport: TransportParams, answered: AnsweredMedia[], sessionId: string): string {
  const roles = dtlsRoles(offer);
  const bundle = answered.filter((a) => a.accepted).map((a) => a.offered.mid);
  const ice = transport.iceParameters;
  const media: MediaAttributes[] = answered.map((a) => {
    const base = { type: a.offered.kind, protocol: a.offered.protocol, mid: a.offered.mid };
    if (!a.accepted) {
      // Rejected: port 0, the offer's formats echoed, nothing else needed.
      return { ...base, port: 0, payloads: String(a.offered.raw.payloads ?? '0').split(' ')[0] ?? '0', rtp: [], fmtp: [], direction: 'inactive' };
    }
    return {
      ...base,
      port: 9,
      connection: { version: 4, ip: '0.0.0.0' },
      iceUfrag: ice.usernameFragment,
      icePwd: ice.password,
      fingerprint: fingerprint(transport),
      setup: roles.ours,
      candidates: candidates(transport),
      endOfCandidates: 'end-of-candidates',
      direction: a.direction,
      rtcpMux: 'rtcp-mux',
      rtcpRsize: 'rtcp-rsize',
      ...codecAttributes(a.rtpParameters),
      ext: (a.rtpParameters.headerExtensions ?? []).map((h) => ({ value: h.id, uri: h.uri })),
      ...(a.msid ? { msid: [{ id: a.msid.stream, appdata: a.msid.track }] } : {}),
      ...(a.direction === 'sendonly' ? ssrcAttributes(a.rtpParameters, a.msid) : {}),
    };
  });
  const session: SessionDescription = {
    version: 0,
    origin: { username: '-', sessionId, sessionVersion: 1, netType: 'IN', ipVer: 4, address: '127.0.0.1' },
    name: '-',
    timing: { start: 0, stop: 0 },
    icelite: 'ice-lite',
    ...(bundle.length > 0 ? { groups: [{ type: 'BUNDLE', mids: bundle.join(' ') }] } : {}),
    msidSemantic: { semantic: 'WMS', token: '*' },
    media,
  };
  return write(session);
}
