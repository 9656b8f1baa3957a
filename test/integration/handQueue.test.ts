import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import type { HandQueueSummary, SpeakState } from '../../signaling/protocol/events';
import { PROVINCES } from '../../signaling/data/provinces';
import { MEETING, call, connectClient, next, request, startServer, tokenFor, type TestSocket } from '../../harness/server';
import { collect } from '../helpers/flows';
import { sleep, until } from '../../harness/wait';

const N = 1000;
let server: HoinghiServer;
let host: TestSocket;
let summaries: HandQueueSummary[];
const teachers: { socket: TestSocket; userId: string; province: string; handEvents: unknown[]; states: SpeakState[] }[] = [];

/** Deterministic shuffle (mulberry32), so a failure can be replayed. */
function shuffled<T>(items: T[], seed = 20261129): T[] {
  let a = seed;
  const rand = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

beforeAll(async () => {
  server = await startServer({ HOINGHI_JOIN_RATE: '100000', HOINGHI_JOIN_BURST: '100000', HOINGHI_DEPARTURE_GRACE_MS: '30000' });
  host = await connectClient(server, tokenFor(server, { role: 'host', sub: 'host-1' }));
  summaries = collect<HandQueueSummary>(host, 'handQueue');
  await call(host, 'join', { meetingId: MEETING });
  for (let batch = 0; batch < N; batch += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, N - batch) }, async (_, k) => {
        const i = batch + k;
        const province = PROVINCES[i % PROVINCES.length]!.code;
        const userId = `t-${i}`;
        const socket = await connectClient(server, tokenFor(server, { role: 'teacher', sub: userId, province, school: `S${i % 97}` }));
        const handEvents: unknown[] = [];
        for (const ev of ['handQueue', 'speakersChanged']) socket.on(ev as 'handQueue', (x: unknown) => handEvents.push(x));
        const states = collect<SpeakState>(socket, 'speakState');
        await call(socket, 'join', { meetingId: MEETING });
        teachers[i] = { socket, userId, province, handEvents, states };
      }),
    );
  }
}, 120_000);

afterAll(async () => {
  for (const t of teachers) t.socket.close();
  host?.close();
  await server?.close();
});

const handSeq = (): Promise<number> => server.sockets.registry.get(MEETING)!.state.handSeq('main');

/** Waits until the host's last summary is of the queue as it is now (none is pending). */
async function summariesCaughtUp(): Promise<void> {
  await until(async () => summaries.at(-1)?.seq === (await handSeq()), { what: "the host's summary to catch up with the queue" });
}

async function fullQueue(): Promise<{ userId: string; seq: number; province: string | null; raisedAt: number }[]> {
  const out = [];
  for (let offset = 0; ; offset += 500) {
    const page = await call(host, 'handQueuePage', { offset, limit: 500 });
    out.push(...page.entries);
    if (page.entries.length < 500) return out;
  }
}

describe('the hand queue at scale', () => {
  it('orders 1,000 hands raised in random order by raise time, with exact per-province counts', async () => {
    const order = shuffled(teachers);
    for (const t of order) {
      const res = await call(t.socket, 'raiseHand', {});
      expect(res.handRaised).toBe(true);
    }
    const queue = await fullQueue();
    expect(queue.map((e) => e.userId)).toEqual(order.map((t) => t.userId));
    for (let i = 1; i < queue.length; i++) {
      expect(queue[i]!.seq).toBeGreaterThan(queue[i - 1]!.seq);
      expect(queue[i]!.raisedAt).toBeGreaterThanOrEqual(queue[i - 1]!.raisedAt);
    }
    const expected: Record<string, number> = {};
    for (const t of teachers) expected[t.province] = (expected[t.province] ?? 0) + 1;
    await until(() => summaries.at(-1)?.total === N, { timeoutMs: 5_000, what: 'final summary' });
    const last = summaries.at(-1)!;
    expect(last.byProvince).toEqual(expected);
    expect(last.head.map((e) => e.userId)).toEqual(order.slice(0, 50).map((t) => t.userId));
    expect(last.head[0]).toMatchObject({ name: expect.any(String), province: expect.any(String), school: expect.any(String) });
  });

  it('throttles host summaries to one per interval, and sends none without a change', async () => {
    // 1,000 changes produced far fewer summaries, each at least one interval after the previous.
    const during = summaries.filter((s) => s.total > 0);
    expect(during.length).toBeGreaterThan(0);
    expect(during.length).toBeLessThan(N / 10);
    for (let i = 1; i < during.length; i++) {
      expect(during[i]!.seq).toBeGreaterThan(during[i - 1]!.seq);
      expect(during[i]!.serverNow - during[i - 1]!.serverNow).toBeGreaterThanOrEqual(495);
    }
    const count = summaries.length;
    // Deliberate: "none without a change" has no event to wait for; two intervals pass.
    await sleep(1_200);
    expect(summaries.length).toBe(count);
  });

  it('sends no hand event to any non-host socket', () => {
    for (const t of teachers) expect(t.handEvents).toEqual([]);
  });

  it('changes nothing when a hand is raised twice', async () => {
    const t = teachers[7]!;
    const before = await fullQueue();
    await summariesCaughtUp();
    const seqBefore = summaries.at(-1)!.seq;
    await call(t.socket, 'raiseHand', {});
    expect(await fullQueue()).toEqual(before);
    expect(await handSeq()).toBe(seqBefore);
    // Deliberate: "no summary follows" has no event to wait for; one interval (500 ms) passes.
    await sleep(600);
    expect(summaries.at(-1)!.seq).toBe(seqBefore);
  });

  it('gives a host who joins late the current queue at once', async () => {
    const late = await connectClient(server, tokenFor(server, { role: 'host', sub: 'host-late' }));
    const first = next(late, 'handQueue');
    await call(late, 'join', { meetingId: MEETING });
    expect((await first).total).toBe(N);
    late.close();
  });

  it('keeps a hand across a reconnect', async () => {
    const t = teachers[3]!;
    const position = (await fullQueue()).findIndex((e) => e.userId === t.userId);
    t.socket.close();
    await until(() => !server.sockets.registry.get(MEETING)!.peers.has(t.userId), { timeoutMs: 5_000, what: 'departure' });
    const again = await connectClient(server, tokenFor(server, { role: 'teacher', sub: t.userId, province: t.province }));
    const state = next(again, 'speakState');
    await call(again, 'join', { meetingId: MEETING });
    expect((await state).handRaised).toBe(true);
    expect((await fullQueue()).findIndex((e) => e.userId === t.userId)).toBe(position);
    t.socket = again;
  });

  it('rate-limits hand toggles per user with rate_limited and a retry-after', async () => {
    const t = teachers[11]!;
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await request(t.socket, i % 2 ? 'raiseHand' : 'lowerHand', {}));
    const limited = results.find((r) => !r.ok);
    expect(limited).toMatchObject({ ok: false, error: { code: 'rate_limited', retryAfterMs: expect.any(Number) } });
  });

  it('lowers every hand of one province, and tells only those teachers', async () => {
    const province = PROVINCES[5]!.code;
    // Let any pending summary go out, so that the next one is caused by the lowering.
    await summariesCaughtUp();
    const before = summaries.at(-1)!;
    const queue = await fullQueue();
    expect(before.total).toBe(queue.length);
    const inProvince = teachers.filter((t) => t.province === province);
    const statesBefore = teachers.map((t) => t.states.length);
    const res = await call(host, 'lowerHands', { scope: 'province', province });
    const raisedThere = queue.filter((e) => e.province === province).length;
    expect(raisedThere).toBeGreaterThan(0);
    expect(res.lowered).toBe(raisedThere);
    await until(() => summaries.at(-1)!.seq > before.seq, { timeoutMs: 5_000, what: 'summary after lowering' });
    const after = summaries.at(-1)!;
    expect(after.byProvince[province]).toBeUndefined();
    expect(after.total).toBe(before.total - raisedThere);
    await until(() => inProvince.every((t) => t.states.at(-1)?.handRaised === false), { timeoutMs: 5_000, what: 'lowered teachers told' });
    teachers.forEach((t, i) => {
      if (t.province !== province && t.userId !== teachers[3]!.userId) expect(t.states.length).toBe(statesBefore[i]);
    });
  });

  it('lowers one hand, then all hands', async () => {
    const one = teachers[20]!;
    expect(await call(host, 'lowerHands', { scope: 'user', userId: one.userId })).toEqual({ lowered: 1 });
    expect((await fullQueue()).some((e) => e.userId === one.userId)).toBe(false);
    const remaining = (await fullQueue()).length;
    expect(await call(host, 'lowerHands', { scope: 'all' })).toEqual({ lowered: remaining });
    await until(() => summaries.at(-1)!.total === 0, { timeoutMs: 5_000, what: 'empty summary' });
    expect(summaries.at(-1)!.byProvince).toEqual({});
    expect(await fullQueue()).toEqual([]);
  });
});
