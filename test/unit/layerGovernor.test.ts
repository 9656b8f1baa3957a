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
  SETTLE_MS,
  WINDOW_MS,
  judge,
  type LinkSample,
} from '../../web/src/client/layerGovernor';
import { linkSample } from '../../web/src/client/linkWatch';
import { MASS_AUDIENCE_SPATIAL_LAYER } from '../../web/src/client/sharpLayer';
import { MASS_AUDIENCE_SPATIAL_LAYER as SERVER_MASS_LAYER } from '../../signaling/meeting/massAudience';

/** A link driven window by window: each window carries `packets` packets with `loss` of them lost. */
class Link {
  at = 0;
  received = 0;
  lost = 0;
  readonly changes: { at: number; ceiling: number | null }[] = [];
  constructor(readonly governor = new LayerGovernor()) {
    governor.observe(this.#sample(), MASS_AUDIENCE_SPATIAL_LAYER);
  }
  #sample(rttS?: number): LinkSample {
    return { at: this.at, packetsReceived: this.received, packetsLost: this.lost, rttS };
  }
  /** Runs `windows` windows at this loss; returns the ceiling after them. */
  run(windows: number, loss: number, wanted: number | null = MASS_AUDIENCE_SPATIAL_LAYER, packets = 150, rttS?: number): number | null {
    for (let i = 0; i < windows; i++) {
      this.at += WINDOW_MS;
      const lost = Math.round(packets * loss);
      this.received += packets - lost;
      this.lost += lost;
      const change = this.governor.observe(this.#sample(rttS), wanted);
      if (change !== undefined) this.changes.push({ at: this.at, ceiling: change });
    }
    return this.governor.ceiling;
  }
}

const windowsOf = (ms: number) => Math.ceil(ms / WINDOW_MS);

describe('judging one window', () => {
  const base: LinkSample = { at: 0, packetsReceived: 1000, packetsLost: 10 };
  it('calls a window with loss at the threshold bad, a clean one quiet, and one with a fifth lost severe', () => {
    expect(judge(base, { at: 2000, packetsReceived: 1095, packetsLost: 15 }, Infinity)).toBe('bad');
    expect(judge(base, { at: 2000, packetsReceived: 1100, packetsLost: 10 }, Infinity)).toBe('quiet');
    expect(judge(base, { at: 2000, packetsReceived: 1080, packetsLost: 30 }, Infinity)).toBe('severe');
  });
  it('says nothing of a window with too few packets, and starts again when the counters go down', () => {
    expect(judge(base, { at: 2000, packetsReceived: 1005, packetsLost: 10 }, Infinity)).toBe('idle');
    expect(judge(base, { at: 2000, packetsReceived: 40, packetsLost: 0 }, Infinity)).toBe('reset');
  });
  it('calls a lossless window bad when the RTT rose well above the lowest seen (a queue building)', () => {
    expect(judge(base, { at: 2000, packetsReceived: 1100, packetsLost: 10, rttS: 0.4 }, 0.02)).toBe('bad');
    expect(judge(base, { at: 2000, packetsReceived: 1100, packetsLost: 10, rttS: 0.1 }, 0.02)).toBe('quiet');
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

  it('keeps the ceiling a layer (0–1) or none, never raises right after a bad window, whatever the link does', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 400 }), fc.constantFrom(1, 2, null)), { maxLength: 300 }), (windows) => {
        const link = new Link();
        for (const [loss, packets, wanted] of windows) {
          const before = link.governor.ceiling;
          const after = link.run(1, loss, wanted, packets);
          expect(after === null || after === 0 || after === 1).toBe(true);
          const raised = (before !== null && after === null) || (before !== null && after !== null && after > before);
          if (raised) expect(loss).toBeLessThan(0.01);
        }
      }),
    );
  });
});

describe('linkSample', () => {
  it('sums audio and video inbound RTP and reads the RTT of the transport\'s selected ICE pair', () => {
    const report = new Map<string, object>([
      ['a', { type: 'inbound-rtp', kind: 'audio', packetsReceived: 100, packetsLost: 2 }],
      ['v', { type: 'inbound-rtp', kind: 'video', packetsReceived: 300, packetsLost: 5 }],
      ['o', { type: 'outbound-rtp', packetsSent: 9 }],
      ['p1', { type: 'candidate-pair', nominated: true, state: 'succeeded', currentRoundTripTime: 9 }],
      ['p2', { type: 'candidate-pair', nominated: true, state: 'succeeded', currentRoundTripTime: 0.03 }],
      ['t', { type: 'transport', selectedCandidatePairId: 'p2' }],
    ]);
    expect(linkSample(report as unknown as RTCStatsReport, 42)).toEqual({ at: 42, packetsReceived: 400, packetsLost: 7, rttS: 0.03 });
    report.delete('t');
    expect(linkSample(report as unknown as RTCStatsReport, 42).rttS).toBeUndefined();
  });
});

it('the page and the server agree on the mass-audience default layer', () => {
  expect(MASS_AUDIENCE_SPATIAL_LAYER).toBe(SERVER_MASS_LAYER);
});
