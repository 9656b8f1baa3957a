/**
 * Media input found loose when tried from outside (issue 10, part 5): refused with a typed
 * bad_request before it reaches mediasoup, or mapped from mediasoup's own typed rejection; never
 * `internal`, and the meeting alongside keeps working.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { call, connectClient, request, startServer, tokenFor, type TestSocket } from '../../harness/server';
import { joinAndPublish, joinAsViewer, type Publisher } from '../helpers/flows';
import { MEETING } from '../../harness/server';
import { audioRtpParameters, dtlsParameters, videoRtpParameters } from '../../harness/media';

let server: HoinghiServer;
let host: Publisher;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  server = await startServer();
  host = await joinAndPublish(server);
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});
afterAll(async () => {
  host.socket.close();
  await server.close();
});

/** A second host-role socket in the meeting with a connected send transport. */
async function sender(): Promise<{ socket: TestSocket; transportId: string }> {
  const socket = await connectClient(server, tokenFor(server, { role: 'host' }));
  sockets.push(socket);
  await call(socket, 'join', { meetingId: MEETING });
  const { id } = await call(socket, 'createTransport', { direction: 'send' });
  await call(socket, 'connectTransport', { transportId: id, dtlsParameters });
  return { socket, transportId: id };
}

function producers(): number {
  return server.sfu.stats().producers;
}

/** A newcomer still receives the host's camera and microphone. */
async function meetingStillWorks(): Promise<void> {
  const late = await joinAsViewer(server);
  sockets.push(late.socket);
  expect(late.consumers.map((c) => c.producerId).sort()).toEqual(Object.values(host.producers).sort());
}

describe('produce parameters refused before mediasoup', () => {
  it('refuses an audio producer whose codec is VP8 with bad_request', async () => {
    const s = await sender();
    const before = producers();
    const video = videoRtpParameters('5');
    const res = await request(s.socket, 'produce', {
      transportId: s.transportId,
      kind: 'audio',
      source: 'mic',
      rtpParameters: { ...video, encodings: [{ ssrc: 77_001 }] },
    });
    expect(res).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(producers()).toBe(before);
    await meetingStillWorks();
  });

  it.each(['S99T99', 'L9T9', 'garbage', 'L3T3', 'S3T3_KEY'])(
    'refuses scalabilityMode %s on a simulcast camera, and viewers still consume the host',
    async (mode) => {
      const s = await sender();
      const before = producers();
      const rtp = videoRtpParameters('6');
      const res = await request(s.socket, 'produce', {
        transportId: s.transportId,
        kind: 'video',
        source: 'camera',
        rtpParameters: { ...rtp, encodings: rtp.encodings.map((e) => ({ ...e, scalabilityMode: mode })) },
      });
      expect(res).toMatchObject({ ok: false, error: { code: 'bad_request' } });
      expect(producers()).toBe(before);
      await meetingStillWorks();
    },
  );

  it('accepts the scalability modes browsers send (L1T3 per simulcast encoding, S3T3 on one encoding)', async () => {
    const s = await sender();
    const rtp = videoRtpParameters('7');
    const ok = await request(s.socket, 'produce', {
      transportId: s.transportId,
      kind: 'video',
      source: 'camera',
      rtpParameters: { ...rtp, encodings: rtp.encodings.map((e) => ({ ...e, scalabilityMode: 'L1T3' })) },
    });
    expect(ok.ok).toBe(true);
    const svc = await sender();
    const one = videoRtpParameters('8');
    const res = await request(svc.socket, 'produce', {
      transportId: svc.transportId,
      kind: 'video',
      source: 'camera',
      rtpParameters: { ...one, encodings: [{ ssrc: one.encodings[0]!.ssrc, scalabilityMode: 'S3T3' }] },
    });
    expect(res.ok).toBe(true);
  });

  it.each([
    ['a media ssrc of 2^32', [{ ssrc: 2 ** 32 }]],
    ['a media ssrc above 2^32', [{ ssrc: 2 ** 40 }]],
    ['an RTX ssrc of 2^32', [{ ssrc: 5_000, rtx: { ssrc: 2 ** 32 } }]],
    ['an RTX ssrc equal to its media ssrc', [{ ssrc: 5_001, rtx: { ssrc: 5_001 } }]],
    ['one ssrc on two encodings', [{ ssrc: 5_002 }, { ssrc: 5_002 }]],
    ['a duplicate rid', [{ rid: 'r0' }, { rid: 'r0' }]],
  ])('refuses %s with bad_request', async (_what, encodings) => {
    const s = await sender();
    const before = producers();
    const rtp = videoRtpParameters('9');
    const res = await request(s.socket, 'produce', {
      transportId: s.transportId,
      kind: 'video',
      source: 'camera',
      rtpParameters: { ...rtp, codecs: [...rtp.codecs, { mimeType: 'video/rtx', payloadType: 97, clockRate: 90000, parameters: { apt: 96 } }], encodings },
    });
    expect(res).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(producers()).toBe(before);
  });
});

describe("mediasoup's own rejections are bad_request, not internal", () => {
  it('answers a second connectTransport with bad_request and keeps the first connection', async () => {
    const s = await sender();
    const res = await request(s.socket, 'connectTransport', { transportId: s.transportId, dtlsParameters });
    expect(res).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    // The transport still works: it can produce.
    const mic = await request(s.socket, 'produce', {
      transportId: s.transportId,
      kind: 'audio',
      source: 'mic',
      rtpParameters: audioRtpParameters('3'),
    });
    expect(mic.ok).toBe(true);
  });

  it('answers a producer reusing the ssrc of another producer on the same transport with bad_request', async () => {
    const s = await sender();
    const cam = videoRtpParameters('1');
    expect((await request(s.socket, 'produce', { transportId: s.transportId, kind: 'video', source: 'camera', rtpParameters: cam })).ok).toBe(true);
    const before = producers();
    const screen = videoRtpParameters('2');
    const res = await request(s.socket, 'produce', {
      transportId: s.transportId,
      kind: 'video',
      source: 'screen',
      rtpParameters: { ...screen, encodings: [{ ssrc: cam.encodings[0]!.ssrc }] },
    });
    expect(res).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(producers()).toBe(before);
  });

  it('answers a producer reusing the mid of another producer on the same transport with bad_request', async () => {
    const s = await sender();
    expect((await request(s.socket, 'produce', { transportId: s.transportId, kind: 'video', source: 'camera', rtpParameters: videoRtpParameters('4') })).ok).toBe(true);
    const res = await request(s.socket, 'produce', {
      transportId: s.transportId,
      kind: 'video',
      source: 'screen',
      rtpParameters: { ...videoRtpParameters('4'), encodings: [{ ssrc: 88_001 }] },
    });
    expect(res).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });

  it('accepts two producers with their own mids sharing rids on one transport (simulcast camera and screen)', async () => {
    const s = await sender();
    const rids = (mid: string) => ({ ...videoRtpParameters(mid), encodings: ['r0', 'r1', 'r2'].map((rid) => ({ rid })) });
    expect((await request(s.socket, 'produce', { transportId: s.transportId, kind: 'video', source: 'camera', rtpParameters: rids('10') })).ok).toBe(true);
    expect((await request(s.socket, 'produce', { transportId: s.transportId, kind: 'video', source: 'screen', rtpParameters: rids('11') })).ok).toBe(true);
  });

  it('lets a new producer take the ssrc and mid of a producer that was closed', async () => {
    const s = await sender();
    const cam = videoRtpParameters('12');
    const { producerId } = await call(s.socket, 'produce', { transportId: s.transportId, kind: 'video', source: 'camera', rtpParameters: cam });
    await call(s.socket, 'closeProducer', { producerId });
    const again = await request(s.socket, 'produce', { transportId: s.transportId, kind: 'video', source: 'camera', rtpParameters: cam });
    expect(again.ok).toBe(true);
  });

  it('accepts DTLS role server from a client (the SFU then acts as DTLS client)', async () => {
    const socket = await connectClient(server, tokenFor(server, { role: 'teacher' }));
    sockets.push(socket);
    await call(socket, 'join', { meetingId: MEETING });
    const { id } = await call(socket, 'createTransport', { direction: 'recv' });
    const res = await request(socket, 'connectTransport', { transportId: id, dtlsParameters: { ...dtlsParameters, role: 'server' } });
    expect(res.ok).toBe(true);
    const again = await request(socket, 'connectTransport', { transportId: id, dtlsParameters: { ...dtlsParameters, role: 'server' } });
    expect(again).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });
});
