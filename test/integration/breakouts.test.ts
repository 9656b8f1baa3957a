import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import type { BreakoutsState, ConsumerInfo, Notice, SessionInfo } from '../../signaling/protocol/events';
import { MEETING, call, connectClient, next, request, startServer, tokenFor, type TestSocket } from '../../harness/server';
import { collect, joinAndPublish, joinAsViewer, type Publisher, type Viewer } from '../helpers/flows';
import { until } from '../../harness/wait';
import { audioRtpParameters, dtlsParameters, videoRtpParameters } from '../../harness/media';

/** What one participant currently consumes: consumer id → producer id, kept from the events. */
interface Tracked extends Viewer {
  consuming: Map<string, string>;
  sessions: SessionInfo[];
}

let server: HoinghiServer;
let national: Publisher;
const provinceHosts: Record<string, Tracked> = {};
const provinceProducers: Record<string, string[]> = {};
const teachers: Record<string, Tracked> = {};
const sockets: TestSocket[] = [];

async function tracked(claims: Parameters<typeof tokenFor>[1]): Promise<Tracked> {
  const socket = await connectClient(server, tokenFor(server, claims));
  sockets.push(socket);
  const consuming = new Map<string, string>();
  const sessions = collect<SessionInfo>(socket, 'sessionChanged');
  socket.on('newConsumer', (c: ConsumerInfo) => consuming.set(c.id, c.producerId));
  socket.on('consumerClosed', ({ consumerId }) => consuming.delete(consumerId));
  const v = await joinAsViewer(server, {}, socket);
  for (const c of v.consumers) consuming.set(c.id, c.producerId);
  return { ...v, consuming, sessions };
}

const producersOf = (t: Tracked): string[] => [...t.consuming.values()].sort();
const nationalAll = (): string[] => Object.values(national.producers).sort();

beforeAll(async () => {
  server = await startServer({ HOINGHI_WORKERS: '2' });
  national = await joinAndPublish(server, { sub: 'national', name: 'Bộ trưởng' });
  sockets.push(national.socket);
  for (const p of ['01', '79', '48']) {
    provinceHosts[p] = await tracked({ role: 'province_host', province: p, sub: `ph-${p}` });
    teachers[p] = await tracked({ role: 'teacher', province: p, sub: `t-${p}` });
  }
  teachers.none = await tracked({ role: 'teacher', province: null, sub: 't-none' });
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await server.close();
});

async function publishAsProvinceHost(p: string): Promise<string[]> {
  const ph = provinceHosts[p]!;
  const t = await call(ph.socket, 'createTransport', { direction: 'send' });
  await call(ph.socket, 'connectTransport', { transportId: t.id, dtlsParameters });
  const cam = await call(ph.socket, 'produce', { transportId: t.id, kind: 'video', source: 'camera', rtpParameters: videoRtpParameters() });
  const mic = await call(ph.socket, 'produce', { transportId: t.id, kind: 'audio', source: 'mic', rtpParameters: audioRtpParameters() });
  return [cam.producerId, mic.producerId];
}

describe('province breakouts', () => {
  it('before breakouts, everyone receives the national broadcast and province hosts cannot send', async () => {
    for (const t of Object.values(teachers)) expect(producersOf(t)).toEqual(nationalAll());
    expect(await request(provinceHosts['01']!.socket, 'createTransport', { direction: 'send' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
  });

  it('moves each teacher to their province\'s session, with the national session until their province host publishes, then only their province host', async () => {
    const states = collect<BreakoutsState>(teachers['01']!.socket, 'breakouts');
    const res = await call(national.socket, 'startBreakouts', { nationalOverlay: false });
    expect(res).toMatchObject({ active: true, endsAt: null, speakToAll: false });
    await until(() => states.length === 1, { timeoutMs: 5_000, what: 'breakouts event' });
    for (const p of ['01', '79', '48']) {
      await until(() => teachers[p]!.sessions.at(-1)?.key === p, { timeoutMs: 5_000, what: `teacher ${p} moved` });
      expect(provinceHosts[p]!.sessions.at(-1)).toMatchObject({ key: p, canSend: true, isSessionHost: true });
      // Nothing of the breakout's own on air yet: the national session, its sound not held.
      await until(() => JSON.stringify(producersOf(teachers[p]!)) === JSON.stringify(nationalAll()), { timeoutMs: 5_000, what: `teacher ${p} on the national session` });
      const peer = server.sockets.registry.get(MEETING)!.peers.get(`t-${p}`)!;
      expect(peer.held.size).toBe(0);
      provinceProducers[p] = await publishAsProvinceHost(p);
    }
    for (const p of ['01', '79', '48']) {
      const expected = [...provinceProducers[p]!, national.producers.mic].sort();
      await until(() => JSON.stringify(producersOf(teachers[p]!)) === JSON.stringify(expected), { timeoutMs: 5_000, what: `teacher ${p} consumers` });
      // The national audio is there but held silent.
      const peer = server.sockets.registry.get(MEETING)!.peers.get(`t-${p}`)!;
      const nationalMicConsumer = [...teachers[p]!.consuming].find(([, pid]) => pid === national.producers.mic)![0];
      expect(peer.held.has(nationalMicConsumer)).toBe(true);
    }
    // A teacher without a province stays in the main session with the national broadcast.
    expect(teachers.none!.sessions.at(-1)?.key ?? 'main').toBe('main');
    expect(producersOf(teachers.none!)).toEqual(nationalAll());
  });

  it('lands a late joiner directly in their province\'s breakout', async () => {
    const late = await tracked({ role: 'teacher', province: '79', sub: 't-79-late' });
    expect(late.join.session).toMatchObject({ key: '79', canSend: false });
    expect(late.join.breakouts.active).toBe(true);
    expect(producersOf(late)).toEqual([...provinceProducers['79']!, national.producers.mic].sort());
    teachers['79-late'] = late;
  });

  it('refuses a province host outside their province', async () => {
    const ph = provinceHosts['01']!.socket;
    const before = JSON.stringify(await server.sockets.registry.get(MEETING)!.breakoutStatus());
    for (const [event, payload] of [
      ['lowerHands', { scope: 'province', province: '79' }],
      ['inviteSpeaker', { userId: 't-79', allowVideo: false }],
      ['startBreakouts', {}],
      ['endBreakouts', {}],
      ['speakToAll', { on: true }],
      ['sendNotice', { text: 'hello' }],
    ] as const) {
      expect(await request(ph, event, payload), event).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    // And the host of 79 cannot be reached from 01's queue: 01's host runs only 01.
    expect(JSON.stringify(await server.sockets.registry.get(MEETING)!.breakoutStatus())).toBe(before);
  });

  it('runs each breakout\'s own hand queue for its province host', async () => {
    const summary = next(provinceHosts['01']!.socket, 'handQueue');
    await call(teachers['01']!.socket, 'raiseHand', {});
    expect((await summary).head.map((e) => e.userId)).toEqual(['t-01']);
    const status = await server.sockets.registry.get(MEETING)!.breakoutStatus();
    expect(status.find((s) => s.province === '01')).toEqual({ province: '01', hostPresent: true, teachers: 1, hands: 1 });
    expect(status.find((s) => s.province === '79')).toEqual({ province: '79', hostPresent: true, teachers: 2, hands: 0 });
  });

  it('lets the national host speak into every breakout, and send a notice to all', async () => {
    await call(national.socket, 'speakToAll', { on: true });
    // Holds are applied beside the meeting's event queue (nationalAudioHolds.ts): soon after the answer, not before it.
    const held = (p: string) => server.sockets.registry.get(MEETING)!.peers.get(`t-${p}`)!.held.size;
    for (const p of ['01', '79', '48']) await until(() => held(p) === 0, { timeoutMs: 5_000, what: `t-${p}'s national audio released` });
    const notices = Object.values(teachers).map((t) => next(t.socket, 'notice'));
    await call(national.socket, 'sendNotice', { text: 'Năm phút nữa quay lại phiên chung.' });
    for (const n of await Promise.all(notices)) expect(n).toMatchObject({ kind: 'text', text: 'Năm phút nữa quay lại phiên chung.' });
    await call(national.socket, 'speakToAll', { on: false });
    await until(() => held('48') === 1, { timeoutMs: 5_000, what: "t-48's national audio held again" });
  });

  it('recall returns everyone to the national producers and clears breakout hands with a notice', async () => {
    const cleared = next(teachers['01']!.socket, 'notice');
    await call(national.socket, 'endBreakouts', {});
    expect(((await cleared) as Notice).kind).toBe('hands_cleared');
    for (const t of [...Object.values(teachers), ...Object.values(provinceHosts)]) {
      await until(() => JSON.stringify(producersOf(t)) === JSON.stringify(nationalAll()), { timeoutMs: 5_000, what: 'national producers again' });
    }
    const meeting = server.sockets.registry.get(MEETING)!;
    expect([...meeting.sessions.keys()]).toEqual(['main']);
    expect([...meeting.published.keys()].sort()).toEqual(nationalAll());
    expect((await meeting.state.handPage('main', 0, 1)).total).toBe(0);
    for (const t of Object.values(teachers)) expect(meeting.peers.get(t.join.self.userId)!.held.size).toBe(0);
    expect(await request(provinceHosts['01']!.socket, 'createTransport', { direction: 'send' })).toMatchObject({ ok: false });
  });

  it('ends timed breakouts by themselves', async () => {
    const ended = new Promise<BreakoutsState>((resolve) =>
      teachers['48']!.socket.on('breakouts', (s: BreakoutsState) => {
        if (!s.active) resolve(s);
      }),
    );
    const started = await call(national.socket, 'startBreakouts', { durationS: 1 });
    expect(started.endsAt).toBeGreaterThan(started.serverNow);
    await until(() => teachers['48']!.sessions.at(-1)?.key === '48', { timeoutMs: 5_000, what: 'moved' });
    await ended;
    await until(() => teachers['48']!.sessions.at(-1)?.key === 'main', { timeoutMs: 5_000, what: 'back in main' });
    expect(server.sockets.registry.get(MEETING)!.breakouts).toBeNull();
  });

  it('splits out only the provinces named; the others stay in the main session with the national broadcast', async () => {
    expect(await request(national.socket, 'startBreakouts', { provinces: ['1'] })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const started = await call(national.socket, 'startBreakouts', { provinces: ['01'] });
    expect(started).toMatchObject({ active: true, provinces: ['01'] });
    await until(() => teachers['01']!.sessions.at(-1)?.key === '01', { timeoutMs: 5_000, what: 'Hà Nội in its breakout' });
    const meeting = server.sockets.registry.get(MEETING)!;
    for (const p of ['79', '48', 'none']) expect(meeting.peers.get(teachers[p]!.join.self.userId)!.sessionKey).toBe('main');
    expect(meeting.peers.get(provinceHosts['79']!.join.self.userId)!.sessionKey).toBe('main');
    expect(producersOf(teachers['79']!)).toEqual(nationalAll());
    // A late joiner of a province that did not split out lands in main.
    const late = await tracked({ role: 'teacher', province: '79', sub: 't-79-late' });
    expect(late.join.session.key).toBe('main');
    await call(national.socket, 'endBreakouts', {});
    await until(() => teachers['01']!.sessions.at(-1)?.key === 'main', { timeoutMs: 5_000, what: 'Hà Nội back in main' });
  });
});

describe('breakout routers and workers', () => {
  async function run(workers: string): Promise<{ server: HoinghiServer; pids: Set<number | undefined> }> {
    const s = await startServer({ HOINGHI_WORKERS: workers });
    const nat = await joinAndPublish(s, { sub: 'nat' });
    const provinces = ['01', '79', '48', '96', '92'];
    const seen: Record<string, string[]> = {};
    const extra: TestSocket[] = [nat.socket];
    for (const p of provinces) {
      const ph = await connectClient(s, tokenFor(s, { role: 'province_host', province: p, sub: `ph-${p}` }));
      await joinAsViewer(s, {}, ph);
      ph.on('sessionChanged', async (info: SessionInfo) => {
        if (!info.canSend) return;
        const t = await call(ph, 'createTransport', { direction: 'send' });
        await call(ph, 'connectTransport', { transportId: t.id, dtlsParameters });
        await call(ph, 'produce', { transportId: t.id, kind: 'video', source: 'camera', rtpParameters: videoRtpParameters() });
      });
      const t = await joinAsViewer(s, { province: p, sub: `t-${p}` });
      seen[p] = [];
      t.socket.on('newConsumer', (c: ConsumerInfo) => seen[p]!.push(c.peerId));
      extra.push(ph, t.socket);
    }
    await call(nat.socket, 'startBreakouts', {});
    for (const p of provinces) await until(() => seen[p]!.includes(`ph-${p}`), { timeoutMs: 10_000, what: `province ${p} video with ${workers} worker(s)` });
    const sfu = s.sfu as import('../../sfu/LocalSfu').LocalSfu;
    const origins = [MEETING, ...provinces.map((p) => `${MEETING}~${p}`)];
    // Every breakout has an origin router of its own, and origins spread over every worker.
    expect(new Set(origins.map((r) => sfu.roomRouterId(r))).size).toBe(origins.length);
    const pids = new Set(origins.map((r) => sfu.roomWorkerPid(r)));
    expect(pids.size).toBe(Number(workers));
    for (const x of extra) x.close();
    return { server: s, pids };
  }

  it('spreads breakout origins over the workers, and producers pipe across to the viewers', async () => {
    const { server: s } = await run('2');
    await s.close();
  });

  it('works on a single worker, piping within the worker from each breakout\'s own router', async () => {
    const { server: s } = await run('1');
    await s.close();
  });
});
