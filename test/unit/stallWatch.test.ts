/**
 * The HLS player's stall watch (web/src/components/stallWatch.ts): a clock that stands still while
 * the video should play is a stall after STALL_AFTER_MS, with recovery steps further and further
 * apart; a paused video or an advancing clock is not; the steps start over once it plays again.
 */
import { describe, expect, it } from 'vitest';
import { RECOVERY_BACKOFF_MS, STALL_AFTER_MS, StallWatch } from '../../web/src/components/stallWatch';

/** Samples once a second from `from` to `to` ms with the clock at `time(ms)`; the verdicts. */
function run(watch: StallWatch, from: number, to: number, time: (ms: number) => number, shouldPlay = true) {
  const out: { at: number; stalled: boolean; recover: number | null }[] = [];
  for (let at = from; at <= to; at += 1_000) out.push({ at, ...watch.sample(at, time(at), shouldPlay) });
  return out;
}

describe('StallWatch', () => {
  it('sees no stall while the clock advances', () => {
    const w = new StallWatch();
    expect(run(w, 0, 60_000, (ms) => ms / 1000).every((v) => !v.stalled && v.recover === null)).toBe(true);
  });

  it('sees no stall while the viewer has paused', () => {
    const w = new StallWatch();
    run(w, 0, 5_000, (ms) => ms / 1000);
    expect(run(w, 6_000, 60_000, () => 5, false).every((v) => !v.stalled && v.recover === null)).toBe(true);
  });

  it('calls a frozen clock a stall after STALL_AFTER_MS and asks for recovery steps with back-off', () => {
    const w = new StallWatch();
    run(w, 0, 3_000, (ms) => ms / 1000);
    const frozen = run(w, 4_000, 60_000, () => 3);
    const first = frozen.find((v) => v.stalled)!;
    expect(first.at - 3_000).toBe(STALL_AFTER_MS);
    const steps = frozen.filter((v) => v.recover !== null);
    expect(steps.map((s) => s.recover)).toEqual([0, 1, 2, 3, 4]);
    const gaps = steps.slice(1).map((s, i) => s.at - steps[i]!.at);
    expect(gaps).toEqual([...RECOVERY_BACKOFF_MS.slice(1), RECOVERY_BACKOFF_MS.at(-1)]);
    expect(frozen.filter((v) => v.at >= first.at).every((v) => v.stalled)).toBe(true);
  });

  it('ends the stall when the clock advances, and starts the steps over once it kept playing', () => {
    const w = new StallWatch();
    run(w, 0, 2_000, (ms) => ms / 1000);
    const frozen = run(w, 3_000, 20_000, () => 2);
    expect(frozen.filter((v) => v.recover !== null).length).toBeGreaterThan(1);
    const resumed = run(w, 21_000, 40_000, (ms) => 2 + (ms - 20_000) / 1000);
    expect(resumed.every((v) => !v.stalled)).toBe(true);
    const again = run(w, 41_000, 50_000, () => 30);
    expect(again.find((v) => v.recover !== null)?.recover).toBe(0);
  });

  it('does not count a jump the player made itself as progress', () => {
    const w = new StallWatch();
    run(w, 0, 2_000, (ms) => ms / 1000);
    const frozen = run(w, 3_000, 6_000, () => 2);
    expect(frozen.at(-1)).toEqual({ at: 6_000, stalled: true, recover: 0 });
    w.rebase(12);
    const after = run(w, 7_000, 10_000, () => 12);
    expect(after.every((v) => v.stalled)).toBe(true);
    expect(after.find((v) => v.recover !== null)?.recover).toBe(1);
  });
});
