/**
 * The page's own bandwidth control for a link the SFU does not estimate (docs/large-audiences.md,
 * "The page chooses its own layer"). With HOINGHI_MASS_AUDIENCE_BWE=none the SFU runs no estimator
 * for a mass-audience viewer (it saves CPU), so it never lowers the layer of a teacher whose link is too
 * weak for it. The page does, from what its own receiver sees:
 *
 * - every WINDOW_MS it sums its inbound RTP (packets received and lost, audio and video) and reads
 *   the round-trip time of its ICE pair's STUN checks in that window (their total time over their
 *   count: one late reply alone does not make a window);
 * - a window is bad when its loss is at least BAD_LOSS, or its RTT is RTT_RISE_S above the lowest
 *   of the last RTT_MIN_WINDOW_MS (a queue building at the bottleneck before it drops; a windowed
 *   minimum, so a link whose base RTT grew, Wi-Fi to 3G, is not condemned for good);
 *   BAD_WINDOWS bad windows in a row, or one with SEVERE_LOSS, lower the ceiling one layer below
 *   what the page receives now;
 * - once the link has had no bad window for the probe delay and lost under QUIET_LOSS of its
 *   packets over that time, the ceiling goes one layer up again, on trial: a bad window within
 *   TRIAL_MS sends it back down and doubles the delay (up to MAX_PROBE_AFTER_MS), a trial that
 *   passes resets it. A raise that changes nothing the page receives (the ceiling already at what
 *   it wants) lifts the ceiling (null) at once, without a trial.
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
export const RTT_MIN_WINDOW_MS = 60_000;
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
  /** The selected ICE pair's STUN checks: total round-trip time (seconds) and replies so far. */
  rttTotalS?: number;
  rttResponses?: number;
}

export type Verdict = 'idle' | 'quiet' | 'fair' | 'bad' | 'severe';

export interface Window {
  verdict: Verdict | 'reset';
  /** Packets the window carried (received + lost) and lost. */
  total: number;
  lost: number;
}

/** The mean round-trip time of the STUN checks answered between two samples (undefined: none). */
export function windowRtt(prev: LinkSample, next: LinkSample): number | undefined {
  if (prev.rttTotalS === undefined || next.rttTotalS === undefined || prev.rttResponses === undefined || next.rttResponses === undefined) return undefined;
  const responses = next.rttResponses - prev.rttResponses;
  return responses > 0 ? (next.rttTotalS - prev.rttTotalS) / responses : undefined;
}

/** What one window of the link looked like, from two samples; `queued`: its RTT rose (a queue). */
export function judge(prev: LinkSample, next: LinkSample, queued: boolean): Window {
  const received = next.packetsReceived - prev.packetsReceived;
  if (received < 0) return { verdict: 'reset', total: 0, lost: 0 };
  const lost = Math.max(0, next.packetsLost - prev.packetsLost);
  const total = received + lost;
  if (total < MIN_PACKETS) return { verdict: queued ? 'bad' : 'idle', total, lost };
  const loss = lost / total;
  const verdict: Verdict = loss >= SEVERE_LOSS ? 'severe' : loss >= BAD_LOSS || queued ? 'bad' : loss < QUIET_LOSS ? 'quiet' : 'fair';
  return { verdict, total, lost };
}

export class LayerGovernor {
  /** The highest layer the page lets its videos have (null: no limit). */
  #ceiling: number | null = null;
  #last: LinkSample | null = null;
  /** Window RTTs of the last RTT_MIN_WINDOW_MS, for the windowed minimum. */
  #rtts: { at: number; rttS: number }[] = [];
  #badRun = 0;
  /** Since when no window was bad, and what the link carried and lost since then. */
  #quietSince: number | null = null;
  #quietTotal = 0;
  #quietLost = 0;
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
   * A new transport (a reconnect): new counters and perhaps a new path, so the baseline and the RTT
   * history start again. The ceiling and the probe delay are kept: it is most likely the same link.
   */
  rebase(): void {
    this.#last = null;
    this.#rtts = [];
    this.#badRun = 0;
    this.#quietSince = null;
  }

  /**
   * Feeds one sample. `wanted`: the highest layer any video of the page asks for now (the middle
   * one for a mass audience, the top one for a pinned video), or null when it receives no video.
   * Returns the new ceiling when it changed (null: lifted), else undefined.
   */
  observe(sample: LinkSample, wanted: number | null): number | null | undefined {
    const prev = this.#last;
    this.#last = sample;
    if (!prev) return undefined;
    const now = sample.at;
    const window = judge(prev, sample, this.#queued(prev, sample));
    if (window.verdict === 'reset') {
      this.rebase();
      this.#last = sample;
      return undefined;
    }
    if (window.verdict === 'idle' || wanted === null) {
      this.#badRun = 0;
      return undefined;
    }
    if (now - this.#changedAt < SETTLE_MS) return undefined;

    if (window.verdict === 'bad' || window.verdict === 'severe') {
      this.#quietSince = null;
      this.#badRun += 1;
      if (window.verdict !== 'severe' && this.#badRun < BAD_WINDOWS) return undefined;
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

    // Quiet or fair: no bad window.
    this.#badRun = 0;
    this.#floor = false;
    if (this.#trialFrom !== null && now - this.#trialFrom > TRIAL_MS + SETTLE_MS) {
      this.#trialFrom = null;
      this.#probeAfterMs = PROBE_AFTER_MS;
    }
    if (this.#quietSince === null) {
      this.#quietSince = now;
      this.#quietTotal = 0;
      this.#quietLost = 0;
    }
    this.#quietTotal += window.total;
    this.#quietLost += window.lost;
    if (this.#ceiling === null || now - this.#quietSince < this.#probeAfterMs) return undefined;
    if (this.#quietLost >= QUIET_LOSS * this.#quietTotal) return undefined;
    this.#quietSince = null;
    if (this.#ceiling >= wanted) {
      // Nothing the page receives changes: no trial, no settle.
      this.#ceiling = null;
      return null;
    }
    this.#trialFrom = now;
    const raised = this.#ceiling + 1;
    return this.#set(raised >= this.top ? null : raised, now);
  }

  /** Whether this window's RTT is RTT_RISE_S above the lowest of the last RTT_MIN_WINDOW_MS. */
  #queued(prev: LinkSample, next: LinkSample): boolean {
    const rtt = windowRtt(prev, next);
    if (rtt === undefined) return false;
    this.#rtts = this.#rtts.filter((r) => next.at - r.at <= RTT_MIN_WINDOW_MS);
    this.#rtts.push({ at: next.at, rttS: rtt });
    const min = Math.min(...this.#rtts.map((r) => r.rttS));
    return rtt - min >= RTT_RISE_S;
  }

  #set(ceiling: number | null, now: number): number | null {
    this.#ceiling = ceiling;
    this.#changedAt = now;
    return ceiling;
  }
}
