/**
 * The meeting store's contract, run against both implementations: in memory, and Redis (a real
 * redis-server) with two store instances standing for two signaling nodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../signaling/store/MemoryStore';
import { RedisStore } from '../../signaling/store/RedisStore';
import type { MeetingState, MeetingStore, Participant, SequencedEvent } from '../../signaling/store/types';
import { startRedis, type RedisProcess } from '../../harness/cluster';
import { until } from '../../harness/wait';

let redis: RedisProcess;
const stores: MeetingStore[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  for (const s of stores) await s.close();
  await redis.stop();
});

interface Nodes {
  /** Two nodes' stores: for memory, the same store twice (one process). */
  a: MeetingStore;
  b: MeetingStore;
}

let meetings = 0;
const fresh = (): string => `store-test-${++meetings}`;

const kinds: [string, () => Promise<Nodes>][] = [
  [
    'memory',
    async () => {
      const s = new MemoryStore();
      stores.push(s);
      return { a: s, b: s };
    },
  ],
  [
    'redis',
    async () => {
      const a = await RedisStore.create({ url: redis.url, nodeId: 'node-a' });
      const b = await RedisStore.create({ url: redis.url, nodeId: 'node-b' });
      stores.push(a, b);
      return { a, b };
    },
  ],
];

/**
 * Subscribes listeners once their stores deliver this meeting's events (a Redis subscription is
 * set up in the background): marker producers are added and removed through `writer` until
 * every subscription has carried one, and the last has passed, so the listeners see only what
 * comes after. Returns the unsubscribe.
 */
async function listening(writer: MeetingState, subs: [MeetingState, (e: SequencedEvent) => void][]): Promise<() => void> {
  const markers = subs.map(() => new Set<string>());
  const probes = subs.map(([state], i) =>
    state.subscribe((e) => {
      if (e.type === 'producersRemoved') for (const id of e.producerIds) markers[i]!.add(id);
    }),
  );
  let n = 0;
  await until(
    async () => {
      const id = `marker-${++n}`;
      await writer.addProducer({ id, kind: 'audio', source: 'mic', peerId: 'marker', peerName: 'marker', sessionKey: 'main', roomId: writer.meetingId, national: true });
      await writer.removeProducers([id]);
      return markers.every((m) => m.size > 0);
    },
    { what: 'the store subscriptions to deliver' },
  );
  await until(() => markers.every((m) => m.has(`marker-${n}`)), { what: 'the last marker to pass' });
  const offs = subs.map(([state, listener]) => state.subscribe(listener));
  for (const off of probes) off();
  return () => offs.forEach((off) => off());
}

function participant(userId: string, more: Partial<Participant> = {}): Participant {
  return {
    userId,
    name: userId,
    role: 'teacher',
    province: '01',
    school: 'S1',
    sessionKey: 'main',
    node: 'node-a',
    socketId: `sock-${userId}`,
    joinedAt: Date.now(),
    ...more,
  };
}

describe.each(kinds)('the %s meeting store', (_kind, make) => {
  let nodes: Nodes;
  beforeAll(async () => {
    nodes = await make();
  });

  it('counts participants by role and session, and replaces a user\'s older connection', async () => {
    const id = fresh();
    const a = nodes.a.meeting(id);
    const b = nodes.b.meeting(id);
    await a.join(participant('host', { role: 'host', province: null }));
    await a.join(participant('t1'));
    await b.join(participant('t2', { province: '79', node: 'node-b' }));
    await b.join(participant('ph79', { role: 'province_host', province: '79', node: 'node-b' }));
    expect(await a.counts()).toEqual({
      viewers: 3,
      hosts: 1,
      sessions: { main: { teachers: 3, hosts: 1, hands: 0 } },
      provinces: { '01': 1, '79': 2 },
    });
    // The same user through node b: one attendee, the newest connection.
    const replaced = await b.join(participant('t1', { node: 'node-b', socketId: 'sock-t1-new' }));
    expect(replaced?.socketId).toBe('sock-t1');
    expect((await a.counts()).viewers).toBe(3);
    // The old connection's leave changes nothing; the new one's does.
    expect(await a.leave('t1', 'sock-t1')).toBe(false);
    expect(await b.leave('t1', 'sock-t1-new')).toBe(true);
    expect((await a.counts()).viewers).toBe(2);
    // Moving to a breakout moves the counts; the province host hosts it.
    expect(await b.move('t2', 'sock-t2', '79')).toBe(true);
    expect(await b.move('ph79', 'sock-ph79', '79')).toBe(true);
    expect((await a.counts()).sessions).toEqual({
      main: { teachers: 0, hosts: 1, hands: 0 },
      '79': { teachers: 1, hosts: 1, hands: 0 },
    });
    expect((await a.participant('t2'))?.sessionKey).toBe('79');
  });

  it('counts who is present by province and by school, across nodes, through joins, moves and leaves', async () => {
    const id = fresh();
    const a = nodes.a.meeting(id);
    const b = nodes.b.meeting(id);
    await a.join(participant('host', { role: 'host', province: null, school: null }));
    await a.join(participant('hn1', { province: '01', school: 'HN-A' }));
    await b.join(participant('hn2', { province: '01', school: 'HN-B', node: 'node-b' }));
    await b.join(participant('hn3', { province: '01', school: 'HN-B', node: 'node-b' }));
    await a.join(participant('hcm1', { province: '79', school: 'HCM-A' }));
    expect((await b.counts()).provinces).toEqual({ '01': 3, '79': 1 });
    expect(await b.schoolCounts(['HN-A', 'HN-B', 'HCM-A', 'NOBODY'])).toEqual({ 'HN-A': 1, 'HN-B': 2, 'HCM-A': 1 });
    expect(await a.schoolCounts([])).toEqual({});
    // A move to a breakout keeps one's province and school; a reconnect through another node
    // replaces the older entry without counting twice.
    expect(await a.move('hn1', 'sock-hn1', '01')).toBe(true);
    await b.join(participant('hcm1', { province: '79', school: 'HCM-A', node: 'node-b', socketId: 'sock-hcm1-new' }));
    expect((await a.counts()).provinces).toEqual({ '01': 3, '79': 1 });
    expect(await a.schoolCounts(['HN-A', 'HCM-A'])).toEqual({ 'HN-A': 1, 'HCM-A': 1 });
    // Leaving, and a dead node's eviction, take people off; a count that reaches 0 is gone.
    expect(await b.leave('hcm1', 'sock-hcm1-new')).toBe(true);
    expect(await a.evictNode('node-b', Date.now() + 60_000)).toEqual(expect.arrayContaining(['hn2', 'hn3']));
    expect((await a.counts()).provinces).toEqual({ '01': 1 });
    expect(await b.schoolCounts(['HN-A', 'HN-B', 'HCM-A'])).toEqual({ 'HN-A': 1 });
  });

  it('finds participants by accent-free name, school and province, paged', async () => {
    const id = fresh();
    const a = nodes.a.meeting(id);
    await a.join(participant('u1', { name: 'Nguyễn Văn An', school: 'THPT Đà Nẵng', province: '48' }));
    await a.join(participant('u2', { name: 'Trần Thị Bình', school: 'THCS Hà Nội', province: '01' }));
    await a.join(participant('u3', { name: 'Lê Văn Cường', school: 'THPT Đà Nẵng', province: '48' }));
    expect((await a.participants({ text: 'nguyen van', offset: 0, limit: 10 })).rows.map((p) => p.userId)).toEqual(['u1']);
    const danang = await a.participants({ text: 'da nang', province: '48', offset: 0, limit: 1 });
    expect(danang.total).toBe(2);
    expect(danang.rows).toHaveLength(1);
    expect((await a.participants({ province: '01', offset: 0, limit: 10 })).rows.map((p) => p.userId)).toEqual(['u2']);
  });

  it('keeps hands in raise order across nodes, with counts per province and a moving sequence number', async () => {
    const id = fresh();
    const a = nodes.a.meeting(id);
    const b = nodes.b.meeting(id);
    const seq0 = await a.handSeq('main');
    await a.raiseHand('main', { userId: 'h1', name: 'H1', province: '01', school: null });
    await b.raiseHand('main', { userId: 'h2', name: 'H2', province: '79', school: null });
    await a.raiseHand('main', { userId: 'h3', name: 'H3', province: null, school: null });
    const again = await b.raiseHand('main', { userId: 'h1', name: 'H1', province: '01', school: null });
    expect(again.changed).toBe(false);
    const summary = await b.handSummary('main', 2, 123);
    expect(summary.total).toBe(3);
    expect(summary.byProvince).toEqual({ '01': 1, '79': 1, '--': 1 });
    expect(summary.head.map((e) => e.userId)).toEqual(['h1', 'h2']);
    expect(summary.seq).toBeGreaterThan(seq0);
    expect((await a.handPage('main', 1, 5)).entries.map((e) => e.userId)).toEqual(['h2', 'h3']);
    expect(await b.lowerHands('main', '79')).toEqual(['h2']);
    expect(await a.lowerHand('main', 'h1')).toBe(true);
    expect(await a.lowerHand('main', 'h1')).toBe(false);
    expect(await a.handRaised('main', 'h3')).toBe(true);
    expect((await a.handSummary('main', 10, 0)).byProvince).toEqual({ '--': 1 });
    expect((await a.counts()).sessions.main?.hands).toBe(1);
  });

  it('caps speakers per session and publishes mute and end to every node, in order', async () => {
    const id = fresh();
    const a = nodes.a.meeting(id);
    const b = nodes.b.meeting(id);
    const seenA: SequencedEvent[] = [];
    const seenB: SequencedEvent[] = [];
    const off = await listening(a, [
      [a, (e) => seenA.push(e)],
      [b, (e) => seenB.push(e)],
    ]);
    const speaker = (userId: string) => ({ userId, name: userId, province: null, school: null, allowVideo: false, muted: false, state: 'invited' as const });
    expect(await a.invite('main', speaker('s1'), 2)).toBe('ok');
    expect(await b.invite('main', speaker('s1'), 2)).toBe('exists');
    expect(await b.invite('main', speaker('s2'), 2)).toBe('ok');
    expect(await a.invite('main', speaker('s3'), 2)).toBe('full');
    expect(await b.accept('main', 's1')).toMatchObject({ state: 'speaking' });
    expect(await b.accept('main', 's1')).toBeNull();
    expect(await a.mute('main', 's2', true)).toBeNull(); // only invited
    expect(await a.mute('main', 's1', true)).toMatchObject({ muted: true });
    expect(await b.endSpeaker('main', 's1')).toBe(true);
    expect(await b.endSpeaker('main', 's1')).toBe(false);
    expect((await a.speakers('main')).map((s) => s.userId)).toEqual(['s2']);
    await until(() => seenA.length === 2 && seenB.length === 2, { timeoutMs: 5_000, what: 'events on both nodes' });
    expect(seenA).toEqual(seenB);
    expect(seenA.map((e) => e.type)).toEqual(['speakerMuted', 'speakerEnded']);
    expect(seenA[1]!.seq).toBe(seenA[0]!.seq + 1);
    off();
  });

  it('starts breakouts once, extends from the absolute deadline, and ends them once', async () => {
    const id = fresh();
    const a = nodes.a.meeting(id);
    const b = nodes.b.meeting(id);
    const now = Date.now();
    const started = await a.startBreakouts({ startedAt: now, endsAt: now + 60_000, nationalOverlay: true, speakToAll: false, provinces: ['01', '79'] });
    expect(started).toMatchObject({ version: 1, endsAt: now + 60_000, provinces: ['01', '79'] });
    expect(await b.startBreakouts({ startedAt: now, endsAt: null, nationalOverlay: false, speakToAll: false, provinces: null })).toBeNull();
    const extended = await b.updateBreakouts({ extendS: 30 }, now);
    expect(extended).toMatchObject({ version: 2, endsAt: now + 90_000, nationalOverlay: true });
    expect(await a.updateBreakouts({ speakToAll: true }, now)).toMatchObject({ version: 3, speakToAll: true, endsAt: now + 90_000 });
    expect((await b.snapshot()).breakouts).toMatchObject({ version: 3, speakToAll: true, provinces: ['01', '79'] });
    const [endA, endB] = await Promise.all([a.endBreakouts(), b.endBreakouts()]);
    expect([endA, endB].filter(Boolean)).toHaveLength(1);
    expect(await a.breakouts()).toBeNull();
    expect(await a.updateBreakouts({ extendS: 10 }, now)).toBeNull();
  });

  it('publishes producers added and removed, and a snapshot matches the events', async () => {
    const id = fresh();
    const a = nodes.a.meeting(id);
    const b = nodes.b.meeting(id);
    const seen: SequencedEvent[] = [];
    const off = await listening(a, [[b, (e) => seen.push(e)]]);
    const producer = (pid: string) => ({ id: pid, kind: 'audio' as const, source: 'mic' as const, peerId: 'h', peerName: 'H', sessionKey: 'main', roomId: id, national: true });
    await a.addProducer(producer('p1'));
    await a.addProducer(producer('p2'));
    await a.removeProducers(['p1', 'nope']);
    await a.removeProducers(['nope']);
    await until(() => seen.length === 3, { timeoutMs: 5_000, what: 'producer events' });
    expect(seen.map((e) => e.type)).toEqual(['producerAdded', 'producerAdded', 'producersRemoved']);
    expect(seen[2]).toMatchObject({ producerIds: ['p1'] });
    const snap = await b.snapshot();
    expect(snap.seq).toBe(seen[2]!.seq);
    expect(snap.producers.map((p) => p.id)).toEqual(['p2']);
    expect(a.writtenSeq).toBe(snap.seq);
    off();
  });

  it('keeps the last announcements for late joiners, oldest first', async () => {
    const id = fresh();
    const a = nodes.a.meeting(id);
    const b = nodes.b.meeting(id);
    for (let i = 0; i < 25; i++) await a.addNotice({ kind: 'text', text: `n${i}`, from: 'Bộ trưởng', at: 1_000 + i });
    const kept = await b.notices(0);
    expect(kept.map((n) => n.text)).toEqual(Array.from({ length: 20 }, (_, i) => `n${i + 5}`));
    expect((await b.notices(1_023)).map((n) => n.text)).toEqual(['n23', 'n24']);
  });

  it('lets exactly one node claim an expired departure, and not one whose user came back', async () => {
    const id = fresh();
    const a = nodes.a.meeting(id);
    const b = nodes.b.meeting(id);
    const now = Date.now();
    await a.departed('gone', now - 1);
    await a.departed('back', now - 1);
    await a.departed('later', now + 60_000);
    await b.join(participant('back', { node: 'node-b' }));
    const [ca, cb] = await Promise.all([a.claimExpiredDepartures(now, 10), b.claimExpiredDepartures(now, 10)]);
    expect([...ca, ...cb]).toEqual(['gone']);
    expect(await a.claimExpiredDepartures(now + 120_000, 10)).toEqual(['later']);
  });

  it('evicts a dead node\'s participants, but not those who came back through another node', async () => {
    const id = fresh();
    const a = nodes.a.meeting(id);
    await a.join(participant('d1', { node: 'dead' }));
    await a.join(participant('d2', { node: 'dead' }));
    await a.join(participant('alive', { node: 'node-a' }));
    await a.join(participant('d2', { node: 'node-a', socketId: 'sock-d2-new' }));
    expect((await a.nodes()).sort()).toEqual(['dead', 'node-a']);
    expect(await a.evictNode('dead', Date.now() - 1)).toEqual(['d1']);
    expect((await a.counts()).viewers).toBe(2);
    expect(await a.nodes()).toEqual(['node-a']);
    expect(await a.claimExpiredDepartures(Date.now(), 10)).toEqual(['d1']);
  });
});

describe('the Redis store across nodes', () => {
  it('knows which signaling nodes are alive from their heartbeats', async () => {
    const a = await RedisStore.create({ url: redis.url, nodeId: 'beat-a' });
    const b = await RedisStore.create({ url: redis.url, nodeId: 'beat-b' });
    stores.push(a);
    expect(await a.aliveNodes()).toEqual(expect.arrayContaining(['beat-a', 'beat-b']));
    await b.close();
    expect(await a.aliveNodes()).not.toContain('beat-b');
  });

  it('does not take a node for dead right after its own Redis connection came back (a failover, a restart)', async () => {
    const a = await RedisStore.create({ url: redis.url, nodeId: 'outage-a' });
    const b = await RedisStore.create({ url: redis.url, nodeId: 'outage-b' });
    stores.push(a, b);
    // As after a 20 s outage: b's last beat is old, and a has just reconnected.
    await b.client.zAdd('hn:sig', { score: Date.now() - 20_000, value: 'outage-b' });
    const epoch = a.client.socketEpoch;
    await b.client.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']);
    await until(() => a.client.socketEpoch > epoch && a.client.isReady, { what: 'a reconnected' });
    expect(await a.aliveNodes()).toContain('outage-b');
  });
});
