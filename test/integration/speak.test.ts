import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import type { ConsumerInfo, SpeakState } from '../../signaling/protocol/events';
import { MEETING, call, connectClient, next, request, startServer, tokenFor, type TestSocket } from '../../harness/server';
import { collect, joinAsViewer, type Viewer } from '../helpers/flows';
import { until } from '../../harness/wait';
import { audioRtpParameters, dtlsParameters, videoRtpParameters } from '../../harness/media';

let server: HoinghiServer;
let host: TestSocket;
const open: TestSocket[] = [];

beforeAll(async () => {
  server = await startServer({ HOINGHI_MAX_SPEAKERS: '2' });
  host = await connectClient(server, tokenFor(server, { role: 'host', sub: 'host' }));
  await call(host, 'join', { meetingId: MEETING });
});
afterEach(async () => {
  for (const s of open.splice(0)) s.close();
  const meeting = server.sockets.registry.get(MEETING)!;
  for (const s of await meeting.state.speakers('main')) await meeting.endSpeaking(meeting.main, s.userId);
});
afterAll(async () => {
  host.close();
  await server.close();
});

async function teacher(sub?: string): Promise<Viewer & { states: SpeakState[] }> {
  const socket = await connectClient(server, tokenFor(server, { role: 'teacher', province: '01', ...(sub ? { sub } : {}) }));
  const states = collect<SpeakState>(socket, 'speakState');
  open.push(socket);
  return { ...(await joinAsViewer(server, {}, socket)), states };
}

function userIdOf(v: Viewer): string {
  return v.join.self.userId;
}

/** Accepts an invitation and publishes a microphone (and a camera if given). */
async function speak(v: Viewer, withCamera = false): Promise<{ transportId: string; mic: string; camera?: string }> {
  const res = await call(v.socket, 'respondInvitation', { accept: true });
  expect(res.grant).not.toBeNull();
  const t = await call(v.socket, 'createTransport', { direction: 'send' });
  await call(v.socket, 'connectTransport', { transportId: t.id, dtlsParameters });
  const mic = await call(v.socket, 'produce', { transportId: t.id, kind: 'audio', source: 'mic', rtpParameters: audioRtpParameters() });
  const out: { transportId: string; mic: string; camera?: string } = { transportId: t.id, mic: mic.producerId };
  if (withCamera) {
    const cam = await call(v.socket, 'produce', { transportId: t.id, kind: 'video', source: 'camera', rtpParameters: videoRtpParameters() });
    out.camera = cam.producerId;
  }
  return out;
}

async function snapshot() {
  const m = server.sockets.registry.get(MEETING)!;
  return {
    speakers: JSON.stringify(await m.state.speakers('main')),
    hands: await m.state.handSeq('main'),
    published: [...m.published.keys()].sort(),
    transports: server.sfu.stats().transports,
  };
}

describe('invite to speak', () => {
  it('invites a teacher from the queue, who accepts, is heard by everyone, and whose hand is lowered', async () => {
    const speaker = await teacher();
    const listener = await teacher();
    await call(speaker.socket, 'raiseHand', {});
    const invited = next(speaker.socket, 'speakState');
    await call(host, 'inviteSpeaker', { userId: userIdOf(speaker), allowVideo: false });
    expect(await invited).toEqual({ handRaised: true, invitation: { allowVideo: false }, grant: null });
    const arriving = collect<ConsumerInfo>(listener.socket, 'newConsumer');
    const { mic } = await speak(speaker);
    await until(() => arriving.some((c) => c.producerId === mic), { timeoutMs: 5_000, what: 'listener consumes the speaker' });
    expect(arriving.find((c) => c.producerId === mic)).toMatchObject({ kind: 'audio', source: 'mic', peerId: userIdOf(speaker) });
    expect(await server.sockets.registry.get(MEETING)!.state.handRaised('main', userIdOf(speaker))).toBe(false);
    expect(speaker.states.at(-1)).toEqual({ handRaised: false, invitation: null, grant: { allowVideo: false, muted: false } });
  });

  it('lets a speaker publish video only if the host allowed it, and never a screen', async () => {
    const a = await teacher();
    await call(host, 'inviteSpeaker', { userId: userIdOf(a), allowVideo: false });
    const { transportId } = await speak(a);
    const cam = await request(a.socket, 'produce', { transportId, kind: 'video', source: 'camera', rtpParameters: videoRtpParameters() });
    expect(cam).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const b = await teacher();
    await call(host, 'inviteSpeaker', { userId: userIdOf(b), allowVideo: true });
    const { camera } = await speak(b, true);
    expect(camera).toBeTypeOf('string');
    const screen = await request(b.socket, 'produce', { transportId: (await call(b.socket, 'createTransport', { direction: 'send' })).id, kind: 'video', source: 'screen', rtpParameters: videoRtpParameters() });
    expect(screen).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('caps concurrent teacher speakers and refuses an invitation past the cap', async () => {
    const [a, b, c] = [await teacher(), await teacher(), await teacher()];
    await call(host, 'inviteSpeaker', { userId: userIdOf(a), allowVideo: false });
    await call(host, 'inviteSpeaker', { userId: userIdOf(b), allowVideo: false });
    const before = await snapshot();
    const res = await request(host, 'inviteSpeaker', { userId: userIdOf(c), allowVideo: false });
    expect(res).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(await snapshot()).toEqual(before);
  });

  it('a declined invitation frees its place', async () => {
    const a = await teacher();
    await call(host, 'inviteSpeaker', { userId: userIdOf(a), allowVideo: false });
    expect(await call(a.socket, 'respondInvitation', { accept: false })).toEqual({ grant: null });
    expect(await server.sockets.registry.get(MEETING)!.state.speakers('main')).toHaveLength(0);
  });

  it('mutes a speaker on the server: the speaker cannot unmute', async () => {
    const a = await teacher();
    await call(host, 'inviteSpeaker', { userId: userIdOf(a), allowVideo: false });
    const { mic } = await speak(a);
    await call(host, 'muteSpeaker', { userId: userIdOf(a), muted: true });
    await until(() => a.states.at(-1)?.grant?.muted === true, { timeoutMs: 5_000, what: 'muted state' });
    expect(await request(a.socket, 'resumeProducer', { producerId: mic })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    await call(host, 'muteSpeaker', { userId: userIdOf(a), muted: false });
    expect(await request(a.socket, 'resumeProducer', { producerId: mic })).toMatchObject({ ok: true });
  });

  it('revoking closes the speaker\'s producers everywhere and their sending rights', async () => {
    const a = await teacher();
    const listener = await teacher();
    await call(host, 'inviteSpeaker', { userId: userIdOf(a), allowVideo: true });
    const arriving = collect<ConsumerInfo>(listener.socket, 'newConsumer');
    const { mic, camera, transportId } = await speak(a, true);
    await until(() => arriving.length === 2, { timeoutMs: 5_000, what: 'listener consumes mic and camera' });
    const closed = collect<{ producerId: string }>(listener.socket, 'consumerClosed');
    await call(host, 'revokeSpeaker', { userId: userIdOf(a) });
    await until(() => closed.length === 2, { timeoutMs: 5_000, what: 'consumers closed' });
    expect(closed.map((c) => c.producerId).sort()).toEqual([mic, camera].sort());
    expect(await request(a.socket, 'produce', { transportId, kind: 'audio', source: 'mic', rtpParameters: audioRtpParameters() })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(await request(a.socket, 'createTransport', { direction: 'send' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('a speaker can stop speaking', async () => {
    const a = await teacher();
    await call(host, 'inviteSpeaker', { userId: userIdOf(a), allowVideo: false });
    await speak(a);
    await call(a.socket, 'stopSpeaking', {});
    expect(await server.sockets.registry.get(MEETING)!.state.speakers('main')).toHaveLength(0);
    expect(server.sockets.registry.get(MEETING)!.published.size).toBe(0);
  });
});

describe('authorisation of speaker actions', () => {
  const hostActions = (target: string): [string, unknown][] => [
    ['inviteSpeaker', { userId: target, allowVideo: true }],
    ['muteSpeaker', { userId: target, muted: true }],
    ['revokeSpeaker', { userId: target }],
    ['lowerHands', { scope: 'all' }],
    ['lowerHands', { scope: 'user', userId: target }],
    ['handQueuePage', { offset: 0, limit: 10 }],
  ];

  async function expectAllRefused(actor: TestSocket, actions: [string, unknown][], codes = ['forbidden']): Promise<void> {
    const before = await snapshot();
    for (const [event, payload] of actions) {
      const res = await request(actor, event as 'inviteSpeaker', payload);
      expect(res.ok, `${event} must be refused`).toBe(false);
      if (!res.ok) expect(codes, `${event}: ${res.error.code}`).toContain(res.error.code);
    }
    expect(await snapshot()).toEqual(before);
  }

  it('refuses every host action to a teacher', async () => {
    const victim = await teacher();
    await call(victim.socket, 'raiseHand', {});
    const a = await teacher();
    await call(host, 'inviteSpeaker', { userId: userIdOf(victim), allowVideo: false });
    await call(victim.socket, 'respondInvitation', { accept: true });
    await expectAllRefused(a.socket, hostActions(userIdOf(victim)));
    // And sending without a grant.
    await expectAllRefused(a.socket, [['createTransport', { direction: 'send' }]]);
  });

  it('refuses a revoked speaker every speaker and host action', async () => {
    const a = await teacher();
    await call(host, 'inviteSpeaker', { userId: userIdOf(a), allowVideo: true });
    const { transportId } = await speak(a);
    await call(host, 'revokeSpeaker', { userId: userIdOf(a) });
    await expectAllRefused(a.socket, [
      ['createTransport', { direction: 'send' }],
      ['produce', { transportId, kind: 'audio', source: 'mic', rtpParameters: audioRtpParameters() }],
      ...hostActions(userIdOf(a)),
    ], ['forbidden', 'not_found']);
    await expectAllRefused(a.socket, [['stopSpeaking', {}], ['respondInvitation', { accept: true }]], ['not_found']);
  });

  it('refuses a province host every host action in the main session', async () => {
    const victim = await teacher();
    const ph = await connectClient(server, tokenFor(server, { role: 'province_host', province: '79' }));
    open.push(ph);
    await call(ph, 'join', { meetingId: MEETING });
    await expectAllRefused(ph, [...hostActions(userIdOf(victim)), ['createTransport', { direction: 'send' }]]);
  });

  it('refuses invitations to unknown participants with not_found', async () => {
    expect(await request(host, 'inviteSpeaker', { userId: 'nobody', allowVideo: false })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});
