/**
 * The token bucket behind the per-socket, per-user and per-IP limits, and the jitter of its
 * retry-after. The bucket takes the time as an argument (Date.now by default): most tests pass
 * it, one checks the default clock on fake time.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TokenBucket, withJitter } from '../../signaling/rateLimit';

afterEach(() => {
  vi.useRealTimers();
});

describe('TokenBucket', () => {
  it('allows a full burst at once, then refuses with the wait until the next token', () => {
    const b = new TokenBucket(10, 5, 0); // 10/s: a token every 100 ms
    for (let i = 0; i < 5; i++) expect(b.take(0)).toBe(0);
    expect(b.take(0)).toBe(100);
    expect(b.take(40)).toBe(60);
  });

  it('refills at its rate: a refused caller that waits what it was told is served', () => {
    const b = new TokenBucket(4, 1, 0); // a token every 250 ms
    expect(b.take(0)).toBe(0);
    const wait = b.take(10);
    expect(wait).toBe(240);
    expect(b.take(10 + wait - 1)).toBeGreaterThan(0);
    expect(b.take(10 + wait)).toBe(0);
  });

  it('saves no more than its burst through a quiet spell', () => {
    const b = new TokenBucket(10, 3, 0);
    for (let i = 0; i < 3; i++) b.take(0);
    // An hour later: three tokens, not 36,000.
    const later = 3_600_000;
    for (let i = 0; i < 3; i++) expect(b.take(later)).toBe(0);
    expect(b.take(later)).toBeGreaterThan(0);
  });

  it('a refused take costs nothing: waiting callers do not push each other back', () => {
    const b = new TokenBucket(10, 1, 0);
    b.take(0);
    for (let i = 0; i < 100; i++) b.take(50);
    expect(b.take(100)).toBe(0);
  });

  it('reads Date.now when no time is given', () => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
    const b = new TokenBucket(10, 1);
    expect(b.take()).toBe(0);
    expect(b.take()).toBe(100);
    vi.setSystemTime(1_000_100);
    expect(b.take()).toBe(0);
  });

  it('never serves more than burst + rate × elapsed, whatever the pattern of calls', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 300 }),
        (rate, burst, gaps) => {
          const b = new TokenBucket(rate, burst, 0);
          let now = 0;
          let served = 0;
          for (const gap of gaps) {
            now += gap;
            const wait = b.take(now);
            expect(wait).toBeGreaterThanOrEqual(0);
            if (wait === 0) served += 1;
            else expect(wait).toBeLessThanOrEqual(Math.ceil(1000 / rate));
            expect(served).toBeLessThanOrEqual(burst + (rate * now) / 1000 + 1e-9);
          }
        },
      ),
    );
  });
});

describe('withJitter', () => {
  it('spreads a retry from half to one and a half times the base', () => {
    expect(withJitter(1_000, () => 0)).toBe(500);
    expect(withJitter(1_000, () => 0.5)).toBe(1_000);
    expect(withJitter(1_000, () => 0.999999)).toBe(1_500);
  });

  it('never asks for less than 50 ms', () => {
    expect(withJitter(0, () => 0)).toBe(50);
    expect(withJitter(60, () => 0)).toBe(50);
  });

  it('stays within its bounds for any base and any random draw', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 600_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (base, r) => {
        const ms = withJitter(base, () => r);
        expect(Number.isInteger(ms)).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(Math.max(50, Math.floor(base * 0.5)));
        expect(ms).toBeLessThanOrEqual(Math.max(50, Math.ceil(base * 1.5)));
      }),
    );
  });
});
