/**
 * The rejoin pacer spreads notices at the join rate, in order, once per participant. Its clock
 * is setTimeout, so the tests move fake time: the spread is counted in ticks, never measured.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RejoinPacer } from '../../signaling/meeting/rejoinPacer';

const pacers: RejoinPacer[] = [];
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  for (const p of pacers.splice(0)) p.close();
  vi.useRealTimers();
});

function pacer(rate: number): { pacer: RejoinPacer; sent: string[]; times: number[] } {
  const sent: string[] = [];
  const times: number[] = [];
  const p = new RejoinPacer(rate, (id) => {
    sent.push(id);
    times.push(Date.now());
  });
  pacers.push(p);
  return { pacer: p, sent, times };
}

const ids = (n: number, prefix = 's'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('RejoinPacer', () => {
  it('tells a lone participant at once', () => {
    const { pacer: p, sent } = pacer(200);
    p.add(['only'], 'media_server_restarted');
    expect(sent).toEqual(['only']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sends one tick of notices at once and holds back the rest', () => {
    // 200/s in 100 ms ticks: 20 a tick.
    const { pacer: p, sent } = pacer(200);
    p.add(ids(100), 'media_server_restarted');
    expect(sent).toHaveLength(20);
    expect(p.pending).toBe(80);
    vi.advanceTimersByTime(99);
    expect(sent).toHaveLength(20);
    vi.advanceTimersByTime(1);
    expect(sent).toHaveLength(40);
  });

  it('sends everyone, in the order they were affected, each once', () => {
    const { pacer: p, sent } = pacer(200);
    p.add(ids(60), 'media_server_restarted');
    // s30 and s50 are still waiting: they keep their places and are told once.
    p.add(['s30', 's50', ...ids(10, 't')], 'media_server_restarted');
    vi.runAllTimers();
    expect(p.pending).toBe(0);
    expect(sent).toEqual([...ids(60), ...ids(10, 't')]);
  });

  it('spreads N participants over N / rate seconds: twice as many take twice as long', () => {
    const spread = (n: number): number => {
      const { pacer: p, times } = pacer(400);
      p.add(ids(n), 'media_server_restarted');
      vi.runAllTimers();
      expect(p.pending).toBe(0);
      return times[times.length - 1]! - times[0]!;
    };
    // 400/s is 40 a tick: the first tick at once, then one tick every 100 ms.
    expect(spread(200)).toBe(400);
    expect(spread(400)).toBe(900);
  });

  it('keeps no more than one tick of allowance through a quiet spell', () => {
    const { pacer: p, sent } = pacer(200);
    p.add(ids(100), 'media_server_restarted');
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(100);
    // A new wave after the quiet spell starts again at one tick, not at a saved-up burst.
    p.add(ids(100, 'w'), 'media_server_restarted');
    expect(sent).toHaveLength(120);
  });

  it('a rate below one a tick still sends one at once and then one per 1/rate', () => {
    const { pacer: p, sent } = pacer(2); // 0.2 a tick: one every 500 ms
    p.add(ids(3), 'media_server_restarted');
    expect(sent).toEqual(['s0']);
    vi.advanceTimersByTime(499);
    expect(sent).toEqual(['s0']);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual(['s0', 's1']);
    vi.advanceTimersByTime(500);
    expect(sent).toEqual(['s0', 's1', 's2']);
  });

  it('close drops what is pending and sends nothing more', () => {
    const { pacer: p, sent } = pacer(200);
    p.add(ids(100), 'media_server_restarted');
    p.close();
    vi.runAllTimers();
    expect(sent).toHaveLength(20);
    expect(p.pending).toBe(0);
  });
});
