/**
 * Cluster-wide admission (RedisAdmission): two signaling servers on one real redis-server share
 * one join rate and one waiting queue; positions and order are first come, first served across
 * both, rejoins go ahead of new joins whichever server they reach.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import type { HoinghiServer } from '../../signaling/server';
import { MEETING, call, connectClient, request, startServer, tokenFor, type TestSocket } from '../../harness/server';
import { startRedis, type RedisProcess } from '../../harness/cluster';
import { until } from '../../harness/wait';
import { joinQueued, joinWhenAdmitted } from '../helpers/admission';

let redis: RedisProcess;
const servers: HoinghiServer[] = [];
const sockets: TestSocket[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});
beforeEach(async () => {
  const client = createClient({ url: redis.url });
  await client.connect();
  await client.flushAll();
  await client.quit();
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  for (const s of servers.splice(0)) await s.close();
});

/** Two signaling servers on the same Redis, with the same (cluster-wide) rate and burst. */
async function pair(rate: string, burst: string): Promise<[HoinghiServer, HoinghiServer]> {
  // No hold beyond the burst: with a burst of 1, admission is in strict arrival order.
  const env = { HOINGHI_REDIS_URL: redis.url, HOINGHI_JOIN_RATE: rate, HOINGHI_JOIN_BURST: burst, HOINGHI_JOIN_HOLD_MS: '0' };
  const a = await startServer(env);
  servers.push(a);
  const b = await startServer(env);
  servers.push(b);
  return [a, b];
}

async function teacher(server: HoinghiServer, sub?: string): Promise<TestSocket> {
  const socket = await connectClient(server, tokenFor(server, sub ? { role: 'teacher', sub } : { role: 'teacher' }));
  sockets.push(socket);
  return socket;
}

describe('cluster-wide admission on one Redis', () => {
  it('uses Redis when HOINGHI_REDIS_URL is set', async () => {
    const [a, b] = await pair('1', '1');
    expect([a.admission.kind, b.admission.kind]).toEqual(['redis', 'redis']);
  });

  it('shares one bucket: two servers admit the burst once between them, and queue the rest', async () => {
    const [a, b] = await pair('0.001', '3');
    const all = await Promise.all(Array.from({ length: 8 }, (_, i) => teacher(i % 2 ? b : a)));
    const answers = await Promise.all(all.map((s) => request(s, 'join', { meetingId: MEETING })));
    expect(answers.filter((r) => r.ok)).toHaveLength(3);
    const positions = answers.flatMap((r) => (!r.ok && r.error.code === 'queued' ? [r.error.queue!.position] : []));
    expect(positions.sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5]);
    expect(await a.admission.queueLengths()).toEqual({ rejoin: 0, new: 5 });
  });

  it('gives positions and admits in arrival order across both servers', async () => {
    const [a, b] = await pair('1', '1');
    await call(await teacher(a), 'join', { meetingId: MEETING });
    const waiting = [];
    for (let i = 0; i < 4; i++) {
      const s = await teacher(i % 2 ? a : b);
      expect((await joinQueued(s)).position).toBe(i + 1);
      waiting.push(s);
    }
    const order: number[] = [];
    await Promise.all(waiting.map((s, i) => joinWhenAdmitted(s).then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('puts a rejoin reaching the other server (with its resume ticket) ahead of new joins queued on both', async () => {
    const [a, b] = await pair('0.3', '1');
    const before = await teacher(a, 'gv-moved');
    const { resumeTicket } = await call(before, 'join', { meetingId: MEETING });
    before.close();
    const n1 = await teacher(a);
    const n2 = await teacher(b);
    expect((await joinQueued(n1)).position).toBe(1);
    expect((await joinQueued(n2)).position).toBe(2);
    // Its node "died": the same teacher comes back through the other server.
    const back = await teacher(b, 'gv-moved');
    expect(await joinQueued(back, { resumeTicket })).toMatchObject({ position: 1, lane: 'rejoin' });
    expect(await joinQueued(n2)).toMatchObject({ position: 3, lane: 'new' });
    const order: string[] = [];
    await Promise.all([
      joinWhenAdmitted(back, { resumeTicket }).then(() => order.push('back')),
      joinWhenAdmitted(n1).then(() => order.push('n1')),
      joinWhenAdmitted(n2).then(() => order.push('n2')),
    ]);
    expect(order).toEqual(['back', 'n1', 'n2']);
  });

  it('removes a socket that disconnects from one server from the queue the other server sees', async () => {
    const [a, b] = await pair('0.001', '1');
    await call(await teacher(a), 'join', { meetingId: MEETING });
    const q1 = await teacher(a);
    const q2 = await teacher(b);
    await joinQueued(q1);
    expect((await joinQueued(q2)).position).toBe(2);
    q1.close();
    await until(() => a.joinGate.waiting === 0, { timeoutMs: 10_000, what: 'the ticket to go' });
    expect(await b.admission.queueLengths()).toEqual({ rejoin: 0, new: 1 });
    expect((await joinQueued(q2)).position).toBe(1);
  });

  it('refuses a forged resume ticket on either server with invalid_ticket, queueing nothing', async () => {
    const [a, b] = await pair('0.001', '1');
    const owner = await teacher(a, 'gv-a');
    const { resumeTicket } = await call(owner, 'join', { meetingId: MEETING });
    const thief = await teacher(b, 'gv-b');
    expect(await request(thief, 'join', { meetingId: MEETING, resumeTicket })).toMatchObject({ ok: false, error: { code: 'invalid_ticket' } });
    expect(await b.admission.queueLengths()).toEqual({ rejoin: 0, new: 0 });
  });
});
