/**
 * The admission rule, the same for both implementations: LocalAdmission in memory, and
 * RedisAdmission on a real redis-server (its Lua scripts on Redis's clock).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalAdmission } from '../../signaling/admission/LocalAdmission';
import { RedisAdmission, admissionKeys } from '../../signaling/admission/RedisAdmission';
import type { Admission, AdmissionOptions, AdmitResult } from '../../signaling/admission/types';
import { startRedis, type RedisProcess } from '../../harness/cluster';
import { sleep, until } from '../../harness/wait';

let redis: RedisProcess;
let domain = 0;
const opened: Admission[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  for (const a of opened) await a.close();
  await redis.stop();
});

const BASE: AdmissionOptions = { joinsPerSecond: 0.001, burst: 2, holdMs: 0, ticketTtlMs: 60_000, maxQueue: 1000 };

const implementations: [string, (o: AdmissionOptions) => Promise<Admission>][] = [
  ['LocalAdmission', async (o) => new LocalAdmission(o)],
  // Each test gets its own keys: a fresh bucket and queue on the same Redis.
  ['RedisAdmission', async (o) => RedisAdmission.create(redis.url, o, admissionKeys(`test:${++domain}`))],
];

function queued(r: AdmitResult): Extract<AdmitResult, { status: 'queued' }> {
  if (r.status !== 'queued') throw new Error(`expected queued, got ${r.status}`);
  return r;
}

describe.each(implementations)('%s', (_name, make) => {
  const open = async (o: Partial<AdmissionOptions> = {}): Promise<Admission> => {
    const a = await make({ ...BASE, ...o });
    opened.push(a);
    return a;
  };

  it('admits the burst at once, then queues newcomers in arrival order with exact positions', async () => {
    const a = await open();
    expect(await a.admit({ ticket: null, lane: 'new' })).toEqual({ status: 'admitted' });
    expect(await a.admit({ ticket: null, lane: 'new' })).toEqual({ status: 'admitted' });
    const waits = [];
    for (let i = 0; i < 5; i++) waits.push(queued(await a.admit({ ticket: null, lane: 'new' })));
    expect(waits.map((w) => w.position)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(waits.map((w) => w.ticket)).size).toBe(5);
    // A poll keeps the place.
    expect(queued(await a.admit({ ticket: waits[2]!.ticket, lane: 'new' })).position).toBe(3);
    expect(await a.queueLengths()).toEqual({ rejoin: 0, new: 5 });
  });

  it('estimates the wait from the rate: later places wait longer, about one interval per place', async () => {
    const a = await open({ joinsPerSecond: 1, burst: 1 });
    await a.admit({ ticket: null, lane: 'new' });
    const first = queued(await a.admit({ ticket: null, lane: 'new' }));
    for (let i = 0; i < 8; i++) await a.admit({ ticket: null, lane: 'new' });
    const tenth = queued(await a.admit({ ticket: null, lane: 'new' }));
    expect(tenth.position).toBe(10);
    expect(first.etaMs).toBeLessThanOrEqual(1000);
    expect(tenth.etaMs).toBeGreaterThan(first.etaMs + 8000);
    expect(tenth.etaMs).toBeLessThanOrEqual(10_000);
  });

  it('puts a rejoin ahead of every new join, behind earlier rejoins', async () => {
    const a = await open({ burst: 1 });
    await a.admit({ ticket: null, lane: 'new' });
    const n1 = queued(await a.admit({ ticket: null, lane: 'new' }));
    const n2 = queued(await a.admit({ ticket: null, lane: 'new' }));
    const r1 = queued(await a.admit({ ticket: null, lane: 'rejoin' }));
    const r2 = queued(await a.admit({ ticket: null, lane: 'rejoin' }));
    expect([r1.position, r1.lane, r2.position, r2.lane]).toEqual([1, 'rejoin', 2, 'rejoin']);
    expect(queued(await a.admit({ ticket: n1.ticket, lane: 'new' })).position).toBe(3);
    expect(queued(await a.admit({ ticket: n2.ticket, lane: 'new' })).position).toBe(4);
    expect(await a.queueLengths()).toEqual({ rejoin: 2, new: 2 });
  });

  it('admits only the head while the bucket holds one token: strictly first come, first served', async () => {
    // 20 joins/s, burst 1: a token every 50 ms, never more than one waiting.
    const a = await open({ joinsPerSecond: 20, burst: 1 });
    await a.admit({ ticket: null, lane: 'new' });
    const tickets: string[] = [];
    for (let i = 0; i < 4; i++) tickets.push(queued(await a.admit({ ticket: null, lane: 'new' })).ticket);
    const order: number[] = [];
    const waiting = new Set([0, 1, 2, 3]);
    await until(
      async () => {
        // Everyone polls, the last first: only the head is ever admitted.
        for (const i of [...waiting].reverse()) {
          if ((await a.admit({ ticket: tickets[i]!, lane: 'new' })).status === 'admitted') {
            order.push(i);
            waiting.delete(i);
          }
        }
        return waiting.size === 0;
      },
      { what: 'every ticket admitted' },
    );
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('re-ranks everyone behind a cancelled ticket', async () => {
    const a = await open({ burst: 1 });
    await a.admit({ ticket: null, lane: 'new' });
    const w = [];
    for (let i = 0; i < 3; i++) w.push(queued(await a.admit({ ticket: null, lane: 'new' })));
    await a.cancel(w[0]!.ticket);
    expect(queued(await a.admit({ ticket: w[2]!.ticket, lane: 'new' })).position).toBe(2);
    expect(await a.queueLengths()).toEqual({ rejoin: 0, new: 2 });
  });

  it('drops a ticket that stops polling once its TTL has passed', async () => {
    const a = await open({ burst: 1, ticketTtlMs: 300 });
    await a.admit({ ticket: null, lane: 'new' });
    queued(await a.admit({ ticket: null, lane: 'new' }));
    const kept = queued(await a.admit({ ticket: null, lane: 'new' }));
    expect(kept.position).toBe(2);
    // Keep polling one ticket (every 100 ms, within its TTL); the other goes silent, and is dropped.
    await until(async () => queued(await a.admit({ ticket: kept.ticket, lane: 'new' })).position === 1, {
      intervalMs: 100,
      what: 'the silent ticket dropped',
    });
    expect(await a.queueLengths()).toEqual({ rejoin: 0, new: 1 });
  });

  it('keeps unused tokens for waiting clients up to the burst plus the hold, for the first in line', async () => {
    // 5 joins/s, burst 1, hold 2 s: up to 1 + 10 tokens while someone waits.
    const a = await open({ joinsPerSecond: 5, burst: 1, holdMs: 2_000 });
    await a.admit({ ticket: null, lane: 'new' });
    const w = [];
    for (let i = 0; i < 15; i++) w.push(queued(await a.admit({ ticket: null, lane: 'new' })));
    // Deliberate: time is the subject. Nobody polls for a while: the bucket fills to its waiting
    // cap (reached after 2 s), no further.
    await sleep(2_500);
    const results = [];
    for (const t of w) results.push((await a.admit({ ticket: t.ticket, lane: 'new' })).status);
    const admitted = results.filter((r) => r === 'admitted').length;
    expect(admitted).toBeGreaterThanOrEqual(11);
    expect(admitted).toBeLessThanOrEqual(12);
    // The first ones in the queue, in order.
    expect(results.slice(0, admitted).every((r) => r === 'admitted')).toBe(true);
  });

  it('answers full, and queues nobody, when the queue is at its cap', async () => {
    const a = await open({ burst: 1, maxQueue: 2 });
    await a.admit({ ticket: null, lane: 'new' });
    queued(await a.admit({ ticket: null, lane: 'new' }));
    queued(await a.admit({ ticket: null, lane: 'rejoin' }));
    expect(await a.admit({ ticket: null, lane: 'new' })).toEqual({ status: 'full' });
    expect(await a.queueLengths()).toEqual({ rejoin: 1, new: 1 });
  });
});
