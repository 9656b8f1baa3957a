/**
 * SDP ↔ mediasoup for WHIP and WHEP (signaling/whip/sdpOffer.ts, sdpAnswer.ts), on offers captured
 * from the real Chromium (test/fixtures/whip/captureOffers.ts): VP8 + Opus, H.264 first, H.264
 * only, simulcast, a WHEP viewer's recvonly offer; and offers that cannot be answered.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { getSupportedRtpCapabilities, type types } from 'mediasoup';
import { parse } from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { SdpError } from '../../signaling/whip/sdpError';
import { ingestParameters, parseOffer, receiveCapabilities, type IngestPlan } from '../../signaling/whip/sdpOffer';
import { buildAnswer, dtlsRoles } from '../../signaling/whip/sdpAnswer';
import { broadcastSources } from '../../signaling/whip/broadcastSources';
import type { TransportParams } from '../../sfu/types';
import { mediaCodecs, pinRtxPayloadTypes } from '../../sfu/mediaCodecs';
import { generateRouterRtpCapabilities } from 'mediasoup/node/lib/ortc';
import type { PublishedProducer } from '../../signaling/store/types';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string): string => fs.readFileSync(path.join(here, '../fixtures/whip', `chromium-${name}.sdp`), 'utf8');

const headerExtensions = getSupportedRtpCapabilities().headerExtensions!;
/** A router with Opus and VP8 (+ RTX) only, mediasoup's default payload types (sfu/mediaCodecs.ts before H.264). */
const VP8_ROUTER: types.RtpCapabilities = {
  codecs: [
    { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, preferredPayloadType: 100, parameters: { useinbandfec: 1, usedtx: 1 }, rtcpFeedback: [{ type: 'transport-cc' }] },
    { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, preferredPayloadType: 101, parameters: {}, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] },
    { kind: 'video', mimeType: 'video/rtx', clockRate: 90000, preferredPayloadType: 102, parameters: { apt: 101 } },
  ],
  headerExtensions,
};
/** A router that also has H.264 (constrained baseline, packetization mode 1). */
const H264_ROUTER: types.RtpCapabilities = {
  ...VP8_ROUTER,
  codecs: [
    ...VP8_ROUTER.codecs!,
    { kind: 'video', mimeType: 'video/H264', clockRate: 90000, preferredPayloadType: 103, parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 } },
  ],
};

/** A router whose payload types are libwebrtc's (Opus 111, VP8 96, RTX 97): WHEP from Chromium can be served. */
const CHROMIUM_PT_ROUTER: types.RtpCapabilities = {
  headerExtensions,
  codecs: VP8_ROUTER.codecs!.map((c) => ({ ...c, preferredPayloadType: c.mimeType === 'audio/opus' ? 111 : c.mimeType === 'video/VP8' ? 96 : 97, ...(c.mimeType === 'video/rtx' ? { parameters: { apt: 96 } } : {}) })),
};

/** The router's capabilities exactly as every router of the platform has them (mediasoup's own code, then the RTX pin). */
const ROUTER: types.RtpCapabilities = (() => {
  const caps = generateRouterRtpCapabilities(mediaCodecs);
  pinRtxPayloadTypes(caps);
  return caps;
})();

const ok = (plan: IngestPlan): Extract<IngestPlan, { ok: true }> => {
  if (!plan.ok) throw new Error(plan.reason);
  return plan;
};

const TRANSPORT: TransportParams = {
  id: 't1',
  iceParameters: { usernameFragment: 'srvufrag', password: 'srvpassword0123456789', iceLite: true },
  iceCandidates: [
    { foundation: 'udpcandidate', priority: 1076302079, address: '127.0.0.1', ip: '127.0.0.1', protocol: 'udp', port: 40001, type: 'host', tcpType: undefined } as unknown as types.IceCandidate,
    { foundation: 'tcpcandidate', priority: 1076276479, address: '127.0.0.1', ip: '127.0.0.1', protocol: 'tcp', port: 40001, type: 'host', tcpType: 'passive' } as unknown as types.IceCandidate,
  ],
  dtlsParameters: {
    role: 'auto',
    fingerprints: [
      { algorithm: 'sha-1', value: 'AA:BB' },
      { algorithm: 'sha-256', value: '11:22:33' },
    ],
  },
};

describe('a WHIP offer from Chromium', () => {
  it('VP8 + Opus: Opus and VP8 with their RTX, SSRCs, cname, mid and the header extensions mediasoup knows', () => {
    const offer = parseOffer(fixture('vp8-opus'));
    expect(offer.setup).toBe('actpass');
    expect(offer.fingerprint.algorithm).toBe('sha-256');
    expect(offer.media.map((m) => [m.kind, m.direction])).toEqual([['audio', 'sendonly'], ['video', 'sendonly']]);

    const audio = ok(ingestParameters(offer.media[0]!, VP8_ROUTER));
    expect(audio.kind).toBe('audio');
    expect(audio.rtpParameters.mid).toBe(offer.media[0]!.mid);
    expect(audio.rtpParameters.codecs).toEqual([expect.objectContaining({ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 })]);
    expect(audio.rtpParameters.encodings).toEqual([{ ssrc: Number(offer.media[0]!.raw.ssrcs![0]!.id) }]);
    expect(audio.rtpParameters.rtcp!.cname).toBe(offer.media[0]!.raw.ssrcs!.find((s) => s.attribute === 'cname')!.value);
    const audioExt = audio.rtpParameters.headerExtensions!.map((h) => h.uri);
    expect(audioExt).toContain('urn:ietf:params:rtp-hdrext:ssrc-audio-level');
    expect(audioExt).toContain('urn:ietf:params:rtp-hdrext:sdes:mid');

    const video = ok(ingestParameters(offer.media[1]!, VP8_ROUTER));
    const [vp8, rtx] = video.rtpParameters.codecs;
    expect(vp8).toMatchObject({ mimeType: 'video/VP8', payloadType: 96 });
    expect(rtx).toMatchObject({ mimeType: 'video/rtx', payloadType: 97, parameters: { apt: 96 } });
    expect(vp8!.rtcpFeedback!.map((f) => `${f.type} ${f.parameter}`.trim())).toEqual(expect.arrayContaining(['nack', 'nack pli', 'ccm fir', 'transport-cc', 'goog-remb']));
    const [fidMedia, fidRtx] = offer.media[1]!.raw.ssrcGroups!.find((g) => g.semantics === 'FID')!.ssrcs.split(' ').map(Number);
    expect(video.rtpParameters.encodings).toEqual([{ ssrc: fidMedia, rtx: { ssrc: fidRtx } }]);
    const videoExt = video.rtpParameters.headerExtensions!.map((h) => h.uri);
    expect(videoExt).toEqual(expect.arrayContaining(['http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time', 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01']));
    // Chromium's own extensions (playout delay, video timing…) are not mediasoup's: left out.
    const known = new Set(headerExtensions.map((h) => h.uri));
    expect(videoExt.every((u) => known.has(u))).toBe(true);
    expect(offer.media[1]!.raw.ext!.length).toBeGreaterThan(videoExt.length);
  });

  it('H.264 first: VP8 on a router without H.264, H.264 (mode 1, same profile) with its RTX on one that has it', () => {
    const offer = parseOffer(fixture('h264-first-opus'));
    expect(ok(ingestParameters(offer.media[1]!, VP8_ROUTER)).rtpParameters.codecs[0]!.mimeType).toBe('video/VP8');
    const h264 = ok(ingestParameters(offer.media[1]!, H264_ROUTER)).rtpParameters.codecs;
    expect(h264[0]).toMatchObject({ mimeType: 'video/H264', parameters: { 'packetization-mode': 1 } });
    expect(String(h264[0]!.parameters!['profile-level-id']).slice(0, 2)).toBe('42');
    expect(h264[1]).toMatchObject({ mimeType: 'video/rtx', parameters: { apt: h264[0]!.payloadType } });
  });

  it('H.264 only, on a router without H.264: refused, saying what was offered and what is served', () => {
    const offer = parseOffer(fixture('h264-only-opus'));
    const plan = ingestParameters(offer.media[1]!, VP8_ROUTER);
    expect(plan.ok).toBe(false);
    expect(plan.ok ? '' : plan.reason).toMatch(/offered: H264.*served: VP8/);
    expect(ingestParameters(offer.media[0]!, VP8_ROUTER).ok).toBe(true);
  });

  it('simulcast: one encoding per rid, in the order of a=simulcast', () => {
    const offer = parseOffer(fixture('vp8-simulcast-opus'));
    expect(ok(ingestParameters(offer.media[1]!, VP8_ROUTER)).rtpParameters.encodings).toEqual([{ rid: 'l' }, { rid: 'm' }, { rid: 'h' }]);
  });

  it('is answered ICE-lite, passive, bundled and rtcp-muxed, with every candidate and only the chosen codecs', () => {
    const offer = parseOffer(fixture('vp8-opus'));
    const plans = offer.media.map((m) => ok(ingestParameters(m, VP8_ROUTER)));
    const sdp = buildAnswer(offer, TRANSPORT, offer.media.map((m, i) => ({ offered: m, accepted: true, direction: 'recvonly', rtpParameters: plans[i]!.rtpParameters })), '1');
    expect(sdp).toMatch(/^v=0\r\n/);
    expect(sdp).toContain('a=ice-lite\r\n');
    expect(sdp).toContain(`a=group:BUNDLE ${offer.media.map((m) => m.mid).join(' ')}\r\n`);
    const answer = parse(sdp);
    expect(answer.media).toHaveLength(2);
    for (const [i, m] of answer.media.entries()) {
      expect(String(m.mid)).toBe(offer.media[i]!.mid);
      expect(m.direction).toBe('recvonly');
      expect(m.setup).toBe('passive');
      expect(m.iceUfrag).toBe('srvufrag');
      expect(m.fingerprint).toEqual({ type: 'sha-256', hash: '11:22:33' });
      expect(m.rtcpMux).toBe('rtcp-mux');
      expect(m.candidates).toHaveLength(2);
      expect(String(m.payloads)).toBe(plans[i]!.rtpParameters.codecs.map((c) => c.payloadType).join(' '));
    }
    expect(sdp).toContain('a=candidate:tcpcandidate 1 tcp 1076276479 127.0.0.1 40001 typ host tcptype passive');
    expect(dtlsRoles(offer)).toEqual({ ours: 'passive', client: 'client' });
  });

  it('rejects an m-line it does not serve with port 0, out of the bundle', () => {
    const offer = parseOffer(fixture('h264-only-opus'));
    const audio = ok(ingestParameters(offer.media[0]!, VP8_ROUTER));
    const answer = parse(buildAnswer(offer, TRANSPORT, [{ offered: offer.media[0]!, accepted: true, direction: 'recvonly', rtpParameters: audio.rtpParameters }, { offered: offer.media[1]!, accepted: false }], '1'));
    expect(answer.media[1]!.port).toBe(0);
    expect(answer.groups!.map((g) => [g.type, String(g.mids)])).toEqual([['BUNDLE', offer.media[0]!.mid]]);
  });
});

describe('a WHEP offer from Chromium', () => {
  it('keeps only the codecs whose payload types agree with the router’s (a consumer cannot rewrite them)', () => {
    const offer = parseOffer(fixture('whep-recvonly'));
    // The router's Opus 100 / VP8 101 are Chromium's G722… and rtx: nothing it could decode.
    expect(receiveCapabilities(offer, VP8_ROUTER).codecs).toEqual([]);
    // RTX only where its payload type agrees too.
    const noRtx = receiveCapabilities(offer, { ...CHROMIUM_PT_ROUTER, codecs: CHROMIUM_PT_ROUTER.codecs!.map((c) => (c.mimeType === 'video/rtx' ? { ...c, preferredPayloadType: 100 } : c)) });
    expect(noRtx.codecs!.map((c) => c.mimeType)).toEqual(['audio/opus', 'video/VP8']);
  });

  it('gives the viewer’s capabilities with its own payload types, without the mid and rid extensions', () => {
    const offer = parseOffer(fixture('whep-recvonly'));
    const caps = receiveCapabilities(offer, CHROMIUM_PT_ROUTER);
    expect(caps.codecs).toEqual(expect.arrayContaining([
      expect.objectContaining({ kind: 'audio', mimeType: 'audio/opus', preferredPayloadType: 111, channels: 2 }),
      expect.objectContaining({ kind: 'video', mimeType: 'video/VP8', preferredPayloadType: 96 }),
      expect.objectContaining({ kind: 'video', mimeType: 'video/rtx', preferredPayloadType: 97, parameters: { apt: 96 } }),
    ]));
    const uris = caps.headerExtensions!.map((h) => h.uri);
    expect(uris).toContain('http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01');
    expect(uris).not.toContain('urn:ietf:params:rtp-hdrext:sdes:mid');
    expect(uris).not.toContain('urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id');
  });

  it('is answered sendonly with the consumer’s SSRCs, RTX group and cname', () => {
    const offer = parseOffer(fixture('whep-recvonly'));
    const rtpParameters: types.RtpParameters = {
      codecs: [
        { mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, parameters: {}, rtcpFeedback: [{ type: 'nack', parameter: 'pli' }] },
        { mimeType: 'video/rtx', payloadType: 97, clockRate: 90000, parameters: { apt: 96 }, rtcpFeedback: [] },
      ],
      headerExtensions: [],
      encodings: [{ ssrc: 1111, rtx: { ssrc: 2222 } }],
      rtcp: { cname: 'studio', reducedSize: true },
    };
    const answer = parse(buildAnswer(offer, TRANSPORT, [{ offered: offer.media[0]!, accepted: false }, { offered: offer.media[1]!, accepted: true, direction: 'sendonly', rtpParameters, msid: { stream: 's', track: 'c1' } }], '1'));
    const video = answer.media[1]!;
    expect(video.direction).toBe('sendonly');
    expect(video.ssrcGroups).toEqual([{ semantics: 'FID', ssrcs: '1111 2222' }]);
    expect(video.ssrcs).toEqual(expect.arrayContaining([{ id: 1111, attribute: 'cname', value: 'studio' }, { id: 2222, attribute: 'msid', value: 's c1' }]));
  });
});

describe('the router’s codecs (sfu/mediaCodecs.ts) against Chromium’s offers', () => {
  const name = (c: { mimeType: string }): string => c.mimeType.split('/')[1]!.toLowerCase();

  it('VP8 is the first video codec (a browser host publishes VP8), H.264 after it', () => {
    expect(ROUTER.codecs!.filter((c) => !/rtx/i.test(c.mimeType)).map((c) => c.mimeType)).toEqual(['audio/opus', 'video/VP8', 'video/H264', 'video/H264', 'video/H264']);
    const h264 = ROUTER.codecs!.filter((c) => name(c) === 'h264');
    expect(h264.map((c) => [c.parameters!['packetization-mode'], c.parameters!['profile-level-id'], c.parameters!['level-asymmetry-allowed']])).toEqual([[1, '42e01f', 1], [1, '42001f', 1], [1, '4d001f', 1]]);
  });

  it('every payload type, RTX included, is the one Chromium 156 offers for the same codec (a stock WHEP player needs no renumbering)', () => {
    const offer = parseOffer(fixture('whep-recvonly'));
    for (const codec of ROUTER.codecs!) {
      const m = offer.media.find((x) => x.kind === codec.kind)!;
      const rtp = m.raw.rtp.find((r) => r.payload === codec.preferredPayloadType);
      expect(rtp?.codec.toLowerCase(), `${codec.mimeType} ${codec.preferredPayloadType}`).toBe(name(codec));
      const fmtp = m.raw.fmtp.find((f) => f.payload === codec.preferredPayloadType)?.config ?? '';
      if (name(codec) === 'h264') {
        expect(fmtp).toContain(`profile-level-id=${codec.parameters!['profile-level-id']}`);
        expect(fmtp).toContain('packetization-mode=1');
      }
      if (name(codec) === 'rtx') expect(fmtp).toBe(`apt=${codec.parameters!.apt}`);
    }
    // So the viewer's capabilities keep every codec of the router.
    const caps = receiveCapabilities(offer, ROUTER);
    expect(caps.codecs!.map((c) => c.preferredPayloadType).sort()).toEqual(ROUTER.codecs!.map((c) => c.preferredPayloadType).sort());
  });

  it('an H.264-only encoder gets H.264 (mode 1, a profile the router has) with its RTX; H.264 first gets H.264; VP8 + Opus stays VP8', () => {
    const only = ok(ingestParameters(parseOffer(fixture('h264-only-opus')).media[1]!, ROUTER)).rtpParameters.codecs;
    expect(only.map((c) => c.mimeType)).toEqual(['video/H264', 'video/rtx']);
    expect(only[0]!.parameters).toMatchObject({ 'packetization-mode': 1 });
    expect(ROUTER.codecs!.some((c) => c.parameters?.['profile-level-id'] === only[0]!.parameters!['profile-level-id'])).toBe(true);
    expect(ok(ingestParameters(parseOffer(fixture('h264-first-opus')).media[1]!, ROUTER)).rtpParameters.codecs[0]!.mimeType).toBe('video/H264');
    expect(ok(ingestParameters(parseOffer(fixture('vp8-opus')).media[1]!, ROUTER)).rtpParameters.codecs[0]!.mimeType).toBe('video/VP8');
  });

  it('the RTX pin refuses a payload type used twice', () => {
    const caps = generateRouterRtpCapabilities(mediaCodecs);
    caps.codecs!.find((c) => c.mimeType === 'audio/opus')!.preferredPayloadType = 97;
    expect(() => pinRtxPayloadTypes(caps)).toThrow(/used twice/);
  });
});

describe('offers that cannot be answered', () => {
  const vp8 = fixture('vp8-opus');
  const cases: [string, string, string][] = [
    ['empty', '', 'sdp'],
    ['not SDP', 'hello, server', 'sdp'],
    ['JSON', '{"type":"offer"}', 'sdp'],
    ['no m-line', 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n', 'sdp.media'],
    ['no ICE credentials', vp8.replace(/a=ice-(ufrag|pwd):.*\r\n/g, ''), 'sdp.ice'],
    ['no fingerprint', vp8.replace(/a=fingerprint:.*\r\n/g, ''), 'sdp.fingerprint'],
    ['an unknown fingerprint algorithm', vp8.replace(/a=fingerprint:sha-256/g, 'a=fingerprint:md5'), 'sdp.fingerprint'],
    ['a=setup:holdconn', vp8.replace(/a=setup:actpass/g, 'a=setup:holdconn'), 'sdp.setup'],
    ['no mid', vp8.replace(/a=mid:.*\r\n/g, ''), 'sdp.media.0.mid'],
    ['a mid twice', vp8.replace(/a=mid:1\r\n/, 'a=mid:0\r\n'), 'sdp.media.1.mid'],
    ['twenty m-lines', `${vp8}${vp8.slice(vp8.indexOf('m=video')).repeat(19)}`, 'sdp.media'],
  ];
  it.each(cases)('%s → SdpError naming the field', (_name, sdp, field) => {
    let error: unknown;
    try {
      parseOffer(sdp);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SdpError);
    expect((error as SdpError).field).toBe(field);
    expect((error as SdpError).code).toBe('bad_request');
  });

  it('a receive-only m-line sends nothing to ingest; a data channel is not media', () => {
    const whep = parseOffer(fixture('whep-recvonly'));
    expect(ingestParameters(whep.media[0]!, VP8_ROUTER)).toMatchObject({ ok: false, reason: expect.stringMatching(/sends nothing/) });
    const data = parseOffer(`${vp8}m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:2\r\n`);
    expect(ingestParameters(data.media[2]!, VP8_ROUTER)).toMatchObject({ ok: false, reason: expect.stringMatching(/not WebRTC audio or video/) });
  });

  it('whatever the bytes, or the lines of a real offer dropped, reading throws nothing but SdpError', () => {
    const lines = vp8.split('\r\n');
    const check = (sdp: string): void => {
      try {
        const offer = parseOffer(sdp);
        for (const m of offer.media) ingestParameters(m, VP8_ROUTER);
        receiveCapabilities(offer, VP8_ROUTER);
      } catch (error) {
        if (!(error instanceof SdpError)) throw error;
      }
    };
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (s) => check(`v=0\r\n${s}`)), { numRuns: 300 });
    fc.assert(
      fc.property(fc.array(fc.nat(lines.length - 1), { maxLength: 12 }), fc.nat(lines.length - 1), fc.string({ maxLength: 40 }), (drop, at, junk) => {
        const mutated = lines.filter((_, i) => !drop.includes(i));
        mutated.splice(at, 0, junk);
        check(mutated.join('\r\n'));
      }),
      { numRuns: 300 },
    );
  });
});

describe('the broadcast a WHEP viewer receives', () => {
  const p = (id: string, over: Partial<PublishedProducer>): PublishedProducer => ({ id, kind: 'video', source: 'camera', peerId: 'host-1', peerName: 'Host', sessionKey: 'main', roomId: 'm', national: true, sessionHost: true, ...over });
  it('a screen share first, then the studio encoder’s camera, then a host’s; the encoder’s audio first; never a breakout’s', () => {
    const hostCam = p('cam', {});
    const encCam = p('enc-cam', { peerId: 'whip:abc' });
    const encMic = p('enc-mic', { peerId: 'whip:abc', kind: 'audio', source: 'mic' });
    const hostMic = p('mic', { kind: 'audio', source: 'mic' });
    const screen = p('screen', { source: 'screen' });
    const breakout = p('bk', { sessionKey: '01', national: false, source: 'screen' });
    expect(broadcastSources([breakout, hostCam, hostMic])).toEqual({ video: hostCam, audio: hostMic });
    expect(broadcastSources([hostCam, hostMic, encCam, encMic])).toEqual({ video: encCam, audio: encMic });
    expect(broadcastSources([hostCam, encCam, screen]).video).toBe(screen);
    expect(broadcastSources([breakout])).toEqual({ video: null, audio: null });
  });
});
