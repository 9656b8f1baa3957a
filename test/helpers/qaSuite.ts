/**
 * The questions/polls/reactions behaviours, run against a meeting served by two signaling nodes
 * with Redis (qaCluster.test.ts) and by one node with the memory store (qa.test.ts): `connect`
 * says which node a participant comes through.
 */
import { describe, expect, it } from 'vitest';
import type { ClaimsInput } from '../../signaling/auth/tokens';
import type { PollHostSummary, QaHostSummary, QaPublic, ReactionStrip } from '../../signaling/protocol/qa';
import { call, request, type TestSocket } from '../../harness/server';
import { collect } from './flows';
import { until } from '../../harness/wait';

export type Claims = Partial<ClaimsInput> & Pick<ClaimsInput, 'role'>;
export interface QaTarget {
  /** Connects through node `node` (0 or 1; one node serves both in memory mode). */
  connect(node: number, claims: Claims & { meetings: string[] }): Promise<TestSocket>;
  /** The host summary interval the nodes were started with, ms. */
  summaryMs: number;
  open: TestSocket[];
}

let meetings = 0;

export function qaSuite(name: string, target: () => QaTarget): void {
  async function member(node: number, meetingId: string, claims: Claims): Promise<TestSocket> {
    const t = target();
    const socket = await t.connect(node, { ...claims, meetings: [meetingId] });
    t.open.push(socket);
    await call(socket, 'join', { meetingId });
    return socket;
  }
  const newMeeting = (): string => `qa-${name}-${++meetings}-${Date.now() % 100000}`;

  describe(`questions, polls and reactions (${name})`, () => {
    it('counts votes from both nodes once each, and a second vote changes nothing', async () => {
      const id = newMeeting();
      const asker = await member(0, id, { role: 'teacher', sub: 'asker', province: '01' });
      const voters = [];
      for (let i = 0; i < 6; i++) voters.push(await member(i % 2, id, { role: 'teacher', sub: `v${i}`, province: i % 2 ? '79' : '01' }));
      const { question } = await call(asker, 'qaAsk', { text: 'Khi nào có lịch thi?' });
      expect(question).toMatchObject({ votes: 0, answered: false, hidden: false, province: '01' });
      // Every voter votes twice, through their own node: the second changes nothing.
      const first = await Promise.all(voters.map((v) => call(v, 'qaVote', { questionId: question.id })));
      expect(first.every((r) => r.changed)).toBe(true);
      const again = await Promise.all(voters.map((v) => call(v, 'qaVote', { questionId: question.id })));
      expect(again.every((r) => !r.changed && r.votes === 6)).toBe(true);
      const own = await request(asker, 'qaVote', { questionId: question.id });
      expect(own.ok ? null : own.error.code).toBe('conflict');
      const page = await call(voters[1]!, 'qaList', { sort: 'top', offset: 0, limit: 10 });
      expect(page.rows[0]).toMatchObject({ id: question.id, votes: 6 });
      expect(page.voted).toEqual([question.id]);
    });

    it('gives hosts the top questions by votes, the newest, and filters by province', async () => {
      const id = newMeeting();
      const host = await member(0, id, { role: 'host', sub: 'host' });
      const summaries = collect<QaHostSummary>(host, 'qaHost');
      const hn = await member(1, id, { role: 'teacher', sub: 'hn', province: '01' });
      const hcm = await member(1, id, { role: 'teacher', sub: 'hcm', province: '79' });
      const dn = await member(0, id, { role: 'teacher', sub: 'dn', province: '48' });
      const qa = (await call(hn, 'qaAsk', { text: 'A' })).question;
      const qb = (await call(hcm, 'qaAsk', { text: 'B' })).question;
      const qc = (await call(dn, 'qaAsk', { text: 'C' })).question;
      // A: 2 votes, C: 1, B: 0.
      await call(hcm, 'qaVote', { questionId: qa.id });
      await call(dn, 'qaVote', { questionId: qa.id });
      await call(hn, 'qaVote', { questionId: qc.id });
      const top = await call(host, 'qaWatch', { sort: 'top', province: null });
      expect(top.head.map((q) => q.id)).toEqual([qa.id, qc.id, qb.id]);
      expect(top.byProvince).toEqual({ '01': 1, '79': 1, '48': 1 });
      const newest = await call(host, 'qaWatch', { sort: 'new', province: null });
      expect(newest.head.map((q) => q.id)).toEqual([qc.id, qb.id, qa.id]);
      const hcmOnly = await call(host, 'qaWatch', { sort: 'top', province: '79' });
      expect(hcmOnly.head.map((q) => q.id)).toEqual([qb.id]);
      expect(hcmOnly.matching).toBe(1);
      // A province host sees their province only, whatever they ask for.
      const ph = await member(1, id, { role: 'province_host', sub: 'ph79', province: '79' });
      const scoped = await call(ph, 'qaWatch', { sort: 'top', province: null });
      expect(scoped.province).toBe('79');
      expect(scoped.head.map((q) => q.id)).toEqual([qb.id]);
      const outside = await request(ph, 'qaWatch', { sort: 'top', province: '01' });
      expect(outside.ok ? null : outside.error.code).toBe('forbidden');
      // Votes move B to the top (a tie with A: the older first); the host's next summary shows it.
      await call(host, 'qaWatch', { sort: 'top', province: null });
      const before = summaries.length;
      await call(hn, 'qaVote', { questionId: qb.id });
      await call(dn, 'qaVote', { questionId: qb.id });
      await call(hcm, 'qaVote', { questionId: qc.id });
      await until(() => summaries.slice(before).some((s) => s.head.every((q) => q.votes === 2)), { timeoutMs: 10_000, what: 'the votes summarised' });
      const last = summaries.at(-1)!;
      expect(last.head.map((q) => [q.id, q.votes])).toEqual([
        [qa.id, 2],
        [qb.id, 2],
        [qc.id, 2],
      ]);
    });

    it('refuses teachers who hide, answer or pin, and province hosts outside their province', async () => {
      const id = newMeeting();
      const host = await member(0, id, { role: 'host', sub: 'host' });
      const asker = await member(1, id, { role: 'teacher', sub: 'asker', province: '01' });
      const other = await member(0, id, { role: 'teacher', sub: 'other', province: '01' });
      const ph = await member(1, id, { role: 'province_host', sub: 'ph79', province: '79' });
      const { question } = await call(asker, 'qaAsk', { text: 'Câu hỏi' });
      for (const action of ['hide', 'answer'] as const) {
        for (const who of [asker, other]) {
          const res = await request(who, 'qaModerate', { questionId: question.id, action });
          expect(res.ok ? null : res.error.code).toBe('forbidden');
        }
        const res = await request(ph, 'qaModerate', { questionId: question.id, action });
        expect(res.ok ? null : res.error.code).toBe('forbidden');
      }
      for (const who of [asker, other, ph]) {
        const res = await request(who, 'qaPin', { questionId: question.id });
        expect(res.ok ? null : res.error.code).toBe('forbidden');
      }
      const hostVote = await request(host, 'qaVote', { questionId: question.id });
      expect(hostVote.ok ? null : hostVote.error.code).toBe('forbidden');
      const state = await call(host, 'qaWatch', { sort: 'top', province: null });
      expect(state.head[0]).toMatchObject({ hidden: false, answered: false });
      expect(state.pinned).toBeNull();
      // The province host of 01 may moderate it.
      const ph01 = await member(0, id, { role: 'province_host', sub: 'ph01', province: '01' });
      const own = collect<{ id: string; answered: boolean }>(asker, 'qaOwn');
      const done = await call(ph01, 'qaModerate', { questionId: question.id, action: 'answer' });
      expect(done.question.answered).toBe(true);
      await until(() => own.some((q) => q.id === question.id && q.answered), { timeoutMs: 10_000, what: 'the author told' });
    });

    it('keeps hidden questions from viewers, pins for everyone, and returns markup as text', async () => {
      const id = newMeeting();
      const host = await member(0, id, { role: 'host', sub: 'host' });
      const a = await member(1, id, { role: 'teacher', sub: 'a', province: '01' });
      const b = await member(0, id, { role: 'teacher', sub: 'b', province: '79' });
      const publicA = collect<QaPublic>(a, 'qaPublic');
      const publicB = collect<QaPublic>(b, 'qaPublic');
      const markup = '<img src=x onerror="alert(1)"> & <b>đậm</b>';
      const { question: bad } = await call(a, 'qaAsk', { text: markup });
      expect(bad.text).toBe(markup);
      const { question: good } = await call(b, 'qaAsk', { text: 'Lịch nghỉ Tết?' });
      await call(host, 'qaModerate', { questionId: bad.id, action: 'hide' });
      const hiddenPin = await request(host, 'qaPin', { questionId: bad.id });
      expect(hiddenPin.ok ? null : hiddenPin.error.code).toBe('not_found');
      await call(host, 'qaPin', { questionId: good.id });
      const list = await call(b, 'qaList', { sort: 'new', offset: 0, limit: 20 });
      expect(list.rows.map((q) => q.id)).toEqual([good.id]);
      expect(list.total).toBe(1);
      const voteHidden = await request(b, 'qaVote', { questionId: bad.id });
      expect(voteHidden.ok ? null : voteHidden.error.code).toBe('not_found');
      for (const seen of [publicA, publicB]) {
        await until(() => seen.at(-1)?.pinned?.id === good.id, { timeoutMs: 10_000, what: 'the pinned question everywhere' });
        // Pushes made before the hide may show it (it was public then); none made after it, i.e.
        // none showing the pin that came later, may.
        const afterHide = seen.filter((p) => p.pinned?.id === good.id);
        expect(afterHide.length).toBeGreaterThan(0);
        expect(JSON.stringify(afterHide)).not.toContain('onerror');
      }
      // The author still sees their own question, hidden.
      const mine = await call(a, 'qaMine', {});
      expect(mine.rows).toEqual([expect.objectContaining({ id: bad.id, hidden: true, text: markup })]);
      // Hiding the pinned question unpins it.
      await call(host, 'qaModerate', { questionId: good.id, action: 'hide' });
      await until(() => publicA.at(-1)?.pinned === null && publicA.at(-1)?.visible === 0, { timeoutMs: 10_000, what: 'unpinned' });
    });

    it('bounds the summaries a host receives under a flood of votes, and counts every vote', async () => {
      const id = newMeeting();
      const host = await member(0, id, { role: 'host', sub: 'host' });
      const summaries = collect<QaHostSummary>(host, 'qaHost');
      const asker = await member(1, id, { role: 'teacher', sub: 'asker', province: '01' });
      const questions: { id: string }[] = [];
      for (let i = 0; i < 3; i++) questions.push((await call(asker, 'qaAsk', { text: `Q${i}` })).question);
      const voters: TestSocket[] = [];
      for (let i = 0; i < 40; i++) voters.push(await member(i % 2, id, { role: 'teacher', sub: `f${i}`, province: i % 3 ? '79' : '01' }));
      await call(host, 'qaWatch', { sort: 'top', province: null });
      const before = summaries.length;
      const started = Date.now();
      // 40 voters × 3 questions, all at once, from both nodes.
      await Promise.all(voters.flatMap((v) => questions.map((q) => call(v, 'qaVote', { questionId: q.id }))));
      await until(() => summaries.at(-1)?.head.every((q) => q.votes === 40) === true, { timeoutMs: 15_000, what: 'every vote summarised' });
      const elapsed = Date.now() - started;
      const received = summaries.length - before;
      expect(received).toBeGreaterThanOrEqual(1);
      // 120 votes: never one summary per vote, and no more than one per interval (+1 edge each side).
      expect(received).toBeLessThan(120 / 4);
      expect(received).toBeLessThanOrEqual(Math.ceil(elapsed / target().summaryMs) + 2);
    });

    it('runs a poll answered from both nodes, with one vote per teacher and results by province', async () => {
      const id = newMeeting();
      const host = await member(0, id, { role: 'host', sub: 'host' });
      const polls = collect<PollHostSummary>(host, 'pollHost');
      await call(host, 'qaWatch', { sort: 'top', province: null });
      const t = [
        await member(0, id, { role: 'teacher', sub: 'p1', province: '01' }),
        await member(1, id, { role: 'teacher', sub: 'p2', province: '01' }),
        await member(1, id, { role: 'teacher', sub: 'p3', province: '79' }),
      ];
      const teacherCreate = await request(t[0]!, 'pollCreate', { question: 'x', options: ['a', 'b'] });
      expect(teacherCreate.ok ? null : teacherCreate.error.code).toBe('forbidden');
      const { poll } = await call(host, 'pollCreate', { question: 'Học kỳ nào?', options: ['Một', 'Hai', 'Ba'], multiple: false });
      expect(poll.state).toBe('draft');
      const early = await request(t[0]!, 'pollVote', { pollId: poll.id, choices: [0] });
      expect(early.ok ? null : early.error.code).toBe('conflict');
      const open = await call(host, 'pollLaunch', { pollId: poll.id });
      expect(open.poll.state).toBe('open');
      const two = await request(t[0]!, 'pollVote', { pollId: poll.id, choices: [0, 1] });
      expect(two.ok ? null : two.error.code).toBe('bad_request');
      const outOfRange = await request(t[0]!, 'pollVote', { pollId: poll.id, choices: [3] });
      expect(outOfRange.ok ? null : outOfRange.error.code).toBe('bad_request');
      await call(t[0]!, 'pollVote', { pollId: poll.id, choices: [0] });
      await call(t[1]!, 'pollVote', { pollId: poll.id, choices: [1] });
      await call(t[2]!, 'pollVote', { pollId: poll.id, choices: [1] });
      const again = await call(t[2]!, 'pollVote', { pollId: poll.id, choices: [2] });
      expect(again).toEqual({ changed: false, choices: [1] });
      await until(() => polls.at(-1)?.results.find((r) => r.pollId === poll.id)?.voters === 3, { timeoutMs: 10_000, what: 'results at the host' });
      const results = polls.at(-1)!.results.find((r) => r.pollId === poll.id)!;
      expect(results.counts).toEqual([1, 2, 0]);
      expect(results.byProvince).toEqual({ '01': { voters: 2, counts: [1, 1, 0] }, '79': { voters: 1, counts: [0, 1, 0] } });
      // Results reach everyone once shown; a closed poll takes no more votes.
      const seen = collect<QaPublic>(t[2]!, 'qaPublic');
      await call(host, 'pollClose', { pollId: poll.id });
      await call(host, 'pollShow', { pollId: poll.id, shown: true });
      await until(() => seen.at(-1)?.results?.voters === 3, { timeoutMs: 10_000, what: 'results shown' });
      expect(seen.at(-1)!.results!.byProvince['79']).toEqual({ voters: 1, counts: [0, 1, 0] });
      const late = await member(0, id, { role: 'teacher', sub: 'p4', province: '48' });
      const closed = await request(late, 'pollVote', { pollId: poll.id, choices: [2] });
      expect(closed.ok ? null : closed.error.code).toBe('conflict');
      const current = await call(t[1]!, 'pollCurrent', {});
      expect(current.myChoices).toEqual([1]);
    });

    it('closes a poll at its deadline and sums reactions per interval, with can’t-hear by province', async () => {
      const id = newMeeting();
      const host = await member(0, id, { role: 'host', sub: 'host' });
      const strips = collect<ReactionStrip>(host, 'reactions');
      await call(host, 'qaWatch', { sort: 'top', province: null });
      const a = await member(0, id, { role: 'teacher', sub: 'r1', province: '01' });
      const b = await member(1, id, { role: 'teacher', sub: 'r2', province: '79' });
      await call(a, 'react', { kind: 'cant_hear' });
      await call(b, 'react', { kind: 'cant_hear' });
      await call(b, 'react', { kind: 'applause' });
      const hostReact = await request(host, 'react', { kind: 'agree' });
      expect(hostReact.ok ? null : hostReact.error.code).toBe('forbidden');
      const bad = await request(a, 'react', { kind: 'love' });
      expect(bad.ok ? null : bad.error.code).toBe('bad_request');
      // Every reaction above was written before its ack; a strip computed between two of them
      // (one node's cant_hear counted, b's applause not yet) is followed by one with all three.
      await until(() => strips.at(-1)?.totals.cant_hear === 2 && strips.at(-1)?.totals.applause === 1, { timeoutMs: 10_000, what: 'the strip with all three reactions' });
      expect(strips.at(-1)!.cantHearByProvince).toEqual({ '01': 1, '79': 1 });
      expect(strips.at(-1)!.totals.applause).toBe(1);
      const { poll } = await call(host, 'pollCreate', { question: 'Nhanh', options: ['Có', 'Không'], durationS: 10, launch: true });
      expect(poll.closesAt! - poll.openedAt!).toBe(10_000);
      await call(a, 'pollVote', { pollId: poll.id, choices: [0] });
      const polls = collect<PollHostSummary>(host, 'pollHost');
      await until(() => polls.some((s) => s.polls.find((p) => p.id === poll.id)?.state === 'closed'), { timeoutMs: 20_000, what: 'closed at the deadline' });
      const late = await request(b, 'pollVote', { pollId: poll.id, choices: [1] });
      expect(late.ok ? null : late.error.code).toBe('conflict');
    }, 30_000);
  });
}
