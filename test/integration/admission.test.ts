/**
 * Join admission on one node (LocalAdmission) through real sockets: the waiting queue, its
 * positions and order, the rejoin lane, and hostile input.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { MEETING, call, connectClient, request, startServer, tokenFor, type TestSocket } from '../../harness/server';
import { until } from '../../harness/wait';
import { joinQueued, joinWhenAdmitted } from '../helpers/admission';

const servers: HoinghiServer[] = [];
const sockets: TestSocket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  for (const s of servers.splice(0)) await s.close();
});

async function node(rate: string, burst: string): Promise<HoinghiServer> {
  // No hold beyond the burst: with a burst of 1, admission is in strict arrival order.
  const server = await startServer({ HOINGHI_JOIN_RATE: rate, HOINGHI_JOIN_BURST: burst, HOINGHI_JOIN_HOLD_MS: '0' });
  servers.push(server);
  return server;
}

async function teacher(server: HoinghiServer, sub?: string): Promise<TestSocket> {
  const socket = await connectClient(server, tokenFor(server, sub ? { role: 'teacher', sub } : { role: 'teacher' }));
  sockets.push(socket);
  return socket;
}

describe('join admission on one node', () => {
  it('queues a refused join with its position, an estimated wait and a retry-after, and admits it in its turn', async () => {
    const server = await node('1', '1');
    await call(await teacher(server), 'join', { meetingId: MEETING });
    const waiting = await teacher(server);
    const first = await joinQueued(waiting);
    expect(first).toMatchObject({ position: 1, lane: 'new' });
    expect(first.etaMs).toBeGreaterThan(0);
    expect(first.etaMs).toBeLessThanOrEqual(1000);
    expect(first.retryAfterMs).toBeGreaterThanOrEqual(1000);
    expect(server.joinGate.waiting).toBe(1);
    const { join } = await joinWhenAdmitted(waiting);
    expect(join.resumeTicket).toMatch(/^\d+\./);
    // Joined for real: the media flow goes on.
    expect((await call(waiting, 'createTransport', { direction: 'recv' })).id).toBeTypeOf('string');
    expect(server.joinGate.waiting).toBe(0);
    expect(await server.admission.queueLengths()).toEqual({ rejoin: 0, new: 0 });
  });

  it('admits waiting teachers first come, first served, their positions counting down', async () => {
    const server = await node('1', '1');
    await call(await teacher(server), 'join', { meetingId: MEETING });
    const waiting = [];
    for (let i = 0; i < 4; i++) {
      const s = await teacher(server);
      expect((await joinQueued(s)).position).toBe(i + 1);
      waiting.push(s);
    }
    const order: number[] = [];
    const results = await Promise.all(
      waiting.map((s, i) =>
        joinWhenAdmitted(s).then((r) => {
          order.push(i);
          return r;
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3]);
    for (const r of results) {
      const positions = r.waits.map((w) => w.position);
      expect(positions).toEqual([...positions].sort((a, b) => b - a));
    }
  });

  it('never queues a host', async () => {
    const server = await node('0.001', '1');
    await call(await teacher(server), 'join', { meetingId: MEETING });
    const host = await connectClient(server, tokenFor(server, { role: 'host' }));
    sockets.push(host);
    expect((await call(host, 'join', { meetingId: MEETING })).self.role).toBe('host');
  });

  it('puts a teacher coming back with a resume ticket ahead of new joins', async () => {
    const server = await node('0.3', '1');
    const before = await teacher(server, 'gv-back');
    const { resumeTicket } = await call(before, 'join', { meetingId: MEETING });
    before.close();
    const n1 = await teacher(server);
    const n2 = await teacher(server);
    expect((await joinQueued(n1)).position).toBe(1);
    expect((await joinQueued(n2)).position).toBe(2);
    const back = await teacher(server, 'gv-back');
    expect(await joinQueued(back, { resumeTicket })).toMatchObject({ position: 1, lane: 'rejoin' });
    expect(await joinQueued(n1)).toMatchObject({ position: 2, lane: 'new' });
    const order: string[] = [];
    await Promise.all([
      joinWhenAdmitted(back, { resumeTicket }).then(() => order.push('back')),
      joinWhenAdmitted(n1).then(() => order.push('n1')),
      joinWhenAdmitted(n2).then(() => order.push('n2')),
    ]);
    expect(order).toEqual(['back', 'n1', 'n2']);
  });

  it('drops a queued socket that disconnects, or leaves, and moves those behind it up', async () => {
    const server = await node('0.001', '1');
    await call(await teacher(server), 'join', { meetingId: MEETING });
    const q = [await teacher(server), await teacher(server), await teacher(server), await teacher(server)];
    for (const s of q) await joinQueued(s);
    expect(await server.admission.queueLengths()).toEqual({ rejoin: 0, new: 4 });
    q[1]!.close();
    await until(() => server.joinGate.waiting === 3, { timeoutMs: 10_000, what: 'the disconnected ticket to go' });
    expect(await server.admission.queueLengths()).toEqual({ rejoin: 0, new: 3 });
    await call(q[0]!, 'leave', {});
    expect(await server.admission.queueLengths()).toEqual({ rejoin: 0, new: 2 });
    expect((await joinQueued(q[3]!)).position).toBe(2);
    expect((await joinQueued(q[2]!)).position).toBe(1);
  });

  it('refuses a forged, altered or borrowed resume ticket with invalid_ticket, and changes nothing', async () => {
    const server = await node('0.001', '1');
    const owner = await teacher(server, 'gv-owner');
    const { resumeTicket } = await call(owner, 'join', { meetingId: MEETING });
    const other = await teacher(server, 'gv-other');
    const [issuedAt, mac] = resumeTicket.split('.') as [string, string];
    const bad = [
      resumeTicket, // someone else's
      `${Number(issuedAt) + 1}.${mac}`, // altered time
      `${issuedAt}.${mac.slice(0, -2)}AA`, // altered MAC
      'x', // not a ticket at all
      `${Date.now() + 3_600_000}.${mac}`, // from the future
    ];
    for (const ticket of bad) {
      const res = await request(other, 'join', { meetingId: MEETING, resumeTicket: ticket });
      expect(res).toMatchObject({ ok: false, error: { code: 'invalid_ticket' } });
    }
    const oversized = await request(other, 'join', { meetingId: MEETING, resumeTicket: 'a'.repeat(300) });
    expect(oversized).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await server.admission.queueLengths()).toEqual({ rejoin: 0, new: 0 });
    expect(server.joinGate.waiting).toBe(0);
    // Without a ticket: an ordinary newcomer, first in the queue.
    expect(await joinQueued(other)).toMatchObject({ position: 1, lane: 'new' });
  });

  it('rate-limits a queued socket that floods join, and keeps its place', async () => {
    const server = await node('0.001', '1');
    await call(await teacher(server), 'join', { meetingId: MEETING });
    const first = await teacher(server);
    const flooder = await teacher(server);
    await joinQueued(first);
    await joinQueued(flooder);
    const answers = await Promise.all(Array.from({ length: 15 }, () => request(flooder, 'join', { meetingId: MEETING })));
    const codes = answers.map((a) => (a.ok ? 'ok' : a.error.code));
    expect(codes).toContain('rate_limited');
    expect(codes).not.toContain('ok');
    for (const a of answers) {
      if (!a.ok && a.error.code === 'rate_limited') expect(a.error.retryAfterMs).toBeGreaterThan(0);
      if (!a.ok && a.error.code === 'queued') expect(a.error.queue?.position).toBe(2);
    }
    expect(await server.admission.queueLengths()).toEqual({ rejoin: 0, new: 2 });
    expect((await joinQueued(first)).position).toBe(1);
  });
});
