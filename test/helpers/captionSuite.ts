/**
 * Live captions over real sockets, run on one node with the memory store (captions.test.ts) and
 * on two signaling nodes over Redis (captionsCluster.test.ts): `connect` says which node a
 * participant comes through. The captioner is on node 0, the viewers on both.
 */
import { describe, expect, it } from 'vitest';
import type { CaptionCue } from '../../signaling/protocol/captions';
import { call, request, type TestSocket } from '../../harness/server';
import { until } from '../../harness/wait';
import { collect } from './flows';
import type { Claims } from './qaSuite';

export interface CaptionTarget {
  connect(node: number, claims: Claims & { meetings: string[] }): Promise<TestSocket>;
  open: TestSocket[];
}

let meetings = 0;

export function captionSuite(name: string, target: () => CaptionTarget): void {
  const newMeeting = (): string => `cap-${name.replace(/\W+/g, '')}-${++meetings}-${Date.now() % 100_000}`;
  async function member(node: number, meetingId: string, claims: Claims): Promise<TestSocket> {
    const t = target();
    const socket = await t.connect(node, { ...claims, meetings: [meetingId] });
    t.open.push(socket);
    await call(socket, 'join', { meetingId });
    return socket;
  }
  const flat = (batches: CaptionCue[][]): CaptionCue[] => batches.flat();

  describe(`live captions (${name})`, () => {
    it('delivers the line as typed, then the final line, then its correction, in order, to viewers on every node', async () => {
      const m = newMeeting();
      const captioner = await member(0, m, { role: 'host', sub: 'cap-host', name: 'Phụ đề viên' });
      const near = collect<CaptionCue[]>(await member(0, m, { role: 'teacher', sub: 't-near', province: '01' }), 'captions');
      const far = collect<CaptionCue[]>(await member(1, m, { role: 'teacher', sub: 't-far', province: '79' }), 'captions');
      await call(captioner, 'captionInterim', { id: 'l1', text: 'Kính chào' });
      await call(captioner, 'captionInterim', { id: 'l1', text: 'Kính chào các thầy' });
      const { cue } = await call(captioner, 'captionFinal', { id: 'l1', text: 'Kính chào các thầy cô', typingMs: 3_000 });
      expect(cue).toMatchObject({ id: 'l1', final: true, revision: 0, author: { userId: 'cap-host', name: 'Phụ đề viên', kind: 'human' } });
      expect(cue.endMs! - cue.startMs).toBe(3_000);
      const fixed = await call(captioner, 'captionFinal', { id: 'l1', text: 'Kính chào quý thầy cô', revision: 1 });
      expect(fixed.cue).toMatchObject({ id: 'l1', revision: 1, text: 'Kính chào quý thầy cô', startMs: cue.startMs });
      for (const seen of [near, far]) {
        await until(() => flat(seen).some((c) => c.revision === 1), { what: 'the correction delivered' });
        const cues = flat(seen);
        const finals = cues.filter((c) => c.final);
        expect(finals.map((c) => [c.text, c.revision])).toEqual([
          ['Kính chào các thầy cô', 0],
          ['Kính chào quý thầy cô', 1],
        ]);
        // Whatever interim was delivered came before the final line, never after it.
        const firstFinal = cues.findIndex((c) => c.final);
        expect(cues.slice(firstFinal).every((c) => c.final)).toBe(true);
      }
      // A late joiner gets the corrected line.
      const late = await member(1, m, { role: 'teacher', sub: 't-late', province: '48' });
      const { lines } = await call(late, 'captionsRecent', {});
      expect(lines.map((c) => c.text)).toEqual(['Kính chào quý thầy cô']);
    });

    it('refuses captions from a teacher with forbidden, and delivers nothing of them', async () => {
      const m = newMeeting();
      const captioner = await member(0, m, { role: 'host', sub: 'cap-host-2' });
      const teacher = await member(1, m, { role: 'teacher', sub: 't-intruder', province: '01' });
      const seen = collect<CaptionCue[]>(await member(0, m, { role: 'teacher', sub: 't-viewer', province: '01' }), 'captions');
      for (const [event, payload] of [
        ['captionInterim', { id: 'x1', text: 'Giả mạo' }],
        ['captionFinal', { id: 'x1', text: 'Giả mạo' }],
      ] as const) {
        const res = await request(teacher, event, payload);
        expect(res.ok ? null : res.error.code).toBe('forbidden');
      }
      const province = await member(1, m, { role: 'province_host', sub: 'ph-01', province: '01' });
      const ph = await request(province, 'captionFinal', { id: 'x2', text: 'Tỉnh' });
      expect(ph.ok ? null : ph.error.code).toBe('forbidden');
      // A line from the captioner after them arrives alone.
      await call(captioner, 'captionFinal', { id: 'ok1', text: 'Đúng' });
      await until(() => flat(seen).some((c) => c.id === 'ok1'), { what: 'the captioner\'s line' });
      expect(flat(seen).map((c) => c.text)).toEqual(['Đúng']);
      expect((await call(teacher, 'captionsRecent', {})).lines.map((c) => c.id)).toEqual(['ok1']);
    });

    it('lets a teacher named captioner by a host write captions, on any node, until the role is taken away', async () => {
      const m = newMeeting();
      const host = await member(0, m, { role: 'host', sub: 'cap-host-crew' });
      const captioner = await member(1, m, { role: 'teacher', sub: 't-captioner', name: 'Phụ đề viên', province: '01' });
      const seen = collect<CaptionCue[]>(await member(0, m, { role: 'teacher', sub: 't-crew-viewer', province: '79' }), 'captions');
      const before = await request(captioner, 'captionFinal', { id: 'c0', text: 'Chưa được' });
      expect(before.ok ? null : before.error.code).toBe('forbidden');
      await call(host, 'setCrew', { userId: 't-captioner', role: 'captioner' });
      // The crew is the meeting's: the captioner's node learns it from the store's events.
      await until(async () => (await request(captioner, 'captionFinal', { id: 'c1', text: 'Xin chào' })).ok, { what: 'the captioner allowed' });
      await until(() => flat(seen).some((c) => c.id === 'c1'), { what: 'the captioner\'s line delivered' });
      expect(flat(seen).find((c) => c.id === 'c1')?.author).toEqual({ userId: 't-captioner', name: 'Phụ đề viên', kind: 'human' });
      await call(host, 'setCrew', { userId: 't-captioner', role: null });
      await until(async () => {
        const res = await request(captioner, 'captionInterim', { id: 'probe', text: '' });
        return !res.ok && res.error.code === 'forbidden';
      }, { what: 'the captioner refused again' });
      const after = await request(captioner, 'captionFinal', { id: 'c-last', text: 'Không còn quyền' });
      expect(after.ok ? null : after.error.code).toBe('forbidden');
      await call(host, 'captionFinal', { id: 'h-end', text: 'Hết' });
      await until(() => flat(seen).some((c) => c.id === 'h-end'), { what: 'the host\'s line' });
      expect(flat(seen).filter((c) => c.final).map((c) => c.id)).toEqual(['c1', 'h-end']);
    });

    it('refuses a flood of updates with rate_limited, and throttles interim lines into fewer deliveries', async () => {
      const m = newMeeting();
      const captioner = await member(0, m, { role: 'host', sub: 'cap-host-3' });
      const seen = collect<CaptionCue[]>(await member(1, m, { role: 'teacher', sub: 't-3', province: '01' }), 'captions');
      const sent: string[] = [];
      const codes: string[] = [];
      for (let i = 1; i <= 40; i++) {
        const text = 'Chữ '.repeat(i).trim();
        const res = await request(captioner, 'captionInterim', { id: 'fast', text });
        if (res.ok) sent.push(text);
        else codes.push(res.error.code);
      }
      expect(codes.length).toBeGreaterThan(0);
      expect(new Set(codes)).toEqual(new Set(['rate_limited']));
      // The last accepted interim arrives, in fewer messages than were sent.
      await until(() => flat(seen).some((c) => c.text === sent.at(-1)), { what: 'the last interim line' });
      expect(seen.length).toBeLessThan(sent.length);
      // Final lines too have their limit.
      const finals: string[] = [];
      for (let i = 0; i < 30; i++) {
        const res = await request(captioner, 'captionFinal', { id: `f${i}`, text: `Dòng ${i}` });
        if (!res.ok) finals.push(res.error.code);
      }
      expect(finals).toContain('rate_limited');
    });

    it('refuses a stale correction with conflict and a correction of an unknown line with not_found', async () => {
      const m = newMeeting();
      const captioner = await member(0, m, { role: 'host', sub: 'cap-host-4' });
      const other = await member(1, m, { role: 'host', sub: 'cap-host-5' });
      await call(captioner, 'captionFinal', { id: 'c1', text: 'Một' });
      await call(other, 'captionFinal', { id: 'c1', text: 'Hai', revision: 1 });
      const stale = await request(captioner, 'captionFinal', { id: 'c1', text: 'Ba', revision: 1 });
      expect(stale.ok ? null : stale.error.code).toBe('conflict');
      const missing = await request(captioner, 'captionFinal', { id: 'nope', text: 'Ba', revision: 1 });
      expect(missing.ok ? null : missing.error.code).toBe('not_found');
      expect((await call(captioner, 'captionsRecent', {})).lines.map((c) => c.text)).toEqual(['Hai']);
    });
  });
}
