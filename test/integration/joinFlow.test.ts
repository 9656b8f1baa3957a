import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { MEETING, call, connectClient, next, request, tokenFor, startServer, type TestSocket } from '../../harness/server';
import { collect, joinAndPublish, joinAsViewer } from '../helpers/flows';
import { until } from '../../harness/wait';
import { dtlsParameters, videoRtpParameters } from '../../harness/media';
import type { ConsumerInfo } from '../../signaling/protocol/events';
import { DATA_SAVER_BPS } from '../../signaling/meeting/layerFlow';

let server: HoinghiServer;
const sockets: TestSocket[] = [];
const track = <T extends { socket: TestSocket }>(x: T): T => (sockets.push(x.socket), x);

beforeAll(async () => {
  server = await startServer();
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});
afterAll(async () => {
  await server.close();
});

describe('teacher join flow', () => {
  it('gives router capabilities, a receive transport that connects, and the self info from the token', async () => {
    const v = track(await joinAsViewer(server, { name: 'Cô Lan', province: '01', school: 'THPT A' }));
    expect(v.join.meetingId).toBe(MEETING);
    expect(v.join.self).toMatchObject({ role: 'teacher', name: 'Cô Lan', province: '01', canSend: false });
    const codecs = v.join.routerRtpCapabilities.codecs as { mimeType: string }[];
    expect(codecs.map((c) => c.mimeType)).toEqual(expect.arrayContaining(['audio/opus', 'video/VP8']));
    expect(v.recvTransportId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('consumes every current host producer, created paused, and resumes them', async () => {
    const host = track(await joinAndPublish(server));
    const v = track(await joinAsViewer(server));
    expect(v.consumers.map((c) => c.producerId).sort()).toEqual([host.producers.camera, host.producers.mic].sort());
    expect(v.consumers.find((c) => c.kind === 'video')).toMatchObject({ source: 'camera', peerId: expect.any(String) });
    // The consumer of a simulcast producer is itself simulcast-aware: one encoding for the viewer.
    expect((v.consumers.find((c) => c.kind === 'video')!.rtpParameters.encodings as unknown[]).length).toBe(1);
    expect(server.sfu.stats().consumers).toBeGreaterThanOrEqual(2);
    await call(host.socket, 'leave', {});
  });

  it('delivers a new host producer to a teacher already in the meeting', async () => {
    const v = track(await joinAsViewer(server));
    expect(v.consumers).toEqual([]);
    const arriving = collect<ConsumerInfo>(v.socket, 'newConsumer');
    const host = track(await joinAndPublish(server));
    await until(() => arriving.length === 2, { timeoutMs: 10_000, what: 'two new consumers' });
    expect(arriving.map((c) => c.producerId).sort()).toEqual([host.producers.camera, host.producers.mic].sort());
    for (const c of arriving) await call(v.socket, 'resumeConsumer', { consumerId: c.id });
    await call(host.socket, 'leave', {});
  });

  it('removes a closed host producer from every teacher', async () => {
    const host = track(await joinAndPublish(server));
    const viewers = [];
    for (let i = 0; i < 3; i++) viewers.push(track(await joinAsViewer(server)));
    const closings = viewers.map((v) => next(v.socket, 'consumerClosed'));
    await call(host.socket, 'closeProducer', { producerId: host.producers.camera });
    const closed = await Promise.all(closings);
    viewers.forEach((v, i) => {
      const videoConsumer = v.consumers.find((c) => c.kind === 'video')!;
      expect(closed[i]).toEqual({ consumerId: videoConsumer.id, producerId: host.producers.camera });
    });
    // A late teacher no longer gets the closed producer.
    const late = track(await joinAsViewer(server));
    expect(late.consumers.map((c) => c.producerId)).toEqual([host.producers.mic]);
    await call(host.socket, 'leave', {});
  });

  it('takes a disconnected host\'s producers away from teachers', async () => {
    const host = await joinAndPublish(server);
    const v = track(await joinAsViewer(server));
    const closed = collect(v.socket, 'consumerClosed');
    host.socket.close();
    await until(() => closed.length === 2, { timeoutMs: 10_000, what: 'both consumers closed' });
  });

  it('tells hosts the number of viewers', async () => {
    const host = await connectClient(server, tokenFor(server, { role: 'host' }));
    sockets.push(host);
    const first = next(host, 'meetingStats');
    await call(host, 'join', { meetingId: MEETING });
    expect(await first).toMatchObject({ hosts: 1 });
    const before = (await first).viewers;
    const stats = collect<{ viewers: number }>(host, 'meetingStats');
    track(await joinAsViewer(server));
    track(await joinAsViewer(server));
    await until(() => stats.at(-1)?.viewers === before + 2, { timeoutMs: 5_000, what: 'viewer count' });
  });

  it('keeps one attendee per user: a second connection replaces the first', async () => {
    const token = tokenFor(server, { role: 'teacher', sub: 'same-teacher' });
    const first = await connectClient(server, token);
    sockets.push(first);
    await joinAsViewer(server, {}, first);
    const dropped = new Promise<void>((resolve) => first.once('disconnect', () => resolve()));
    const second = await connectClient(server, token);
    sockets.push(second);
    await joinAsViewer(server, {}, second);
    await dropped;
    const meeting = server.sockets.registry.get(MEETING)!;
    expect([...meeting.peers.keys()].filter((k) => k === 'same-teacher')).toHaveLength(1);
    expect(meeting.peers.get('same-teacher')!.socketId).toBe(second.id);
  });

  it('refuses a meeting the token does not name', async () => {
    const s = await connectClient(server, tokenFor(server, { role: 'teacher', meetings: ['other-meeting'] }));
    sockets.push(s);
    const res = await request(s, 'join', { meetingId: MEETING });
    expect(res).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });
});

describe('teachers are receive-only', () => {
  it('refuses a send transport to a teacher with forbidden', async () => {
    const v = track(await joinAsViewer(server));
    const before = server.sfu.stats().transports;
    const res = await request(v.socket, 'createTransport', { direction: 'send' });
    expect(res).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(server.sfu.stats().transports).toBe(before);
  });

  it('refuses a teacher\'s produce with forbidden, even on their own receive transport', async () => {
    const v = track(await joinAsViewer(server));
    const before = server.sfu.stats().producers;
    const res = await request(v.socket, 'produce', {
      transportId: v.recvTransportId,
      kind: 'video',
      source: 'camera',
      rtpParameters: videoRtpParameters(),
    });
    expect(res).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(server.sfu.stats().producers).toBe(before);
  });

  it('answers not_found for another peer\'s transport id', async () => {
    const a = track(await joinAsViewer(server));
    const b = track(await joinAsViewer(server));
    const res = await request(b.socket, 'connectTransport', { transportId: a.recvTransportId, dtlsParameters });
    expect(res).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});

describe('audio only, for weak connections', () => {
  it('closes a teacher\'s video consumers, offers no new video, and brings it back when asked', async () => {
    const host = track(await joinAndPublish(server));
    const v = track(await joinAsViewer(server));
    const closed = collect<{ producerId: string }>(v.socket, 'consumerClosed');
    const arriving = collect<ConsumerInfo>(v.socket, 'newConsumer');
    // A witness with video on: its new consumer shows the fan-out of a new producer has run.
    const witness = track(await joinAsViewer(server));
    const witnessed = collect<ConsumerInfo>(witness.socket, 'newConsumer');
    expect(await call(v.socket, 'setAudioOnly', { on: true })).toEqual({ audioOnly: true });
    await until(() => closed.length === 1, { timeoutMs: 5_000, what: 'video consumer closed' });
    expect(closed[0]!.producerId).toBe(host.producers.camera);
    // A new video producer is not offered while audio only.
    await call(host.socket, 'closeProducer', { producerId: host.producers.camera });
    const camera = await call(host.socket, 'produce', { transportId: host.sendTransportId, kind: 'video', source: 'camera', rtpParameters: videoRtpParameters() });
    await until(() => witnessed.some((c) => c.producerId === camera.producerId), { what: 'the witness offered the new camera' });
    expect(arriving).toEqual([]);
    await call(v.socket, 'setAudioOnly', { on: false });
    await until(() => arriving.some((c) => c.producerId === camera.producerId), { timeoutMs: 5_000, what: 'video again' });
    await call(host.socket, 'leave', {});
  });
});

describe('data saver, for metered connections', () => {
  it('caps the teacher\'s receive transport, keeps the cap on a new transport, and lifts it', async () => {
    const caps = vi.spyOn(server.sfu, 'setMaxOutgoingBitrate');
    try {
      track(await joinAndPublish(server));
      const v = track(await joinAsViewer(server));
      expect(await call(v.socket, 'setDataSaver', { on: true })).toEqual({ dataSaver: true });
      expect(caps).toHaveBeenLastCalledWith(v.recvTransportId, DATA_SAVER_BPS);
      // A new receiving transport (a re-home) keeps the cap.
      const again = await call(v.socket, 'createTransport', { direction: 'recv' });
      expect(caps).toHaveBeenLastCalledWith(again.id, DATA_SAVER_BPS);
      expect(await call(v.socket, 'setDataSaver', { on: false })).toEqual({ dataSaver: false });
      expect(caps).toHaveBeenLastCalledWith(again.id, 0);
      expect(caps).toHaveBeenCalledTimes(3);
    } finally {
      caps.mockRestore();
    }
  });

  it('refuses before joining, and malformed payloads, with typed errors', async () => {
    const s = await connectClient(server, tokenFor(server, { role: 'teacher' }));
    sockets.push(s);
    expect(await request(s, 'setDataSaver', { on: true })).toMatchObject({ ok: false, error: { code: 'not_joined' } });
    expect(await request(s, 'setDataSaver', { on: 'yes' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });
});
