/**
 * The hand queue of one session (raise order, counts per province, the change sequence) and the
 * throttle of the hosts' summaries. The queue takes time as an argument; the throttle takes it
 * from Date.now and setTimeout, so its tests run on fake time.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HandQueue, NO_PROVINCE, Throttle, type HandOwner } from '../../signaling/store/HandQueue';

const owner = (userId: string, province: string | null = '01'): HandOwner => ({ userId, name: `Name ${userId}`, province, school: null });
const ids = (q: HandQueue): string[] => q.page(0, q.size).map((e) => e.userId);

describe('HandQueue', () => {
  it('keeps hands in raise order, and a hand raised again after lowering goes to the back', () => {
    const q = new HandQueue();
    for (const id of ['a', 'b', 'c', 'd']) q.raise(owner(id));
    q.lower('b');
    q.raise(owner('b'));
    expect(ids(q)).toEqual(['a', 'c', 'd', 'b']);
  });

  it('changes nothing when a raised hand is raised again: same entry, same time, same seq', () => {
    const q = new HandQueue();
    const first = q.raise(owner('a'), 1_000);
    q.raise(owner('b'), 2_000);
    const seq = q.seq;
    const again = q.raise(owner('a', '79'), 3_000);
    expect(again).toEqual({ entry: first.entry, changed: false });
    expect(again.entry).toMatchObject({ raisedAt: 1_000, province: '01' });
    expect(q.seq).toBe(seq);
    expect(ids(q)).toEqual(['a', 'b']);
  });

  it('bumps seq on every change and only then; an entry carries the seq of its raise', () => {
    const q = new HandQueue();
    expect(q.seq).toBe(0);
    expect(q.raise(owner('a')).entry.seq).toBe(1);
    expect(q.raise(owner('b')).entry.seq).toBe(2);
    expect(q.lower('nobody')).toBe(false);
    expect(q.seq).toBe(2);
    expect(q.lower('a')).toBe(true);
    expect(q.seq).toBe(3);
    expect(q.lower('a')).toBe(false);
    expect(q.seq).toBe(3);
  });

  it('counts hands per province, puts those without one under "--", and drops a province at zero', () => {
    const q = new HandQueue();
    q.raise(owner('a', '01'));
    q.raise(owner('b', '01'));
    q.raise(owner('c', '79'));
    q.raise(owner('d', null));
    expect(q.summary(0).byProvince).toEqual({ '01': 2, '79': 1, [NO_PROVINCE]: 1 });
    q.lower('c');
    q.lower('d');
    expect(q.summary(0).byProvince).toEqual({ '01': 2 });
  });

  it('lowers every hand of one province (in raise order), or every hand, and tells which', () => {
    const q = new HandQueue();
    q.raise(owner('a', '01'));
    q.raise(owner('b', '79'));
    q.raise(owner('c', '01'));
    q.raise(owner('d', null));
    expect(q.lowerWhere('01')).toEqual(['a', 'c']);
    expect(ids(q)).toEqual(['b', 'd']);
    expect(q.lowerWhere('48')).toEqual([]);
    expect(q.lowerWhere(NO_PROVINCE)).toEqual(['d']);
    expect(q.lowerWhere()).toEqual(['b']);
    expect(q.size).toBe(0);
    expect(q.summary(5)).toMatchObject({ total: 0, byProvince: {}, head: [] });
  });

  it('pages from an offset, and returns nothing for a limit of zero or an offset past the end', () => {
    const q = new HandQueue();
    for (let i = 0; i < 10; i++) q.raise(owner(`u${i}`));
    expect(q.page(3, 4).map((e) => e.userId)).toEqual(['u3', 'u4', 'u5', 'u6']);
    expect(q.page(8, 10).map((e) => e.userId)).toEqual(['u8', 'u9']);
    expect(q.page(10, 5)).toEqual([]);
    expect(q.page(0, 0)).toEqual([]);
    expect(q.page(0, -1)).toEqual([]);
  });

  it('summarises total, counts and only the head of the queue, at the time given', () => {
    const q = new HandQueue();
    for (let i = 0; i < 100; i++) q.raise(owner(`u${i}`, i % 2 ? '79' : '01'), i);
    const s = q.summary(3, 12_345);
    expect(s).toMatchObject({ seq: 100, total: 100, byProvince: { '01': 50, '79': 50 }, serverNow: 12_345 });
    expect(s.head.map((e) => e.userId)).toEqual(['u0', 'u1', 'u2']);
  });

  it('agrees with a plain list model over any sequence of raises and lowers', () => {
    const users = ['a', 'b', 'c', 'd', 'e', 'f'];
    const provinces = ['01', '79', null] as const;
    const op = fc.oneof(
      fc.record({ kind: fc.constant('raise' as const), user: fc.constantFrom(...users), province: fc.constantFrom(...provinces) }),
      fc.record({ kind: fc.constant('lower' as const), user: fc.constantFrom(...users) }),
      fc.record({ kind: fc.constant('lowerWhere' as const), province: fc.option(fc.constantFrom('01', '79', NO_PROVINCE), { nil: undefined }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const q = new HandQueue();
        let model: { user: string; province: string }[] = [];
        let lastSeq = 0;
        for (const o of ops) {
          if (o.kind === 'raise') {
            const changed = q.raise(owner(o.user, o.province)).changed;
            expect(changed).toBe(!model.some((m) => m.user === o.user));
            if (changed) model.push({ user: o.user, province: o.province ?? NO_PROVINCE });
          } else if (o.kind === 'lower') {
            expect(q.lower(o.user)).toBe(model.some((m) => m.user === o.user));
            model = model.filter((m) => m.user !== o.user);
          } else {
            const hit = model.filter((m) => o.province === undefined || m.province === o.province);
            expect(q.lowerWhere(o.province)).toEqual(hit.map((m) => m.user));
            model = model.filter((m) => !hit.includes(m));
          }
          // seq never goes back, and a raise's entry has the newest seq.
          expect(q.seq).toBeGreaterThanOrEqual(lastSeq);
          lastSeq = q.seq;
        }
        expect(ids(q)).toEqual(model.map((m) => m.user));
        const counts: Record<string, number> = {};
        for (const m of model) counts[m.province] = (counts[m.province] ?? 0) + 1;
        expect(q.summary(0).byProvince).toEqual(counts);
        for (const m of model) expect(q.has(m.user)).toBe(true);
      }),
    );
  });
});

describe('Throttle (the hosts\' summaries)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('emits the first change after a quiet spell at once', () => {
    const emit = vi.fn();
    const t = new Throttle(500, emit);
    t.poke();
    expect(emit).toHaveBeenCalledTimes(1);
    t.close();
  });

  it('coalesces the changes of one interval into one emission at its end', () => {
    const emit = vi.fn();
    const t = new Throttle(500, emit);
    t.poke();
    vi.advanceTimersByTime(100);
    for (let i = 0; i < 50; i++) t.poke();
    expect(emit).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(399);
    expect(emit).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(emit).toHaveBeenCalledTimes(2);
    t.close();
  });

  it('emits at once a change that comes a whole interval after the last emission', () => {
    const emit = vi.fn();
    const t = new Throttle(500, emit);
    t.poke();
    vi.advanceTimersByTime(500);
    t.poke();
    expect(emit).toHaveBeenCalledTimes(2);
    t.close();
  });

  it('emits nothing without a change, however long it waits', () => {
    const emit = vi.fn();
    const t = new Throttle(500, emit);
    t.poke();
    vi.advanceTimersByTime(60_000);
    expect(emit).toHaveBeenCalledTimes(1);
    t.close();
  });

  it('never emits twice within one interval, under any pattern of changes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 40 }), (gaps) => {
        const at: number[] = [];
        const t = new Throttle(500, () => at.push(Date.now()));
        let lastPoke = 0;
        for (const gap of gaps) {
          vi.advanceTimersByTime(gap);
          t.poke();
          lastPoke = Date.now();
        }
        vi.advanceTimersByTime(500);
        t.close();
        for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(500);
        // Every change is reported: the last emission is no earlier than the last change.
        expect(at.at(-1)).toBeGreaterThanOrEqual(lastPoke);
      }),
    );
  });

  it('close cancels an emission that is waiting', () => {
    const emit = vi.fn();
    const t = new Throttle(500, emit);
    t.poke();
    t.poke();
    t.close();
    vi.advanceTimersByTime(1_000);
    expect(emit).toHaveBeenCalledTimes(1);
  });
});
