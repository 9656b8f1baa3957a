/**
 * One meeting served by three signaling processes (signaling/main.ts in cluster mode) over two SFU
 * node processes and one real redis-server (append-only file on): participants connected through
 * different signaling nodes see one meeting, a signaling node killed with SIGKILL loses nothing,
 * and a Redis restart leaves the meeting whole.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BreakoutsState, ConsumerInfo, HandQueueSummary, JoinResult, MeetingStats, SessionInfo, SpeakState } from '../../signaling/protocol/events';
import type { ClaimsInput } from '../../signaling/auth/tokens';
import { call, next, request, type TestSocket } from '../../harness/server';
import { collect } from '../helpers/flows';
import { until } from '../../harness/wait';
import { SFU_SECRET, startRedis, startSfuNode, type RedisProcess, type SfuNodeProcess } from '../../harness/cluster';
import { clusterToken, connectTo, startSignalingNode, type SignalingProcess } from '../../harness/signaling';
import { audioRtpParameters, dtlsParameters, videoRtpParameters } from '../../harness/media';
import { waitFor } from '../../harness/browser';
import { NodeLink } from '../../sfu/cluster/NodeLink';
import type { NodeLoad } from '../../sfu/node/protocol';

let redis: RedisProcess;
const sfuNodes: SfuNodeProcess[] = [];
const sig: SignalingProcess[] = [];
const open: TestSocket[] = [];

beforeAll(async () => {
  redis = await startRedis({ dir: mkdtempSync(path.join(tmpdir(), 'hoinghi-redis-')) });
  // A signaling node gone for 2 s has its transports closed on the SFU nodes (the kill test reads it).
  for (const id of ['sfu-1', 'sfu-2']) sfuNodes.push(await startSfuNode(redis.url, id, { HOINGHI_SFU_CONTROLLER_GRACE_MS: '2000' }));
  for (const id of ['sig-1', 'sig-2', 'sig-3']) sig.push(await startSignalingNode(redis.url, id, { HOINGHI_DEPARTURE_GRACE_MS: '3000' }));
}, 180_000);

afterAll(async () => {
  for (const s of open) s.close();
  await Promise.all(sig.map((n) => n.stop()));
  await Promise.all(sfuNodes.map((n) => n.stop()));
  await redis?.stop();
});

let meetings = 0;

/** A participant: a socket on one signaling node, with what it consumes kept from the events. */
interface Member {
  socket: TestSocket;
  join: JoinResult;
  consuming: Map<string, string>;
  sessions: SessionInfo[];
  speak: SpeakState[];
  claims: Partial<ClaimsInput> & Pick<ClaimsInput, 'role'>;
  meetingId: string;
}

async function attach(node: SignalingProcess, meetingId: string, claims: Member['claims']): Promise<Member> {
  const socket = await connectTo(node.url, clusterToken({ ...claims, meetings: [meetingId] }));
  open.push(socket);
  const consuming = new Map<string, string>();
  const sessions = collect<SessionInfo>(socket, 'sessionChanged');
  const speak = collect<SpeakState>(socket, 'speakState');
  socket.on('newConsumer', (c: ConsumerInfo) => consuming.set(c.id, c.producerId));
  socket.on('consumerClosed', ({ consumerId }) => consuming.delete(consumerId));
  const join = await call(socket, 'join', { meetingId });
  const m: Member = { socket, join, consuming, sessions, speak, claims, meetingId };
  await receive(m);
  return m;
}

/** The receive side of the join flow: a transport, and every current producer consumed. */
async function receive(m: Member): Promise<void> {
  const t = await call(m.socket, 'createTransport', { direction: 'recv' });
  await call(m.socket, 'connectTransport', { transportId: t.id, dtlsParameters });
  const { consumers } = await call(m.socket, 'startConsuming', { rtpCapabilities: m.join.routerRtpCapabilities });
  for (const c of consumers) {
    m.consuming.set(c.id, c.producerId);
    await call(m.socket, 'resumeConsumer', { consumerId: c.id });
  }
}

/** Publishes on the member's send transport (made at the first call; a second one would replace it). */
const sendTransports = new Map<TestSocket, string>();
async function publish(m: Member, sources: ('camera' | 'mic')[] = ['camera', 'mic']): Promise<string[]> {
  let transportId = sendTransports.get(m.socket);
  if (!transportId) {
    transportId = (await call(m.socket, 'createTransport', { direction: 'send' })).id;
    await call(m.socket, 'connectTransport', { transportId, dtlsParameters });
    sendTransports.set(m.socket, transportId);
  }
  const t = { id: transportId };
  const ids: string[] = [];
  for (const source of sources) {
    const video = source === 'camera';
    const res = await call(m.socket, 'produce', {
      transportId: t.id,
      kind: video ? 'video' : 'audio',
      source,
      rtpParameters: video ? videoRtpParameters() : audioRtpParameters(),
    });
    ids.push(res.producerId);
  }
  return ids;
}

/** Transports the SFU nodes closed because the signaling process that made them was gone. */
async function goneControllerTransportsClosed(): Promise<number> {
  let total = 0;
  for (const node of sfuNodes) {
    const link = await NodeLink.connect(node.controlUrl, node.nodeId, 'x', SFU_SECRET);
    try {
      const load = await new Promise<NodeLoad>((resolve) => link.once('load', resolve));
      total += load.goneControllerTransportsClosed ?? 0;
    } finally {
      link.close();
    }
  }
  return total;
}

const producersOf = (m: Member): string[] => [...new Set(m.consuming.values())].sort();
const same = (a: string[], b: string[]): boolean => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

describe('a meeting across three signaling nodes', () => {
  it('teachers on nodes 2 and 3 consume what a host on node 1 publishes, and what it publishes later', async () => {
    const id = `cluster-${++meetings}`;
    const host = await attach(sig[0]!, id, { role: 'host', sub: 'host' });
    const stats = collect<MeetingStats>(host.socket, 'meetingStats');
    const first = await publish(host, ['mic']);
    const t2 = await attach(sig[1]!, id, { role: 'teacher', sub: 't2', province: '01' });
    const t3 = await attach(sig[2]!, id, { role: 'teacher', sub: 't3', province: '79' });
    expect(producersOf(t2)).toEqual(first);
    expect(producersOf(t3)).toEqual(first);
    const [camera] = await publish(host, ['camera']);
    for (const t of [t2, t3]) await until(() => same(producersOf(t), [...first, camera!]), { timeoutMs: 10_000, what: 'the later producer' });
    await until(() => stats.at(-1)?.viewers === 2, { timeoutMs: 10_000, what: 'both teachers counted' });
    // Present by province, counted across nodes.
    await until(() => JSON.stringify(stats.at(-1)?.byProvince) === JSON.stringify({ '01': 1, '79': 1 }), { timeoutMs: 10_000, what: 'counts by province' });
  });

  it('brings hands raised on node 3 to the host on node 1, in order, with province counts', async () => {
    const id = `cluster-${++meetings}`;
    const host = await attach(sig[0]!, id, { role: 'host', sub: 'host' });
    const summaries = collect<HandQueueSummary>(host.socket, 'handQueue');
    const raisers: Member[] = [];
    for (const [sub, province] of [['r1', '01'], ['r2', '79'], ['r3', '01']] as const) {
      raisers.push(await attach(sig[2]!, id, { role: 'teacher', sub, province }));
    }
    for (const r of raisers) await call(r.socket, 'raiseHand', {});
    await until(() => summaries.at(-1)?.total === 3, { timeoutMs: 10_000, what: 'three hands' });
    const last = summaries.at(-1)!;
    expect(last.head.map((e) => e.userId)).toEqual(['r1', 'r2', 'r3']);
    expect(last.byProvince).toEqual({ '01': 2, '79': 1 });
    // Paging from node 1 reads the same queue.
    expect((await call(host.socket, 'handQueuePage', { offset: 1, limit: 5 })).entries.map((e) => e.userId)).toEqual(['r2', 'r3']);
  });

  it('lets a host on node 1 invite a teacher on node 2, whose speech reaches node 3; mute and revoke reach the speaker', async () => {
    const id = `cluster-${++meetings}`;
    const host = await attach(sig[0]!, id, { role: 'host', sub: 'host' });
    const speaker = await attach(sig[1]!, id, { role: 'teacher', sub: 'speaker' });
    const listener = await attach(sig[2]!, id, { role: 'teacher', sub: 'listener' });
    await call(host.socket, 'inviteSpeaker', { userId: 'speaker', allowVideo: false });
    await until(() => speaker.speak.at(-1)?.invitation !== null && speaker.speak.at(-1)?.invitation !== undefined, { timeoutMs: 10_000, what: 'invitation' });
    expect((await call(speaker.socket, 'respondInvitation', { accept: true })).grant).toEqual({ allowVideo: false, muted: false });
    const [mic] = await publish(speaker, ['mic']);
    await until(() => producersOf(listener).includes(mic!), { timeoutMs: 10_000, what: 'the speaker heard on node 3' });
    await call(host.socket, 'muteSpeaker', { userId: 'speaker', muted: true });
    await until(() => speaker.speak.at(-1)?.grant?.muted === true, { timeoutMs: 10_000, what: 'muted' });
    expect(await request(speaker.socket, 'resumeProducer', { producerId: mic })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    await call(host.socket, 'revokeSpeaker', { userId: 'speaker' });
    await until(() => !producersOf(listener).includes(mic!), { timeoutMs: 10_000, what: 'the speaker\'s microphone closed everywhere' });
    expect(speaker.speak.at(-1)?.grant).toBeNull();
  });

  it('runs breakouts, speak-to-all and recall across nodes', async () => {
    const id = `cluster-${++meetings}`;
    const host = await attach(sig[0]!, id, { role: 'host', sub: 'host' });
    const national = await publish(host);
    const ph = await attach(sig[2]!, id, { role: 'province_host', sub: 'ph-01', province: '01' });
    const t01 = await attach(sig[1]!, id, { role: 'teacher', sub: 't-01', province: '01' });
    const t79 = await attach(sig[2]!, id, { role: 'teacher', sub: 't-79', province: '79' });
    const states = collect<BreakoutsState>(t79.socket, 'breakouts');
    await call(host.socket, 'startBreakouts', { nationalOverlay: false });
    for (const [m, key] of [[ph, '01'], [t01, '01'], [t79, '79']] as const) {
      await until(() => m.sessions.at(-1)?.key === key, { timeoutMs: 10_000, what: `${m.claims.sub} in ${key}` });
    }
    expect(ph.sessions.at(-1)).toMatchObject({ canSend: true, isSessionHost: true });
    const provincial = await publish(ph);
    const nationalMic = national[1]!;
    await until(() => same(producersOf(t01), [...provincial, nationalMic]), { timeoutMs: 10_000, what: 'teacher of 01 gets the province host' });
    // 79 has no province host on air: its teacher is shown the national session (nationalFallback.ts).
    await until(() => same(producersOf(t79), national), { timeoutMs: 10_000, what: 'teacher of 79 gets the national session' });
    await call(host.socket, 'speakToAll', { on: true });
    await until(() => states.at(-1)?.speakToAll === true, { timeoutMs: 10_000, what: 'speak-to-all seen on node 3' });
    await call(host.socket, 'endBreakouts', {});
    for (const m of [ph, t01, t79]) {
      await until(() => m.sessions.at(-1)?.key === 'main', { timeoutMs: 10_000, what: `${m.claims.sub} back` });
      await until(() => same(producersOf(m), national), { timeoutMs: 10_000, what: `${m.claims.sub} gets the national broadcast again` });
    }
  });

  it('starts breakouts while a teacher on another node speaks: every node answers, the speaker moves and stops sending, the meeting goes on', async () => {
    const id = `cluster-${++meetings}`;
    const host = await attach(sig[0]!, id, { role: 'host', sub: 'host' });
    const national = await publish(host);
    const speaker = await attach(sig[1]!, id, { role: 'teacher', sub: 'speaker-01', province: '01' });
    const listener = await attach(sig[2]!, id, { role: 'teacher', sub: 'listener-01', province: '01' });
    await call(host.socket, 'inviteSpeaker', { userId: 'speaker-01', allowVideo: false });
    await until(() => speaker.speak.at(-1)?.invitation != null, { timeoutMs: 10_000, what: 'invitation' });
    await call(speaker.socket, 'respondInvitation', { accept: true });
    const [mic] = await publish(speaker, ['mic']);
    await until(() => producersOf(listener).includes(mic!), { timeoutMs: 10_000, what: 'the speaker heard on node 3' });
    // This froze every node's event queue (the speaker's node waited on itself).
    expect(await request(host.socket, 'startBreakouts', { nationalOverlay: false }, 8_000)).toMatchObject({ ok: true });
    for (const m of [speaker, listener]) await until(() => m.sessions.at(-1)?.key === '01', { timeoutMs: 10_000, what: `${m.claims.sub} in 01` });
    await until(() => speaker.speak.at(-1)?.grant === null, { timeoutMs: 10_000, what: 'the grant ended' });
    await until(() => !producersOf(listener).includes(mic!), { timeoutMs: 10_000, what: "the speaker's microphone closed" });
    // The speaker (node 2) still acts: a hand in the breakout reaches the meeting.
    expect(await request(speaker.socket, 'raiseHand', {}, 8_000)).toMatchObject({ ok: true });
    expect(await request(host.socket, 'endBreakouts', {}, 8_000)).toMatchObject({ ok: true });
    for (const m of [speaker, listener]) {
      await until(() => m.sessions.at(-1)?.key === 'main', { timeoutMs: 10_000, what: `${m.claims.sub} back` });
      await until(() => same(producersOf(m), national), { timeoutMs: 10_000, what: `${m.claims.sub} gets the national broadcast again` });
    }
  });

  it('loses nothing when a signaling node is killed: its participants rejoin through another node, hands keep their order, speakers keep speaking, breakouts keep their timer', async () => {
    const id = `cluster-${++meetings}`;
    const victim = await startSignalingNode(redis.url, 'sig-victim', { HOINGHI_DEPARTURE_GRACE_MS: '3000' });
    sig.push(victim);
    const host = await attach(sig[0]!, id, { role: 'host', sub: 'host' });
    const national = await publish(host);
    const summaries = collect<HandQueueSummary>(host.socket, 'handQueue');
    // a and gone have no province: they stay in the main session (and keep speaking) during breakouts.
    const a = await attach(victim, id, { role: 'teacher', sub: 'a' });
    const b = await attach(sig[1]!, id, { role: 'teacher', sub: 'b', province: '01' });
    const c = await attach(victim, id, { role: 'teacher', sub: 'c', province: '01' });
    const gone = await attach(victim, id, { role: 'teacher', sub: 'gone' });
    for (const m of [a, b, c]) await call(m.socket, 'raiseHand', {});
    await call(host.socket, 'inviteSpeaker', { userId: 'gone', allowVideo: false });
    await call(gone.socket, 'respondInvitation', { accept: true });
    await call(host.socket, 'inviteSpeaker', { userId: 'a', allowVideo: false });
    await call(a.socket, 'respondInvitation', { accept: true });
    await until(() => summaries.at(-1)?.total === 2, { timeoutMs: 10_000, what: 'two hands left (a spoke)' });
    const bStates = collect<BreakoutsState>(b.socket, 'breakouts');
    const started = await call(host.socket, 'startBreakouts', { nationalOverlay: true, durationS: 12 });

    victim.kill();
    // As a balancer would: the same users come back through a live node, on new sockets.
    const a2 = await attach(sig[2]!, id, { role: 'teacher', sub: 'a' });
    const c2 = await attach(sig[1]!, id, { role: 'teacher', sub: 'c', province: '01' });
    for (const m of [a2, c2]) expect(m.join.breakouts).toMatchObject({ active: true, endsAt: started.endsAt });
    expect(a2.join.session.key).toBe('main');
    expect(c2.join.session.key).toBe('01');
    await until(() => same(producersOf(a2), national), { timeoutMs: 10_000, what: 'a consumes again' });
    // With the national overlay, the breakout gets the national camera and (held) audio.
    await until(() => same(producersOf(c2), national), { timeoutMs: 10_000, what: 'c consumes again' });
    // a is still a speaker, and may publish again.
    expect(a2.join.self.canSend).toBe(true);
    await until(() => a2.speak.at(-1)?.grant?.allowVideo === false, { timeoutMs: 10_000, what: 'a\'s grant' });
    await publish(a2, ['mic']);
    // Hands stay in the queue they were raised in (main), in their order: b's, then c's.
    const page = await call(host.socket, 'handQueuePage', { offset: 0, limit: 10 });
    expect(page.entries.map((e) => e.userId)).toEqual(['b', 'c']);
    // Whoever did not come back leaves the roster after the departure grace, and loses the grant.
    const stats = collect<MeetingStats>(host.socket, 'meetingStats');
    const speakers = collect<{ userId: string }[]>(host.socket, 'speakersChanged');
    await until(() => stats.at(-1)?.viewers === 3, { timeoutMs: 30_000, what: 'the dead node\'s absentee left the roster' });
    await until(() => speakers.length > 0 && !speakers.at(-1)!.some((s) => s.userId === 'gone'), { timeoutMs: 20_000, what: 'the absentee\'s grant ended' });
    expect(speakers.at(-1)!.map((s) => s.userId)).toEqual(['a']);
    // The breakout timer set before the kill still ends them, with no node's help in particular.
    await until(() => bStates.some((st) => !st.active), { timeoutMs: 30_000, what: 'the timed breakouts ended' });
    expect(bStates.at(-1)).toMatchObject({ active: false });
    // The SFU nodes closed the receive transports the dead node had made for a, c and gone.
    await waitFor(goneControllerTransportsClosed, (n) => n >= 3, 15_000, 'the dead node\'s transports closed');
  });

  it('keeps the meeting whole across a Redis restart', async () => {
    const id = `cluster-${++meetings}`;
    const host = await attach(sig[0]!, id, { role: 'host', sub: 'host' });
    await publish(host);
    const summaries = collect<HandQueueSummary>(host.socket, 'handQueue');
    const raisers: Member[] = [];
    for (const sub of ['x', 'y']) raisers.push(await attach(sig[1]!, id, { role: 'teacher', sub, province: '48' }));
    for (const r of raisers) await call(r.socket, 'raiseHand', {});
    await call(host.socket, 'inviteSpeaker', { userId: 'y', allowVideo: true });
    await until(() => summaries.at(-1)?.total === 2, { timeoutMs: 10_000, what: 'two hands' });

    await redis.restart({ crash: true, downMs: 500 });

    // Everything is still there, and the meeting goes on.
    const late = await attach(sig[2]!, id, { role: 'teacher', sub: 'z', province: '48' });
    await call(late.socket, 'raiseHand', {});
    await until(() => summaries.at(-1)?.total === 3, { timeoutMs: 20_000, what: 'a hand raised after the restart' });
    expect(summaries.at(-1)!.head.map((e) => e.userId)).toEqual(['x', 'y', 'z']);
    expect(summaries.at(-1)!.byProvince).toEqual({ '48': 3 });
    expect(producersOf(late)).toHaveLength(2);
    expect((await call(raisers[1]!.socket, 'respondInvitation', { accept: true })).grant).toEqual({ allowVideo: true, muted: false });
  });
});
