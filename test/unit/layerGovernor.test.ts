/**
 * The page's own layer control on a link the SFU does not estimate (issue 10,
 * web/src/client/layerGovernor.ts): when loss or a growing RTT lowers the ceiling, when a quiet
 * link raises it again, how failed raises back off, and what a stats report sums to.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BAD_LOSS,
  LayerGovernor,
  MAX_PROBE_AFTER_MS,
  PROBE_AFTER_MS,
  RTT_MIN_WINDOW_MS,
  SETTLE_MS,
  WINDOW_MS,
  judge,
  windowRtt,
  type LinkSample,
} from '../../web/src/client/layerGovernor';
import { linkSample } from '../../web/src/client/linkWatch';
import { MASS_AUDIENCE_SPATIAL_LAYER } from '../../web/src/client/sharpLayer';

/** A link driven window by window: each window carries `packets` packets with `loss` of them lost. */
class Link {
  at = 0;
  received = 0;
  lost = 0;
  rttTotal = 0;
  responses = 0;
  readonly changes: { at: number; ceiling: number | null }[] = [];
  constructor(readonly governor = new LayerGovernor()) {
    governor.observe(this.#sample(), MASS_AUDIENCE_SPATIAL_LAYER);
  }
  #sample(): LinkSample {
    return { at: this.at, packetsReceived: this.received, packetsLost: this.lost, rttTotalS: this.rttTotal, rttResponses: this.responses };
  }
  /** Runs `windows` windows at this loss (and one STUN reply of `rttS` each, if given); returns the ceiling after them. */
  run(windows: number, loss: number, wanted: number | null = MASS_AUDIENCE_SPATIAL_LAYER, packets = 150, rttS?: number): number | null {
    for (let i = 0; i < windows; i++) {
      this.at += WINDOW_MS;
      const lost = Math.round(packets * loss);
      this.received += packets - lost;
      this.lost += lost;
      if (rttS !== undefined) {
        this.rttTotal += rttS;
        this.responses += 1;
      }
      const change = this.governor.observe(this.#sample(), wanted);
      if (change !== undefined) this.changes.push({ at: this.at, ceiling: change });
    }
    return this.governor.ceiling;
  }
}

const windowsOf = (ms: number) => Math.ceil(ms / WINDOW_MS);

describe('judging one window', () => {
  const base: LinkSample = { at: 0, packetsReceived: 1000, packetsLost: 10 };
  const verdict = (next: LinkSample, queued = false) => judge(base, next, queued).verdict;
  it('calls a window with loss at the threshold bad, a clean one quiet, and one with a fifth lost severe', () => {
    expect(verdict({ at: 2000, packetsReceived: 1095, packetsLost: 15 })).toBe('bad');
    expect(verdict({ at: 2000, packetsReceived: 1100, packetsLost: 10 })).toBe('quiet');
    expect(verdict({ at: 2000, packetsReceived: 1080, packetsLost: 30 })).toBe('severe');
  });
  it('says nothing of a window with too few packets, and starts again when the counters go down', () => {
    expect(verdict({ at: 2000, packetsReceived: 1005, packetsLost: 10 })).toBe('idle');
    expect(verdict({ at: 2000, packetsReceived: 40, packetsLost: 0 })).toBe('reset');
  });
  it('calls a lossless window bad when its RTT rose (a queue building)', () => {
    expect(verdict({ at: 2000, packetsReceived: 1100, packetsLost: 10 }, true)).toBe('bad');
  });
  it('takes a window\'s RTT as the mean of the STUN replies in it, and none without a reply', () => {
    const a: LinkSample = { ...base, rttTotalS: 1, rttResponses: 10 };
    expect(windowRtt(a, { ...base, at: 2000, rttTotalS: 1.3, rttResponses: 12 })).toBeCloseTo(0.15);
    expect(windowRtt(a, { ...base, at: 2000, rttTotalS: 1, rttResponses: 10 })).toBeUndefined();
    expect(windowRtt(base, { ...base, at: 2000 })).toBeUndefined();
  });
});

describe('LayerGovernor', () => {
  it('keeps no ceiling on a clean link', () => {
    const link = new Link();
    expect(link.run(100, 0)).toBeNull();
    expect(link.changes).toEqual([]);
  });

  it('lowers the ceiling one layer below what the page receives after two bad windows, not after one', () => {
    const link = new Link();
    expect(link.run(1, BAD_LOSS)).toBeNull();
    expect(link.run(1, 0)).toBeNull();
    expect(link.run(2, BAD_LOSS)).toBe(0);
    // A pinned video (top layer wanted) on a bad link steps to the middle layer first.
    const pinned = new Link();
    expect(pinned.run(2, 0.1, 2)).toBe(1);
  });

  it('lowers at once on a severe window', () => {
    expect(new Link().run(1, 0.5)).toBe(0);
  });

  it('does not judge the windows right after a change (the switch waits for a keyframe)', () => {
    const link = new Link();
    link.run(1, 0.5, 2);
    expect(link.governor.ceiling).toBe(1);
    // Still lossy while the switch happens: no second step within the settle time.
    link.run(windowsOf(SETTLE_MS) - 1, 0.5, 2);
    expect(link.governor.ceiling).toBe(1);
    link.run(1, 0.5, 2);
    expect(link.governor.ceiling).toBe(0);
  });

  it('raises the ceiling again after the probe delay of quiet, and lifts it at the top', () => {
    const link = new Link();
    link.run(1, 0.5);
    expect(link.governor.ceiling).toBe(0);
    const lowered = link.at;
    link.run(windowsOf(SETTLE_MS + PROBE_AFTER_MS) + 1, 0);
    expect(link.governor.ceiling).toBe(1);
    expect(link.changes[1]!.at - lowered).toBeGreaterThanOrEqual(PROBE_AFTER_MS);
    link.run(windowsOf(SETTLE_MS + PROBE_AFTER_MS) + 1, 0);
    expect(link.governor.ceiling).toBeNull();
  });

  it('doubles the probe delay after a raise that fails its trial, up to the maximum, and resets it after one that passes', () => {
    const link = new Link();
    link.run(1, 0.5);
    let delay = PROBE_AFTER_MS;
    for (let i = 0; i < 6; i++) {
      link.run(windowsOf(SETTLE_MS + delay) + 1, 0);
      expect(link.governor.ceiling).toBe(1);
      link.run(windowsOf(SETTLE_MS), 0.5);
      link.run(1, 0.5);
      expect(link.governor.ceiling).toBe(0);
      delay = Math.min(MAX_PROBE_AFTER_MS, delay * 2);
      expect(link.governor.probeAfterMs).toBe(delay);
    }
    // The link recovers: the next raise holds, and the delay is back to its start.
    link.run(windowsOf(SETTLE_MS + delay) + 1, 0);
    expect(link.governor.ceiling).toBe(1);
    link.run(windowsOf(SETTLE_MS * 2 + 10_000) + 1, 0);
    expect(link.governor.probeAfterMs).toBe(PROBE_AFTER_MS);
  });

  it('says the link is at its floor when it stays bad on the lowest layer, and no longer once it is quiet', () => {
    const link = new Link();
    link.run(1, 0.5);
    link.run(windowsOf(SETTLE_MS) + 2, 0.5);
    expect(link.governor.ceiling).toBe(0);
    expect(link.governor.atFloor).toBe(true);
    link.run(1, 0);
    expect(link.governor.atFloor).toBe(false);
  });

  it('does nothing while the page receives no video, or in windows with too few packets', () => {
    const link = new Link();
    expect(link.run(10, 0.5, null)).toBeNull();
    expect(link.run(10, 0.5, MASS_AUDIENCE_SPATIAL_LAYER, 10)).toBeNull();
  });

  it('lowers on an RTT that keeps rising without loss', () => {
    const link = new Link();
    link.run(3, 0, MASS_AUDIENCE_SPATIAL_LAYER, 150, 0.01);
    expect(link.run(2, 0, MASS_AUDIENCE_SPATIAL_LAYER, 150, 0.5)).toBe(0);
  });

  it('does not lower on one late STUN reply', () => {
    const link = new Link();
    link.run(3, 0, MASS_AUDIENCE_SPATIAL_LAYER, 150, 0.01);
    link.run(1, 0, MASS_AUDIENCE_SPATIAL_LAYER, 150, 0.6);
    expect(link.run(5, 0, MASS_AUDIENCE_SPATIAL_LAYER, 150, 0.01)).toBeNull();
    expect(link.changes).toEqual([]);
  });

  it('does not condemn a link whose base RTT grew (Wi-Fi to 3G): the lowest RTT is a windowed one', () => {
    const link = new Link();
    link.run(3, 0, MASS_AUDIENCE_SPATIAL_LAYER, 150, 0.02);
    link.run(2, 0, MASS_AUDIENCE_SPATIAL_LAYER, 150, 0.4);
    expect(link.governor.ceiling).toBe(0);
    // The same 0.4 s from now on: once the old minimum has aged out, the windows are quiet again.
    link.run(windowsOf(RTT_MIN_WINDOW_MS + SETTLE_MS + 2 * PROBE_AFTER_MS) + 4, 0, MASS_AUDIENCE_SPATIAL_LAYER, 150, 0.4);
    expect(link.governor.ceiling).toBeNull();
  });

  it('raises from the lowest layer on a link with rare repaired losses (fair windows, under 1% overall)', () => {
    const link = new Link();
    link.run(1, 0.5);
    expect(link.governor.ceiling).toBe(0);
    // 70 packets a window, one lost every third window: 1.4% in those windows, 0.5% overall.
    for (let i = 0; i < windowsOf(SETTLE_MS + PROBE_AFTER_MS) + 3; i++) link.run(1, i % 3 === 0 ? 1 / 70 : 0, MASS_AUDIENCE_SPATIAL_LAYER, 70);
    expect(link.governor.ceiling).toBe(1);
  });

  it('lifts a ceiling that is already at what the page wants at once, without a trial or a settle', () => {
    const link = new Link();
    link.run(1, 0.5);
    link.run(windowsOf(SETTLE_MS + PROBE_AFTER_MS) + 1, 0);
    expect(link.governor.ceiling).toBe(1);
    const raisedAt = link.changes.at(-1)!.at;
    link.run(windowsOf(SETTLE_MS + PROBE_AFTER_MS) + 1, 0);
    expect(link.governor.ceiling).toBeNull();
    // A bad spell right after the lift is a new lowering, not a failed trial: the delay stays.
    link.run(2, 0.1);
    expect(link.governor.ceiling).toBe(0);
    expect(link.governor.probeAfterMs).toBe(PROBE_AFTER_MS);
    expect(link.changes.at(-2)!.at - raisedAt).toBeGreaterThanOrEqual(PROBE_AFTER_MS);
  });

  it('starts a new baseline on a new transport but keeps what it learnt of the link', () => {
    const link = new Link();
    link.run(1, 0.5);
    link.governor.rebase();
    // Counters from zero again (a new transport): no window is judged across the two.
    link.received = 0;
    link.lost = 0;
    link.run(1, 0);
    expect(link.governor.ceiling).toBe(0);
  });

  it('keeps the ceiling a layer (0–1) or none, and never raises it on a lossy window, whatever the link does', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.double({ min: 0, max: 1, noNaN: true }),
            fc.integer({ min: 0, max: 400 }),
            fc.constantFrom(1, 2, null),
            fc.option(fc.double({ min: 0.001, max: 2, noNaN: true }), { nil: undefined }),
          ),
          { maxLength: 300 },
        ),
        (windows) => {
          const link = new Link();
          for (const [loss, packets, wanted, rtt] of windows) {
            const before = link.governor.ceiling;
            const after = link.run(1, loss, wanted, packets, rtt);
            expect(after === null || after === 0 || after === 1).toBe(true);
            const raised = before !== null && (after === null || after > before);
            if (raised && packets >= 20) expect(Math.round(packets * loss) / packets).toBeLessThan(BAD_LOSS);
          }
        },
      ),
    );
  });
});

describe('linkSample', () => {
  it('sums audio and video inbound RTP and reads the STUN round trips of the transport\'s selected ICE pair', () => {
    const report = new Map<string, object>([
      ['a', { type: 'inbound-rtp', kind: 'audio', packetsReceived: 100, packetsLost: 2 }],
      ['v', { type: 'inbound-rtp', kind: 'video', packetsReceived: 300, packetsLost: 5 }],
      ['o', { type: 'outbound-rtp', packetsSent: 9 }],
      ['p1', { type: 'candidate-pair', nominated: true, state: 'succeeded', totalRoundTripTime: 9, responsesReceived: 3 }],
      ['p2', { type: 'candidate-pair', nominated: true, state: 'succeeded', totalRoundTripTime: 0.3, responsesReceived: 10 }],
      ['t', { type: 'transport', selectedCandidatePairId: 'p2' }],
    ]);
    expect(linkSample(report as unknown as RTCStatsReport, 42)).toEqual({ at: 42, packetsReceived: 400, packetsLost: 7, rttTotalS: 0.3, rttResponses: 10 });
    report.delete('t');
    expect(linkSample(report as unknown as RTCStatsReport, 42).rttResponses).toBeUndefined();
  });
});
