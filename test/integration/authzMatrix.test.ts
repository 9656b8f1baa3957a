/**
 * Authorisation matrix: every national-host, session-host, speaker and owner-only action, tried by
 * every other role. Each is refused with a typed error and the state is unchanged afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { MEETING, call, connectClient, request, startServer, tokenFor, type TestSocket } from '../../harness/server';
import { joinAndPublish, joinAsViewer, type Publisher, type Viewer } from '../helpers/flows';
import { audioRtpParameters, dtlsParameters } from '../../harness/media';
import { until } from '../../harness/wait';

let server: HoinghiServer;
let host: Publisher;
let speaker: Viewer;
let teacher: Viewer;
let revoked: Viewer;
let provinceHost: Viewer;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  server = await startServer({ HOINGHI_MAX_SPEAKERS: '3' });
  host = await joinAndPublish(server, { sub: 'host' });
  teacher = await joinAsViewer(server, { sub: 'teacher', province: '01' });
  await call(teacher.socket, 'raiseHand', {});
  speaker = await joinAsViewer(server, { sub: 'speaker', province: '79' });
  revoked = await joinAsViewer(server, { sub: 'revoked', province: '48' });
  provinceHost = await joinAsViewer(server, { sub: 'ph', role: 'province_host', province: '01' });
  for (const v of [speaker, revoked]) {
    await call(host.socket, 'inviteSpeaker', { userId: v.join.self.userId, allowVideo: true });
    await call(v.socket, 'respondInvitation', { accept: true });
    const t = await call(v.socket, 'createTransport', { direction: 'send' });
    await call(v.socket, 'connectTransport', { transportId: t.id, dtlsParameters });
    await call(v.socket, 'produce', { transportId: t.id, kind: 'audio', source: 'mic', rtpParameters: audioRtpParameters() });
  }
  await call(host.socket, 'revokeSpeaker', { userId: 'revoked' });
  sockets.push(host.socket, teacher.socket, speaker.socket, revoked.socket, provinceHost.socket);
  // Let the fan-outs and closings of the set-up settle before snapshots are compared: they have
  // no single end event, so settled is two reads in a row, 300 ms apart, that agree.
  let previous = '';
  await until(
    async () => {
      const now = await state();
      const settled = now === previous;
      previous = now;
      return settled;
    },
    { intervalMs: 300, timeoutMs: 30_000, what: 'the set-up to settle' },
  );
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await server.close();
});

async function state(): Promise<string> {
  const m = server.sockets.registry.get(MEETING)!;
  const { transports, producers, consumers, routers } = server.sfu.stats();
  const hands = await m.state.handPage('main', 0, 1);
  return JSON.stringify({
    published: [...m.published.keys()].sort(),
    speakers: await m.state.speakers('main'),
    hands: [await m.state.handSeq('main'), hands.total],
    breakouts: m.breakouts,
    sessions: [...m.sessions.keys()],
    sfu: { transports, producers, consumers, routers },
  });
}

type Action = [event: string, payload: () => unknown];

const nationalHostOnly: Action[] = [
  ['startBreakouts', () => ({})],
  ['extendBreakouts', () => ({ seconds: 60 })],
  ['endBreakouts', () => ({})],
  ['speakToAll', () => ({ on: true })],
  ['sendNotice', () => ({ text: 'hello' })],
];
const sessionHostOnly: Action[] = [
  ['lowerHands', () => ({ scope: 'all' })],
  ['lowerHands', () => ({ scope: 'province', province: '01' })],
  ['lowerHands', () => ({ scope: 'user', userId: 'teacher' })],
  ['handQueuePage', () => ({ offset: 0, limit: 10 })],
  ['inviteSpeaker', () => ({ userId: 'teacher', allowVideo: true })],
  ['muteSpeaker', () => ({ userId: 'speaker', muted: true })],
  ['revokeSpeaker', () => ({ userId: 'speaker' })],
];
const senderOnly: Action[] = [
  ['createTransport', () => ({ direction: 'send' })],
  ['produce', () => ({ transportId: host.sendTransportId, kind: 'audio', source: 'mic', rtpParameters: audioRtpParameters() })],
];
const ownerOnly: Action[] = [
  ['closeProducer', () => ({ producerId: host.producers.camera })],
  ['pauseProducer', () => ({ producerId: host.producers.mic })],
  ['resumeProducer', () => ({ producerId: host.producers.mic })],
  ['connectTransport', () => ({ transportId: host.sendTransportId, dtlsParameters })],
  ['resumeConsumer', () => ({ consumerId: speaker.consumers[0]!.id })],
  ['setConsumerLayers', () => ({ consumerId: speaker.consumers.find((c) => c.kind === 'video')!.id, spatialLayer: 0 })],
];
const speakerOnly: Action[] = [
  ['stopSpeaking', () => ({})],
  ['respondInvitation', () => ({ accept: true })],
];

const actors = (): [string, TestSocket][] => [
  ['a teacher', teacher.socket],
  ['a revoked speaker', revoked.socket],
  ['a province host outside their breakout', provinceHost.socket],
];

describe('authorisation matrix', () => {
  const groups: [string, Action[], string[]][] = [
    ['national-host actions', nationalHostOnly, ['forbidden']],
    ['session-host actions', sessionHostOnly, ['forbidden']],
    ['sending', senderOnly, ['forbidden', 'not_found']],
    ["other participants' media objects", ownerOnly, ['not_found']],
    ['speaker actions without a grant or invitation', speakerOnly, ['not_found']],
  ];
  for (const [groupName, actions, codes] of groups) {
    it(`refuses ${groupName} to every other role, and nothing changes`, async () => {
      for (const [actorName, socket] of actors()) {
        const before = await state();
        for (const [event, payload] of actions) {
          const res = await request(socket, event as 'join', payload());
          expect(res.ok, `${actorName}: ${event}`).toBe(false);
          if (!res.ok) expect(codes, `${actorName}: ${event} → ${res.error.code}`).toContain(res.error.code);
        }
        expect(await state(), actorName).toBe(before);
      }
    });
  }

  it('lets a current speaker do none of the host actions either', async () => {
    const before = await state();
    for (const [event, payload] of [...nationalHostOnly, ...sessionHostOnly]) {
      const res = await request(speaker.socket, event as 'join', payload());
      expect(res).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(await state()).toBe(before);
  });
});
