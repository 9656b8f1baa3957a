/**
 * The WHIP and WHEP endpoints on a real node (real mediasoup): ingest tokens (who may mint, what
 * is refused: forged, expired, another meeting's, a sign-in token), offers refused with their
 * status (415, 413, 400, 406) leaving nothing on the SFU, an encoder's producers in the meeting's
 * main session until DELETE (H.264-only encoders too), and WHEP bound to the sources on air, from
 * Chromium's offer as it is (the router's payload types are libwebrtc's). The offers are Chromium's
 * (test/fixtures/whip); the media itself flows in test/e2e/whip.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import jwt from 'jsonwebtoken';
import { parse, write } from 'sdp-transform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { MEETING, TEST_SECRET, startServer, tokenFor } from '../../harness/server';
import { eventually } from '../../harness/wait';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string): string => fs.readFileSync(path.join(here, '../fixtures/whip', `chromium-${name}.sdp`), 'utf8');

/** A viewer's offer renumbered to Opus 100, VP8 101 and its RTX 102: a player whose numbers are not libwebrtc's (nor the router's). */
function withOtherPayloadTypes(sdp: string): string {
  const session = parse(sdp);
  for (const m of session.media) {
    const audio = m.type === 'audio';
    m.rtp = audio ? [{ payload: 100, codec: 'opus', rate: 48000, encoding: 2 }] : [{ payload: 101, codec: 'VP8', rate: 90000 }, { payload: 102, codec: 'rtx', rate: 90000 }];
    m.fmtp = audio ? [{ payload: 100, config: 'minptime=10;useinbandfec=1' }] : [{ payload: 102, config: 'apt=101' }];
    m.rtcpFb = audio ? [{ payload: 100, type: 'transport-cc' }] : [{ payload: 101, type: 'nack' }, { payload: 101, type: 'nack', subtype: 'pli' }, { payload: 101, type: 'transport-cc' }];
    m.payloads = audio ? '100' : '101 102';
  }
  return write(session);
}

describe('WHIP and WHEP endpoints', () => {
  let server: HoinghiServer;
  let hostToken: string;
  let ingestToken: string;

  beforeAll(async () => {
    server = await startServer({ HOINGHI_CORS_ORIGINS: 'https://hoinghi.moet.gov.vn' });
    hostToken = tokenFor(server, { role: 'host', sub: 'host-1', name: 'Bộ trưởng' });
  });
  afterAll(async () => server?.close());

  const mint = (token: string | undefined, body: unknown = {}, meetingId = MEETING): Promise<Response> =>
    fetch(`${server.url}/api/meetings/${meetingId}/ingest-tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const post = (kind: 'whip' | 'whep', token: string | undefined, sdp: string, contentType = 'application/sdp', meetingId = MEETING): Promise<Response> =>
    fetch(`${server.url}/${kind}/${meetingId}`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: sdp,
    });
  /** Nothing of a WHIP/WHEP attempt is left on the SFU. */
  const nothingOnTheSfu = (): void => {
    const stats = server.sfu.stats();
    expect({ transports: stats.transports, producers: stats.producers, consumers: stats.consumers }).toEqual({ transports: 0, producers: 0, consumers: 0 });
    expect(server.whip.size + server.whep.size).toBe(0);
  };
  const errorOf = async (res: Response): Promise<{ code: string; message: string; field?: string }> => ((await res.json()) as { error: { code: string; message: string; field?: string } }).error;

  it('ingest tokens: minted by a national host of the meeting only, with a name and an expiry', async () => {
    const res = await mint(hostToken, { name: 'Trường quay VTV', ttlHours: 2 });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { token: string; whipPath: string; expiresAt: number; name: string };
    expect(body).toMatchObject({ whipPath: `/whip/${MEETING}`, name: 'Trường quay VTV' });
    expect(body.expiresAt).toBeGreaterThan(Date.now() + 3600_000);
    expect(body.expiresAt).toBeLessThanOrEqual(Date.now() + 2 * 3600_000 + 1000);
    ingestToken = body.token;

    expect((await mint(undefined)).status).toBe(401);
    expect((await mint(tokenFor(server, { role: 'teacher' }))).status).toBe(403);
    expect((await mint(tokenFor(server, { role: 'province_host', province: '01' }))).status).toBe(403);
    expect((await mint(hostToken, {}, 'another-meeting')).status).toBe(403);
    const bad = await mint(hostToken, { ttlHours: 1000 });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).field).toBe('ttlHours');
    // An ingest token is not a sign-in token.
    expect((await mint(ingestToken)).status).toBe(401);
  });

  it('refuses forged, expired, other meetings’ and sign-in tokens with 401, and opens nothing', async () => {
    const offer = fixture('vp8-opus');
    const claims = { purpose: 'whip-ingest', meeting: MEETING, name: 'x', by: 'host-1', jti: 'j' };
    const forged = jwt.sign(claims, 'not-the-key', { algorithm: 'HS256', expiresIn: 60, issuer: server.config.jwt.issuer, audience: `${server.config.jwt.audience}#whip` });
    const otherMeeting = ((await (await mint(tokenFor(server, { role: 'host', meetings: ['other-meeting'] }), {}, 'other-meeting')).json()) as { token: string }).token;
    const cases: [string, string | undefined, RegExp][] = [
      ['none', undefined, /missing/],
      ['forged', forged, /invalid/],
      ['signed with the sign-in secret', jwt.sign(claims, TEST_SECRET, { algorithm: 'HS256', expiresIn: 60 }), /invalid/],
      ['a host’s sign-in token', hostToken, /invalid/],
      ['another meeting’s', otherMeeting, /another meeting/],
    ];
    for (const [what, token, message] of cases) {
      const res = await post('whip', token, offer);
      expect(res.status, what).toBe(401);
      expect((await errorOf(res)).message, what).toMatch(message);
    }
    expect(server.sockets.registry.get(MEETING)).toBeUndefined();
    nothingOnTheSfu();
  });

  it('an expired ingest token is refused as expired, and opens nothing', async () => {
    const { token } = server.ingestTokens.mint(MEETING, 'Bộ mã hoá', 'host-1', -60);
    const res = await post('whip', token, fixture('vp8-opus'));
    expect(res.status).toBe(401);
    expect((await errorOf(res)).message).toMatch(/expired/);
    nothingOnTheSfu();
  });

  it('refuses what is not an SDP offer it can serve (415, 413, 400, 406) and leaves nothing behind', async () => {
    const wrongType = await post('whip', ingestToken, fixture('vp8-opus'), 'application/json');
    expect(wrongType.status).toBe(415);
    expect((await errorOf(wrongType)).code).toBe('bad_request');
    const huge = await post('whip', ingestToken, `${fixture('vp8-opus')}${'a=x-padding:0123456789abcdef\r\n'.repeat(2500)}`);
    expect(huge.status).toBe(413);
    expect((await errorOf(huge)).message).toMatch(/64 KB/);
    const garbage = await post('whip', ingestToken, 'hello, server');
    expect(garbage.status).toBe(400);
    expect((await errorOf(garbage)).field).toBe('sdp');
    const empty = await post('whip', ingestToken, '');
    expect(empty.status).toBe(400);
    const noFingerprint = await post('whip', ingestToken, fixture('vp8-opus').replace(/a=fingerprint:.*\r\n/g, ''));
    expect((await errorOf(noFingerprint)).field).toBe('sdp.fingerprint');
    // A viewer's offer sent to WHIP: nothing in it sends.
    const viewerOffer = await post('whip', ingestToken, fixture('whep-recvonly'));
    expect(viewerOffer.status).toBe(406);
    expect((await errorOf(viewerOffer)).message).toMatch(/sends nothing/);
    nothingOnTheSfu();
  });

  it('an H.264-only encoder (as OBS sends) is taken whole: Opus and H.264 (mode 1), with its RTX; a stock WHEP player receives its H.264', async () => {
    const res = await post('whip', ingestToken, fixture('h264-only-opus'));
    expect(res.status).toBe(201);
    const answer = parse(await res.text());
    expect(answer.media.map((m) => m.port)).toEqual([9, 9]);
    const video = answer.media[1]!;
    expect(video.rtp.map((r) => r.codec)).toEqual(['H264', 'rtx']);
    const fmtp = video.fmtp.find((f) => f.payload === video.rtp[0]!.payload)!.config;
    expect(fmtp).toMatch(/packetization-mode=1/);
    expect(server.sfu.stats().producers).toBe(2);
    const meeting = server.sockets.registry.get(MEETING)!;
    await eventually(() => expect([...meeting.published.values()].map((p) => p.kind).sort()).toEqual(['audio', 'video']));
    // Chromium's own offer, unchanged: its H.264 numbers are the router's.
    const whep = await post('whep', tokenFor(server, { role: 'teacher', sub: 'gv-h264' }), fixture('whep-recvonly'));
    expect(whep.status).toBe(201);
    const played = parse(await whep.text());
    expect(played.media[1]!.rtp.map((r) => r.codec)).toEqual(['H264', 'rtx']);
    const offered = parse(fixture('whep-recvonly')).media[1]!;
    const pt = played.media[1]!.rtp[0]!.payload;
    expect(offered.rtp.find((r) => r.payload === pt)?.codec).toBe('H264');
    const del = await fetch(new URL(res.headers.get('location')!, server.url), { method: 'DELETE', headers: { authorization: `Bearer ${ingestToken}` } });
    expect(del.status).toBe(200);
    // The playback ends with its source.
    await eventually(() => nothingOnTheSfu());
  });

  it('OPTIONS says what is allowed (no PATCH: the server is ICE-lite), for any origin', async () => {
    const res = await fetch(`${server.url}/whip/${MEETING}`, { method: 'OPTIONS', headers: { origin: 'https://studio.example.vn' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('allow')).toBe('OPTIONS, POST');
    expect(res.headers.get('access-control-allow-methods')).not.toMatch(/PATCH/);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toMatch(/Location/);
  });

  it('publishes an encoder into the main session as a national source until DELETE; WHEP plays it and ends with it', async () => {
    const started = await post('whip', ingestToken, fixture('vp8-opus'));
    expect(started.status).toBe(201);
    expect(started.headers.get('content-type')).toMatch(/^application\/sdp/);
    expect(started.headers.get('etag')).toMatch(/^".+"$/);
    const location = started.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^/whip/${MEETING}/[0-9a-f]{32}$`));
    const answer = parse(await started.text());
    expect(answer.icelite).toBe('ice-lite');
    expect(answer.media.map((m) => [m.type, m.direction, m.setup])).toEqual([['audio', 'recvonly', 'passive'], ['video', 'recvonly', 'passive']]);

    const meeting = server.sockets.registry.get(MEETING)!;
    const published = await eventually(() => {
      const all = [...meeting.published.values()];
      expect(all).toHaveLength(2);
      return all;
    });
    expect(published.map((p) => [p.kind, p.source])).toEqual(expect.arrayContaining([['audio', 'mic'], ['video', 'camera']]));
    for (const p of published) expect(p).toMatchObject({ peerId: expect.stringMatching(/^whip:[0-9a-f-]{36}$/), stage: 'presenter', peerName: 'Trường quay VTV', sessionKey: 'main', roomId: MEETING, national: true, sessionHost: true });

    const resourceUrl = new URL(location, server.url);
    const patch = await fetch(resourceUrl, { method: 'PATCH', headers: { 'content-type': 'application/trickle-ice-sdpfrag', authorization: `Bearer ${ingestToken}` }, body: 'a=ice-ufrag:x\r\n' });
    expect(patch.status).toBe(405);
    expect(patch.headers.get('allow')).toBe('OPTIONS, DELETE');

    // WHEP: a teacher of the meeting receives the broadcast; someone not admitted does not.
    const teacher = tokenFor(server, { role: 'teacher', sub: 'gv-1' });
    expect((await post('whep', tokenFor(server, { role: 'teacher', meetings: ['other'] }), fixture('whep-recvonly'))).status).toBe(403);
    expect((await post('whep', undefined, fixture('whep-recvonly'))).status).toBe(401);
    // A player whose payload types are not the router's (a consumer cannot renumber): refused, saying so, nothing made.
    const mismatched = await post('whep', teacher, withOtherPayloadTypes(fixture('whep-recvonly')));
    expect(mismatched.status).toBe(406);
    expect((await errorOf(mismatched)).message).toMatch(/payload types \(opus 111, VP8 96, H264 108/);
    expect(server.whep.size).toBe(0);
    // Chromium's offer as it is: the router's numbers are libwebrtc's (sfu/mediaCodecs.ts).
    const whep = await post('whep', teacher, fixture('whep-recvonly'));
    expect(whep.status).toBe(201);
    const played = parse(await whep.text());
    expect(played.media.map((m) => m.direction)).toEqual(['sendonly', 'sendonly']);
    for (const m of played.media) expect(m.ssrcs!.some((s) => s.attribute === 'cname')).toBe(true);
    expect(played.media[0]!.rtp.map((r) => [r.payload, r.codec])).toEqual([[111, 'opus']]);
    expect(played.media[1]!.rtp.map((r) => [r.payload, r.codec])).toEqual([[96, 'VP8'], [97, 'rtx']]);
    expect(server.whep.size).toBe(1);

    // A DELETE needs the encoder's token; then the producers leave the meeting, and WHEP ends with them.
    expect((await fetch(resourceUrl, { method: 'DELETE' })).status).toBe(401);
    expect((await fetch(resourceUrl, { method: 'DELETE', headers: { authorization: `Bearer ${ingestToken}` } })).status).toBe(200);
    await eventually(() => expect(meeting.published.size).toBe(0));
    await eventually(() => expect(server.whep.size).toBe(0));
    nothingOnTheSfu();
    expect((await fetch(resourceUrl, { method: 'DELETE', headers: { authorization: `Bearer ${ingestToken}` } })).status).toBe(404);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/hoinghi_whip_sessions_total\{kind="ingest"\} [2-9]/);
    expect(metrics).toMatch(/hoinghi_whip_sessions_total\{kind="playback"\} 2/);
    expect(metrics).toMatch(/hoinghi_whip_live\{kind="ingest"\} 0/);
  });

  it('WHEP with nothing on air: 409, nothing made', async () => {
    const res = await post('whep', tokenFor(server, { role: 'teacher' }), fixture('whep-recvonly'));
    expect(res.status).toBe(409);
    expect((await errorOf(res)).message).toMatch(/nothing is on air/);
    nothingOnTheSfu();
  });
});
