/**
 * Questions, polls and reactions on one node with the memory store (the same behaviours as the
 * cluster: test/helpers/qaSuite.ts), and the bad input a teacher can send.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { call, connectClient, request, startServer, tokenFor, type TestSocket } from '../../harness/server';
import { qaSuite } from '../helpers/qaSuite';

const SUMMARY_MS = 250;
let server: HoinghiServer;
const open: TestSocket[] = [];

beforeAll(async () => {
  server = await startServer({
    HOINGHI_QA_SUMMARY_MS: String(SUMMARY_MS),
    HOINGHI_QA_PUBLIC_MS: '300',
    HOINGHI_REACTION_INTERVAL_MS: '200',
    HOINGHI_QA_MAX_PER_USER: '5',
  });
}, 60_000);

afterAll(async () => {
  for (const s of open) s.close();
  await server?.close();
});

qaSuite('one node, memory', () => ({
  connect: (_node, claims) => connectClient(server, tokenFor(server, claims)),
  summaryMs: SUMMARY_MS,
  open,
}));

describe('bad questions', () => {
  async function teacher(sub: string): Promise<TestSocket> {
    const socket = await connectClient(server, tokenFor(server, { role: 'teacher', sub, province: '01', meetings: ['qa-bad'] }));
    open.push(socket);
    await call(socket, 'join', { meetingId: 'qa-bad' });
    return socket;
  }

  it('refuses oversized, empty, control-character and unknown-key questions with bad_request, and keeps none', async () => {
    const t = await teacher('bad-1');
    const cases: unknown[] = [
      { text: 'ệ'.repeat(450) }, // 450 characters, but 1,350 UTF-8 bytes
      { text: 'a'.repeat(501) },
      { text: '   ' },
      { text: 'chuông\u0007' },
      { text: 'ok', extra: 1 },
      { text: 42 },
      'not an object',
    ];
    for (const payload of cases) {
      const res = await request(t, 'qaAsk', payload);
      expect(res.ok ? null : res.error.code).toBe('bad_request');
    }
    expect((await call(t, 'qaMine', {})).rows).toEqual([]);
    const forged = await request(t, 'qaVote', { questionId: 'q1; DROP TABLE' });
    expect(forged.ok ? null : forged.error.code).toBe('bad_request');
    const tooMany = await request(t, 'pollVote', { pollId: 'p1', choices: Array.from({ length: 11 }, (_, i) => i % 10) });
    expect(tooMany.ok ? null : tooMany.error.code).toBe('bad_request');
  });

  it('rate-limits a teacher who asks too often, with a retry-after, and keeps only what was accepted', async () => {
    const t = await teacher('bad-2');
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await request(t, 'qaAsk', { text: `Câu ${i}` }));
    expect(results.slice(0, 3).every((r) => r.ok)).toBe(true);
    const limited = results[3]!;
    expect(limited.ok ? null : limited.error.code).toBe('rate_limited');
    expect(limited.ok ? 0 : limited.error.retryAfterMs).toBeGreaterThan(0);
    expect((await call(t, 'qaMine', {})).rows).toHaveLength(3);
  });
});
