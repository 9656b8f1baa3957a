/**
 * The page's own bandwidth control for a link the SFU does not estimate (issue 10, README
 * "Mass-audience profile"). With HOINGHI_MASS_AUDIENCE_BWE=none the SFU runs no estimator for a
 * mass-audience viewer (×0.61 its CPU), so it never lowers the layer of a teacher whose link is too
 * weak for it. The page does, from what its own receiver sees:
 *
 * - every WINDOW_MS it sums its inbound RTP (packets received and lost, audio and video) and reads
 *   the round-trip time of its ICE pair;
 * - a window is bad when its loss is at least BAD_LOSS, or its RTT is RTT_RISE_S above the lowest
 *   seen (a queue building at the bottleneck before it drops); BAD_WINDOWS bad windows in a row,
 *   or one with SEVERE_LOSS, lower the ceiling one layer below what the page receives now;
 * - once the link has been quiet (loss under QUIET_LOSS, no RTT rise) for the probe delay, the
 *   ceiling goes one layer up again, on trial: a bad window within TRIAL_MS sends it back down and
 *   doubles the delay (up to MAX_PROBE_AFTER_MS), a trial that passes resets it. At the top the
 *   ceiling is lifted (null).
 * - after each change, SETTLE_MS of windows are not judged: the switch waits for a keyframe.
 *
 * A window with fewer than MIN_PACKETS packets says nothing (audio in a pause, no video); counters
 * that go down (a consumer closed, a new transport) start a new baseline.
 * Pure: the caller samples the stats and sends the ceiling (linkWatch.ts).
 */

export const WINDOW_MS = 2_000;
export const MIN_PACKETS = 20;
export const BAD_LOSS = 0.05;
export const SEVERE_LOSS = 0.2;
export const BAD_WINDOWS = 2;
export const QUIET_LOSS = 0.01;
export const RTT_RISE_S = 0.25;
export const SETTLE_MS = 5_000;
export const PROBE_AFTER_MS = 15_000;
export const MAX_PROBE_AFTER_MS = 120_000;
export const TRIAL_MS = 10_000;

/** Cumulative receive counters of one receive transport at one moment. */
export interface LinkSample {
  /** Milliseconds (any monotonic clock). */
  at: number;
  packetsReceived: number;
  packetsLost: number;
  /** Current round-trip time of the ICE pair, seconds (absent when not measured yet). */
  rttS?: number;
}

export type Verdict = 'idle' | 'quiet' | 'fair' | 'bad' | 'severe';

/** What one window of the link looked like, from two samples. */
export function judge(prev: LinkSample, next: LinkSample, minRttS: number): Verdict | 'reset' {
  const received = next.packetsReceived - prev.packetsReceived;
  const lost = next.packetsLost - prev.packetsLost;
  if (received < 0) return 'reset';
  const lostNow = Math.max(0, lost);
  const total = received + lostNow;
  const queued = next.rttS !== undefined && Number.isFinite(minRttS) && next.rttS - minRttS >= RTT_RISE_S;
  if (total < MIN_PACKETS) return queued ? 'bad' : 'idle';
  const loss = lostNow / total;
  if (loss >= SEVERE_LOSS) return 'severe';
  if (loss >= BAD_LOSS || queued) return 'bad';
  return loss < QUIET_LOSS ? 'quiet' : 'fair';
}

export class LayerGovernor {
  /** The highest layer the page lets its videos have (null: no limit). */
  #ceiling: number | null = null;
  #last: LinkSample | null = null;
  #minRttS = Infinity;
  #badRun = 0;
  #quietSince: number | null = null;
  #changedAt = -Infinity;
  /** When the ceiling was last raised, while that raise is on trial. */
  #trialFrom: number | null = null;
  #probeAfterMs = PROBE_AFTER_MS;
  #floor = false;

  /** @param top the highest spatial layer there is (2: 180p, 360p, 720p). */
  constructor(readonly top = 2) {}

  get ceiling(): number | null {
    return this.#ceiling;
  }

  /** The link stays bad with every video already on the lowest layer: only audio only would help. */
  get atFloor(): boolean {
    return this.#floor;
  }

  /** Current delay before the next raise (grows with failed trials). */
  get probeAfterMs(): number {
    return this.#probeAfterMs;
  }

  /**
   * Feeds one sample. `wanted`: the highest layer any video of the page asks for now (the middle
   * one for a mass audience, the top one for a pinned video), or null when it receives no video.
   * Returns the new ceiling when it changed (null: lifted), else undefined.
   */
  observe(sample: LinkSample, wanted: number | null): number | null | undefined {
    const prev = this.#last;
    this.#last = sample;
    if (sample.rttS !== undefined && sample.rttS > 0) this.#minRttS = Math.min(this.#minRttS, sample.rttS);
    if (!prev) return undefined;
    const verdict = judge(prev, sample, this.#minRttS);
    if (verdict === 'reset' || verdict === 'idle' || wanted === null) {
      this.#badRun = 0;
      return undefined;
    }
    const now = sample.at;
    if (now - this.#changedAt < SETTLE_MS) return undefined;

    if (verdict === 'bad' || verdict === 'severe') {
      this.#quietSince = null;
      this.#badRun += 1;
      if (verdict !== 'severe' && this.#badRun < BAD_WINDOWS) return undefined;
      this.#badRun = 0;
      const receiving = Math.min(this.#ceiling ?? this.top, wanted);
      if (receiving <= 0) {
        this.#floor = true;
        return undefined;
      }
      // A raise that failed its trial: wait longer before the next one.
      if (this.#trialFrom !== null && now - this.#trialFrom <= TRIAL_MS + SETTLE_MS) {
        this.#probeAfterMs = Math.min(MAX_PROBE_AFTER_MS, this.#probeAfterMs * 2);
      }
      this.#trialFrom = null;
      return this.#set(receiving - 1, now);
    }

    this.#badRun = 0;
    this.#floor = false;
    if (this.#trialFrom !== null && now - this.#trialFrom > TRIAL_MS + SETTLE_MS) {
      this.#trialFrom = null;
      this.#probeAfterMs = PROBE_AFTER_MS;
    }
    if (verdict !== 'quiet') {
      this.#quietSince = null;
      return undefined;
    }
    this.#quietSince ??= now;
    if (this.#ceiling === null || now - this.#quietSince < this.#probeAfterMs) return undefined;
    this.#trialFrom = now;
    this.#quietSince = now;
    const raised = this.#ceiling + 1;
    return this.#set(raised >= this.top ? null : raised, now);
  }

  #set(ceiling: number | null, now: number): number | null {
    this.#ceiling = ceiling;
    this.#changedAt = now;
    return ceiling;
  }
}
