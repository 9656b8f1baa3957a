/**
 * The meeting never freezes: its event queue never waits on itself, and a task stuck past the
 * bound (a wedged SFU call, a bug) is left behind while the meeting reloads from its store.
 * The first test is the freeze found from outside: province breakouts started while a teacher
 * was speaking stopped the whole meeting (`#apply('breakouts')` → move → endSpeaking →
 * caughtUp(), waiting for an event queued behind itself).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import type { ConsumerInfo, SessionInfo, SpeakState } from '../../signaling/protocol/events';
import { SelfWaitError } from '../../common/SerialQueue';
import { MEETING, call, connectClient, request, startServer, tokenFor, type TestSocket } from '../../harness/server';
import { collect, joinAndPublish, joinAsViewer, type Publisher, type Viewer } from '../helpers/flows';
import { sleep, until } from '../../harness/wait';
import { audioRtpParameters, dtlsParameters } from '../../harness/media';

/** Acknowledgements must come within this (liveness, not speed: the freeze never answered). */
const ACK_BOUND_MS = 8_000;
/** The watchdog's bound in these tests. */
const STALL_MS = 400;

let server: HoinghiServer;
let host: Publisher;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  server = await startServer({ HOINGHI_QUEUE_STALL_MS: String(STALL_MS) });
  host = await joinAndPublish(server, { sub: 'minister', name: 'Bộ trưởng' });
  sockets.push(host.socket);
});
afterEach(async () => {
  // Every test leaves the meeting as it found it: no breakouts.
  await request(await chair(), 'endBreakouts', {}, ACK_BOUND_MS).catch(() => undefined);
});

let chairs = 0;
/** Another national host's socket: each has its own budget of breakout actions (2/s, burst 6). */
async function chair(): Promise<TestSocket> {
  chairs += 1;
  const socket = await connectClient(server, tokenFor(server, { role: 'host', sub: `chair-${chairs}`, name: `Thứ trưởng ${chairs}` }));
  sockets.push(socket);
  await call(socket, 'join', { meetingId: MEETING });
  return socket;
}
afterAll(async () => {
  for (const s of sockets) s.close();
  await server.close();
});

interface Teacher extends Viewer {
  userId: string;
  sessions: SessionInfo[];
  states: SpeakState[];
  consuming: Map<string, string>;
}

async function teacher(sub: string, province: string): Promise<Teacher> {
  const socket = await connectClient(server, tokenFor(server, { role: 'teacher', sub, name: sub, province }));
  sockets.push(socket);
  const sessions = collect<SessionInfo>(socket, 'sessionChanged');
  const states = collect<SpeakState>(socket, 'speakState');
  const consuming = new Map<string, string>();
  socket.on('newConsumer', (c: ConsumerInfo) => consuming.set(c.id, c.producerId));
  socket.on('consumerClosed', ({ consumerId }) => consuming.delete(consumerId));
  const v = await joinAsViewer(server, {}, socket);
  for (const c of v.consumers) consuming.set(c.id, c.producerId);
  return { ...v, userId: v.join.self.userId, sessions, states, consuming };
}

/** The host invites the teacher, who accepts and publishes a microphone. */
async function makeSpeaker(t: Teacher): Promise<string> {
  await call(host.socket, 'inviteSpeaker', { userId: t.userId, allowVideo: false });
  await call(t.socket, 'respondInvitation', { accept: true });
  const tr = await call(t.socket, 'createTransport', { direction: 'send' });
  await call(t.socket, 'connectTransport', { transportId: tr.id, dtlsParameters });
  const mic = await call(t.socket, 'produce', { transportId: tr.id, kind: 'audio', source: 'mic', rtpParameters: audioRtpParameters() });
  return mic.producerId;
}

const meeting = () => server.sockets.registry.get(MEETING)!;

async function metric(name: string, queue: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{queue="${queue}"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('the meeting event queue never waits on itself', () => {
  it('starts province breakouts while a teacher speaks: answers, ends the grant, moves the speaker, and the meeting stays live', async () => {
    const speaker = await teacher('t-hn-speaker', '01');
    const listener = await teacher('t-hn-listener', '01');
    const mic = await makeSpeaker(speaker);
    await until(() => [...listener.consuming.values()].includes(mic), { timeoutMs: 5_000, what: 'the listener hears the speaker' });

    const started = await request(host.socket, 'startBreakouts', { nationalOverlay: false, durationS: 180 }, ACK_BOUND_MS);
    expect(started).toMatchObject({ ok: true, data: { active: true } });

    // The speaker's grant ended and their microphone closed; both teachers are in Hà Nội's breakout.
    await until(() => speaker.sessions.at(-1)?.key === '01' && listener.sessions.at(-1)?.key === '01', { timeoutMs: 5_000, what: 'both teachers moved' });
    expect(speaker.states.at(-1)?.grant ?? null).toBeNull();
    expect(meeting().published.has(mic)).toBe(false);
    expect(await meeting().state.speakers('main')).toEqual([]);
    expect(meeting().peers.get(speaker.userId)!.producers.size).toBe(0);

    // Every action of the host still answers: speak to all, extend, recall.
    expect(await request(host.socket, 'speakToAll', { on: true }, ACK_BOUND_MS)).toMatchObject({ ok: true });
    expect(await request(host.socket, 'extendBreakouts', { seconds: 60 }, ACK_BOUND_MS)).toMatchObject({ ok: true });
    expect(await request(host.socket, 'endBreakouts', {}, ACK_BOUND_MS)).toMatchObject({ ok: true, data: { active: false } });
    await until(() => speaker.sessions.at(-1)?.key === 'main' && listener.sessions.at(-1)?.key === 'main', { timeoutMs: 5_000, what: 'both teachers back' });
    // Back in main, the listener receives the national host again.
    await until(() => Object.values(host.producers).every((p) => [...listener.consuming.values()].includes(p)), { timeoutMs: 5_000, what: 'the national host again' });
    expect(server.queueWatch.totalSelfWaits).toBe(0);
    expect(server.queueWatch.totalStalls).toBe(0);
  });

  it('recalls breakouts while a province speaker speaks in their breakout, and the speaker returns to listening', async () => {
    const boss = await chair();
    const ph = await connectClient(server, tokenFor(server, { role: 'province_host', sub: 'ph-48', name: 'Chủ trì Đà Nẵng', province: '48' }));
    sockets.push(ph);
    await call(ph, 'join', { meetingId: MEETING });
    const t = await teacher('t-dn', '48');
    await call(boss, 'startBreakouts', { nationalOverlay: false });
    await until(() => t.sessions.at(-1)?.key === '48', { timeoutMs: 5_000, what: 'the teacher in the breakout' });
    await call(ph, 'inviteSpeaker', { userId: t.userId, allowVideo: false });
    await call(t.socket, 'respondInvitation', { accept: true });
    const tr = await call(t.socket, 'createTransport', { direction: 'send' });
    await call(t.socket, 'connectTransport', { transportId: tr.id, dtlsParameters });
    const { producerId: mic } = await call(t.socket, 'produce', { transportId: tr.id, kind: 'audio', source: 'mic', rtpParameters: audioRtpParameters() });
    await until(() => meeting().published.has(mic), { timeoutMs: 5_000, what: "the breakout speaker's microphone published" });

    expect(await request(boss, 'endBreakouts', {}, ACK_BOUND_MS)).toMatchObject({ ok: true });
    await until(() => t.sessions.at(-1)?.key === 'main', { timeoutMs: 5_000, what: 'the teacher back in main' });
    await until(() => !meeting().published.has(mic), { timeoutMs: 5_000, what: "the breakout speaker's microphone closed" });
    expect(t.states.at(-1)?.grant ?? null).toBeNull();
    expect(server.queueWatch.totalSelfWaits).toBe(0);
    ph.close();
  });

  it('refuses caughtUp() asked from inside the event queue, instead of waiting for ever', async () => {
    const boss = await chair();
    const t = await teacher('t-rule', '79');
    const m = meeting();
    const openRoom = server.sfu.openRoom.bind(server.sfu);
    let refused: unknown = null;
    // Code run by the queue (opening the breakout's room during a move) that waits on the queue.
    let asked = false;
    server.sfu.openRoom = async (...args) => {
      if (!asked) {
        asked = true;
        refused = await m.caughtUp().then(() => 'waited', (error: unknown) => error);
      }
      return openRoom(...args);
    };
    try {
      const res = await request(boss, 'startBreakouts', { nationalOverlay: false }, ACK_BOUND_MS);
      expect(res, JSON.stringify(res)).toMatchObject({ ok: true });
      await until(() => refused !== null, { timeoutMs: 5_000, what: 'the wait attempted' });
      expect(refused).toBeInstanceOf(SelfWaitError);
      await until(() => t.sessions.at(-1)?.key === '79', { timeoutMs: 5_000, what: 'the teacher moved all the same' });
      expect(await metric('hoinghi_queue_self_waits_total', 'meeting')).toBe(1);
    } finally {
      server.sfu.openRoom = openRoom;
      server.queueWatch.selfWaits.clear();
    }
  });
});

describe('speak to all beside the queue', () => {
  it('holds and releases the national audio with an SFU slow to answer, without holding up the meeting', async () => {
    // Found by the 10-minute rehearsal: with 150 teachers on a loaded machine, pausing the
    // national audio for everyone took longer than the watchdog's bound, inside the meeting's
    // event queue: the queue stalled and resynced, and the host's request was cut short.
    const boss = await chair();
    const teachers = [await teacher('t-hold-1', '82'), await teacher('t-hold-2', '82'), await teacher('t-hold-3', '82')];
    // The breakout has its own province host on air (else it would show the national session, unheld).
    const ph = await connectClient(server, tokenFor(server, { role: 'province_host', sub: 'ph-82', name: 'Chủ trì Tiền Giang', province: '82' }));
    sockets.push(ph);
    await call(ph, 'join', { meetingId: MEETING });
    await call(boss, 'startBreakouts', { nationalOverlay: false });
    await until(() => teachers.every((t) => t.sessions.at(-1)?.key === '82'), { timeoutMs: 5_000, what: 'the teachers in their breakout' });
    const tr = await call(ph, 'createTransport', { direction: 'send' });
    await call(ph, 'connectTransport', { transportId: tr.id, dtlsParameters });
    await call(ph, 'produce', { transportId: tr.id, kind: 'audio', source: 'mic', rtpParameters: audioRtpParameters() });
    const m = meeting();
    const nationalAudio = host.producers.mic;
    const held = (t: Teacher) => {
      const peer = m.peers.get(t.userId)!;
      const c = [...peer.consumers].find(([, p]) => p === nationalAudio)?.[0];
      return c === undefined ? undefined : peer.held.has(c);
    };
    await until(() => teachers.every((t) => held(t) === true), { timeoutMs: 5_000, what: 'the national audio held in every breakout' });

    // Every pause and resume now answers after three times the watchdog's bound. What the SFU
    // was last asked for each consumer is what it does (the calls keep their order).
    const pause = server.sfu.pauseConsumer.bind(server.sfu);
    const resume = server.sfu.resumeConsumer.bind(server.sfu);
    const last = new Map<string, 'pause' | 'resume'>();
    const slow = (what: 'pause' | 'resume', real: (id: string) => Promise<void>) => (id: string) => {
      last.set(id, what);
      // Deliberate: the injected fault is a slow SFU, answering after three watchdog bounds.
      return sleep(3 * STALL_MS).then(() => real(id));
    };
    server.sfu.pauseConsumer = slow('pause', pause);
    server.sfu.resumeConsumer = slow('resume', resume);
    const stalls = server.queueWatch.totalStalls;
    try {
      // On, off and on again, each answered at once: the meeting's state moved, the SFU follows.
      for (const on of [true, false, true]) {
        expect(await request(boss, 'speakToAll', { on }, ACK_BOUND_MS)).toMatchObject({ ok: true, data: { speakToAll: on } });
      }
      await until(() => teachers.every((t) => held(t) === false), { timeoutMs: ACK_BOUND_MS, what: 'the national audio released' });
      const consumers = teachers.map((t) => [...m.peers.get(t.userId)!.consumers].find(([, p]) => p === nationalAudio)![0]);
      await until(() => consumers.every((c) => last.get(c) === 'resume'), { timeoutMs: ACK_BOUND_MS, what: 'every release asked of the SFU' });
      // The meeting's other events went on meanwhile: extend answers while the SFU is still busy.
      expect(await request(boss, 'extendBreakouts', { seconds: 60 }, ACK_BOUND_MS)).toMatchObject({ ok: true });
      await m.applyHolds();
      expect(server.queueWatch.totalStalls).toBe(stalls);
      expect(await metric('hoinghi_queue_stalls_total', 'meeting')).toBe(server.queueWatch.stalls.get('meeting') ?? 0);
    } finally {
      server.sfu.pauseConsumer = pause;
      server.sfu.resumeConsumer = resume;
      ph.close();
    }
  });
});

describe('timed breakouts', () => {
  it('end at their deadline even when the first recall fails (no breakout left at "0:00")', async () => {
    const boss = await chair();
    const t = await teacher('t-timer', '48');
    const m = meeting();
    const endBreakouts = m.state.endBreakouts.bind(m.state);
    let attempts = 0;
    m.state.endBreakouts = async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('the store did not answer');
      return endBreakouts();
    };
    try {
      await call(boss, 'startBreakouts', { nationalOverlay: false, durationS: 1 });
      await until(() => t.sessions.at(-1)?.key === '48', { timeoutMs: 5_000, what: 'the teacher in the breakout' });
      await until(() => t.sessions.at(-1)?.key === 'main', { timeoutMs: ACK_BOUND_MS, what: 'the teacher back after the deadline' });
      expect(attempts).toBeGreaterThanOrEqual(2);
      expect(m.breakouts).toBeNull();
    } finally {
      m.state.endBreakouts = endBreakouts;
    }
  });
});

describe('the watchdog', () => {
  it('leaves a wedged meeting event behind after the bound, counts it, and recovers from the store', async () => {
    const boss = await chair();
    const t = await teacher('t-wedge', '01');
    const openRoom = server.sfu.openRoom.bind(server.sfu);
    let wedged = 0;
    // The first SFU call of the move never answers (a lost reply); later ones do.
    server.sfu.openRoom = (...args) => (wedged++ === 0 ? new Promise(() => undefined) : openRoom(...args));
    try {
      const before = await metric('hoinghi_queue_stalls_total', 'meeting');
      // The host's answer may come from the resync or be cut short by the socket's own bound.
      await request(boss, 'startBreakouts', { nationalOverlay: false }, ACK_BOUND_MS);
      await until(() => (server.queueWatch.stalls.get('meeting') ?? 0) > 0, { timeoutMs: ACK_BOUND_MS, what: 'the stall seen' });
      expect(await metric('hoinghi_queue_stalls_total', 'meeting')).toBe(before + 1);
      // The resync moved whoever the stuck move left behind: everyone is where they belong.
      const m = meeting();
      await until(() => [...m.peers.values()].every((p) => m.placeFor(p) === p.sessionKey), { timeoutMs: ACK_BOUND_MS, what: 'everyone placed' });
      await until(() => t.sessions.at(-1)?.key === '01', { timeoutMs: ACK_BOUND_MS, what: 'the teacher told' });
      expect(wedged).toBeGreaterThan(1);
      // The meeting goes on: recall answers and brings the teacher back.
      expect(await request(boss, 'endBreakouts', {}, ACK_BOUND_MS)).toMatchObject({ ok: true });
      await until(() => t.sessions.at(-1)?.key === 'main', { timeoutMs: 5_000, what: 'the teacher back in main' });
    } finally {
      server.sfu.openRoom = openRoom;
    }
  });

  it('reloads once more when a task left behind ends at last: a move landing after the recall is undone', async () => {
    // Found by the 10-minute cluster rehearsal: 49 teachers stayed in a breakout after the recall.
    // The breakouts' apply was left behind with moves under way; the resync and the recall moved
    // everyone; then the late moves landed, into a breakout that no longer existed.
    const boss = await chair();
    const t = await teacher('t-late', '01');
    const m = meeting();
    const openRoom = server.sfu.openRoom.bind(server.sfu);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    // The first SFU call of the move answers only when the test says so; later ones at once.
    server.sfu.openRoom = async (...args) => {
      if (calls++ === 0) await gate;
      return openRoom(...args);
    };
    const lateEnds = server.queueWatch.lateEnds.get('meeting') ?? 0;
    try {
      await request(boss, 'startBreakouts', { nationalOverlay: false }, ACK_BOUND_MS);
      await until(() => t.sessions.at(-1)?.key === '01', { timeoutMs: ACK_BOUND_MS, what: 'the teacher moved by the resync' });
      expect(await request(boss, 'endBreakouts', {}, ACK_BOUND_MS)).toMatchObject({ ok: true, data: { active: false } });
      await until(() => t.sessions.at(-1)?.key === 'main', { timeoutMs: ACK_BOUND_MS, what: 'the teacher back in main' });
      release();
      await until(() => (server.queueWatch.lateEnds.get('meeting') ?? 0) > lateEnds, { timeoutMs: ACK_BOUND_MS, what: 'the task left behind ended' });
      await until(
        () => m.peers.get(t.userId)?.sessionKey === 'main' && t.sessions.at(-1)?.key === 'main' && [...m.sessions.keys()].every((k) => k === 'main'), { timeoutMs: ACK_BOUND_MS, what: 'the teacher in main, told so, and no breakout session left' }
      ).catch((e: unknown) => {
        throw new Error(`${String(e)}: peer ${m.peers.get(t.userId)?.sessionKey}, page ${t.sessions.at(-1)?.key}, sessions ${[...m.sessions.keys()]}`);
      });
      expect((await m.state.participant(t.userId))?.sessionKey).toBe('main');
      expect(await metric('hoinghi_queue_late_ends_total', 'meeting')).toBe(server.queueWatch.lateEnds.get('meeting'));
    } finally {
      server.sfu.openRoom = openRoom;
      release();
    }
  });

  it("answers a client's wedged action with a typed error after the bound and runs the socket's next events", async () => {
    const t = await teacher('t-socket', '79');
    const resume = server.sfu.resumeConsumer.bind(server.sfu);
    server.sfu.resumeConsumer = () => new Promise(() => undefined);
    try {
      const before = await metric('hoinghi_queue_stalls_total', 'socket');
      const consumerId = [...t.consuming.keys()][0]!;
      const cut = await request(t.socket, 'resumeConsumer', { consumerId }, ACK_BOUND_MS);
      expect(cut).toMatchObject({ ok: false, error: { code: 'internal' } });
      expect(await request(t.socket, 'raiseHand', {}, ACK_BOUND_MS)).toMatchObject({ ok: true });
      expect(await meeting().state.handRaised('main', t.userId)).toBe(true);
      expect(await metric('hoinghi_queue_stalls_total', 'socket')).toBe(before + 1);
    } finally {
      server.sfu.resumeConsumer = resume;
    }
  });
});
