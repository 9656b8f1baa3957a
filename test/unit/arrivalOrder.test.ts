/**
 * ArrivalOrder: the rank of a waiting ticket among the live ones, kept exact through removals
 * from anywhere and through the compaction of its arrival numbers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArrivalOrder } from '../../signaling/admission/ArrivalOrder';

describe('ArrivalOrder', () => {
  it('ranks tickets in arrival order from 0, and knows none it was not given', () => {
    const o = new ArrivalOrder();
    for (const id of ['a', 'b', 'c']) o.add(id);
    expect(['a', 'b', 'c'].map((id) => o.rank(id))).toEqual([0, 1, 2]);
    expect(o.rank('x')).toBeUndefined();
    expect(o.has('b')).toBe(true);
    expect(o.has('x')).toBe(false);
    expect(o.size).toBe(3);
  });

  it('keeps its place for a ticket added twice', () => {
    const o = new ArrivalOrder();
    o.add('a');
    o.add('b');
    o.add('a');
    expect(o.rank('a')).toBe(0);
    expect(o.rank('b')).toBe(1);
    expect(o.size).toBe(2);
  });

  it('moves everyone behind a removed ticket up by one, and no one ahead of it', () => {
    const o = new ArrivalOrder();
    for (const id of ['a', 'b', 'c', 'd']) o.add(id);
    expect(o.remove('b')).toBe(true);
    expect(o.remove('b')).toBe(false);
    expect(o.remove('never')).toBe(false);
    expect([o.rank('a'), o.rank('b'), o.rank('c'), o.rank('d')]).toEqual([0, undefined, 1, 2]);
  });

  it('puts a ticket that comes back after removal at the back', () => {
    const o = new ArrivalOrder();
    for (const id of ['a', 'b', 'c']) o.add(id);
    o.remove('a');
    o.add('a');
    expect([o.rank('b'), o.rank('c'), o.rank('a')]).toEqual([0, 1, 2]);
  });

  it('stays exact across many more arrivals than its tree holds (compaction), with a long-waiting head', () => {
    const o = new ArrivalOrder();
    o.add('head');
    // 10,000 tickets pass through while three wait: arrival numbers run past the tree many times.
    for (let i = 0; i < 10_000; i++) {
      o.add(`t${i}`);
      if (i === 500) o.add('middle');
      if (i > 0) o.remove(`t${i - 1}`);
    }
    o.add('tail');
    expect(o.rank('head')).toBe(0);
    expect(o.rank('middle')).toBe(1);
    expect(o.rank('t9999')).toBe(2);
    expect(o.rank('tail')).toBe(3);
    expect(o.size).toBe(4);
  });

  it('grows past its first capacity while everyone stays (1,500 live tickets)', () => {
    const o = new ArrivalOrder();
    for (let i = 0; i < 1_500; i++) o.add(`t${i}`);
    expect(o.rank('t0')).toBe(0);
    expect(o.rank('t1024')).toBe(1024);
    expect(o.rank('t1499')).toBe(1499);
    o.remove('t3');
    expect(o.rank('t1499')).toBe(1498);
  });

  it('agrees with a plain list over any sequence of arrivals and departures', () => {
    // Three arrivals to one departure, long enough that the arrival numbers pass the tree's first
    // capacity (1,024) in most runs, so compaction happens under the property too.
    const op = fc.tuple(fc.nat(3).map((k) => k > 0), fc.integer({ min: 0, max: 40 }));
    fc.assert(
      fc.property(fc.array(op, { minLength: 1_500, maxLength: 3_000 }), (ops) => {
        const o = new ArrivalOrder();
        const list: string[] = [];
        for (const [add, n] of ops) {
          const id = `u${n}`;
          if (add) {
            o.add(id);
            if (!list.includes(id)) list.push(id);
          } else {
            expect(o.remove(id)).toBe(list.includes(id));
            if (list.includes(id)) list.splice(list.indexOf(id), 1);
          }
        }
        expect(o.size).toBe(list.length);
        for (let n = 0; n <= 40; n++) {
          const id = `u${n}`;
          expect(o.rank(id)).toBe(list.includes(id) ? list.indexOf(id) : undefined);
        }
      }),
      { numRuns: 40 },
    );
  });
});
