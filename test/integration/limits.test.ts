import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { MEETING, call, connectClient, request, startServer, tokenFor, type TestSocket } from '../../harness/server';
import { joinAndPublish } from '../helpers/flows';
import { videoRtpParameters } from '../../harness/media';

let server: HoinghiServer;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  server = await startServer({ HOINGHI_MAX_PARTICIPANTS: '3', HOINGHI_MAX_CONSUMERS_PER_PEER: '1' });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await server.close();
});

describe('resource limits', () => {
  it('refuses consumers past the per-participant cap with a typed error, creating none', async () => {
    const host = await joinAndPublish(server); // camera + mic: two producers
    sockets.push(host.socket);
    const s = await connectClient(server, tokenFor(server, { role: 'teacher' }));
    sockets.push(s);
    const join = await call(s, 'join', { meetingId: MEETING });
    await call(s, 'createTransport', { direction: 'recv' });
    const before = server.sfu.stats().consumers;
    const res = await request(s, 'startConsuming', { rtpCapabilities: join.routerRtpCapabilities });
    expect(res).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(server.sfu.stats().consumers).toBe(before);
  });

  it('refuses a second producer of the same source with conflict', async () => {
    const host = await joinAndPublish(server, { sub: 'host-2' });
    sockets.push(host.socket);
    const res = await request(host.socket, 'produce', { transportId: host.sendTransportId, kind: 'video', source: 'camera', rtpParameters: videoRtpParameters() });
    expect(res).toMatchObject({ ok: false, error: { code: 'conflict' } });
  });

  it('refuses participants past the meeting cap with unavailable and a retry-after', async () => {
    const s = await connectClient(server, tokenFor(server, { role: 'teacher' }));
    sockets.push(s);
    expect(server.sockets.registry.get(MEETING)!.peers.size).toBe(3);
    const res = await request(s, 'join', { meetingId: MEETING });
    expect(res).toMatchObject({ ok: false, error: { code: 'unavailable', retryAfterMs: expect.any(Number) } });
  });

  it('refuses malformed media parameters that pass the schema with bad_request (mediasoup validates too)', async () => {
    const host = sockets[0]!;
    const meeting = server.sockets.registry.get(MEETING)!;
    const peer = [...meeting.peers.values()].find((p) => p.socketId === host.id)!;
    const transportId = [...peer.transports].find(([, d]) => d === 'send')![0];
    await call(host, 'closeProducer', { producerId: [...peer.producers.values()].find((p) => p.source === 'camera')!.id });
    const res = await request(host, 'produce', {
      transportId,
      kind: 'video',
      source: 'camera',
      rtpParameters: { codecs: [{ mimeType: 'video/H265-not-real', payloadType: 100, clockRate: 90000 }], encodings: [{ ssrc: 1 }] },
    });
    expect(res).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });
});
