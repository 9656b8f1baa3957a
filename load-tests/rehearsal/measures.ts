/**
 * The rehearsal's measures, from what the pages and the teachers recorded: round trips by event
 * against the bound, recovery after a kill, join latencies, and the consumption check of each
 * sample (every teacher receiving what their session offers).
 */
import { GAP_MS, type WebRtcViewerTimeline } from '../bots/webrtcViewer';
import { percentile } from '../lib';
import { expectations, placement, type MeetingView } from './expectedMedia';
import type { AckRecord, BotSample } from './teacherBots';

export interface Spread {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function spread(values: number[]): Spread {
  const s = [...values].sort((a, b) => a - b);
  const r = (p: number) => (s.length ? Math.round(percentile(s, p)) : NaN);
  return { count: s.length, p50: r(50), p95: r(95), p99: r(99), max: s.length ? Math.round(s[s.length - 1]!) : NaN };
}

/** Acknowledgements by event: how many, how fast, how many over the bound, and the refusals by code. */
export function ackSummary(records: AckRecord[], boundMs: number) {
  const byEvent: Record<string, Spread & { overBound: number; outcomes: Record<string, number> }> = {};
  const events = [...new Set(records.map((r) => r.event))].sort();
  for (const event of events) {
    const rs = records.filter((r) => r.event === event);
    const outcomes: Record<string, number> = {};
    for (const r of rs) if (r.outcome !== 'ok') outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    byEvent[event] = { ...spread(rs.map((r) => r.ms)), overBound: rs.filter((r) => r.ms > boundMs || r.outcome === 'timeout' || r.outcome === 'no_answer').length, outcomes };
  }
  const over = records.filter((r) => r.ms > boundMs || r.outcome === 'timeout' || r.outcome === 'no_answer');
  return {
    boundMs,
    total: records.length,
    overBound: over.length,
    overBoundByEvent: Object.fromEntries(events.map((e) => [e, byEvent[e]!.overBound]).filter(([, n]) => (n as number) > 0)),
    /** The slowest ones, with who sent them and when. */
    slowest: [...records].sort((a, b) => b.ms - a.ms).slice(0, 15),
    byEvent,
  };
}

/**
 * Recovery after a kill at `killAt`: a teacher is affected if, within `windowMs`, its connection
 * dropped, the server asked it to rejoin, or its media went silent (more than GAP_MS); it has
 * recovered when media came back (the silence ended, and after a drop the next join flow received
 * its first packet). A silence still going on at `now`, or a drop with no media since, is not
 * recovered.
 */
export function recovery(timelines: Record<string, WebRtcViewerTimeline>, killAt: number, windowMs: number, now: number) {
  const times: number[] = [];
  const unrecovered: string[] = [];
  let affected = 0;
  for (const [userId, t] of Object.entries(timelines)) {
    const end = killAt + windowMs;
    const drops = t.drops.filter((d) => d.at >= killAt && d.at <= end);
    const gaps = t.gaps.filter((g) => g.to >= killAt && g.from <= end && g.from >= killAt - GAP_MS);
    const silent = t.lastRtpAt > 0 && t.lastRtpAt >= killAt - GAP_MS && now - t.lastRtpAt > GAP_MS;
    if (drops.length === 0 && gaps.length === 0 && !silent) continue;
    affected += 1;
    if (silent) {
      unrecovered.push(userId);
      continue;
    }
    let back = Math.max(0, ...gaps.map((g) => g.to));
    let lost = false;
    for (const d of drops) {
      const flow = t.flows.find((f) => f.startedAt >= d.at && f.firstRtpAt !== null);
      if (!flow) lost = true;
      else back = Math.max(back, flow.firstRtpAt!);
    }
    if (lost) unrecovered.push(userId);
    else times.push(back - killAt);
  }
  return { affected, recovered: times.length, unrecovered: unrecovered.length, unrecoveredTeachers: unrecovered.slice(0, 20), recoveryMs: spread(times) };
}

/** One consumption sample: each teacher's session per the server against the producers it hears from. */
export interface ConsumptionSample {
  /** Seconds since the start. */
  t: number;
  /** Near a kill (its recovery window): counted apart. */
  recovering: boolean;
  teachers: number;
  /** In the server's roster and joined on their side. */
  joined: number;
  /** Receiving RTP from every producer their session offers (offered since the previous sample). */
  consuming: number;
  /** `unoffered`: the missing producers of which the teacher holds no consumer at all (the others: a consumer, but no RTP). */
  notConsuming: { userId: string; session: string; missing: string[]; unoffered: string[]; rtcp?: unknown; server?: unknown }[];
  /** Receiving a producer their session does not offer (for two samples in a row). */
  extra: { userId: string; session: string; producers: string[] }[];
  /** Seen by the server in a session other than the one the teacher was last told of. */
  sessionMismatch: number;
  /**
   * Producers that (nearly) every teacher expecting them missed: the publisher stopped sending (a
   * starved browser, a lost origin), not the teachers' receiving. Their teachers are not counted
   * in `notConsuming` for them.
   */
  silentSources: { producer: string; peer: string; source: string; teachers: number; publisherSending?: boolean | null }[];
  /** Anyone in the roster (pages too) in a session other than where they belong (expectedMedia.ts `placement`). */
  misplaced: { userId: string; session: string; belongs: string }[];
  /** Teachers not joined: not in the server's roster, or their side not connected and joined. */
  notJoined: { userId: string; inRoster: boolean; connected: boolean }[];
}

/** RTP older than this counts as not received. */
export const STALE_MS = 3_000;

/**
 * Compares a sample of the teachers with the meeting as the server has it. A producer counts as
 * offered to a teacher only if it was offered at the previous sample too (in the same session):
 * moves and new producers get one sampling interval to arrive.
 */
export class ConsumptionCheck {
  #previous = new Map<string, { session: string; producers: Set<string> }>();

  check(t: number, recovering: boolean, view: MeetingView, bots: BotSample[], now: number): ConsumptionSample {
    const audioOnly = new Set(bots.filter((b) => b.audioOnly).map((b) => b.userId));
    const expected = expectations(view, (id) => audioOnly.has(id));
    const out: ConsumptionSample = { t, recovering, teachers: bots.length, joined: 0, consuming: 0, notConsuming: [], extra: [], sessionMismatch: 0, silentSources: [], notJoined: [], misplaced: [] };
    for (const p of view.participants) {
      const belongs = placement(view, p);
      if (p.sessionKey !== belongs) out.misplaced.push({ userId: p.userId, session: p.sessionKey, belongs });
    }
    const misses: { userId: string; session: string; missing: string[]; offered: Set<string>; rtcp: unknown }[] = [];
    const expecting = new Map<string, number>();
    const missed = new Map<string, number>();
    for (const b of bots) {
      const e = expected.get(b.userId);
      if (!e || !b.joined) {
        out.notJoined.push({ userId: b.userId, inRoster: e !== undefined, connected: b.connected });
        continue;
      }
      out.joined += 1;
      if (b.session !== e.session) out.sessionMismatch += 1;
      const before = this.#previous.get(b.userId);
      const settled = before && before.session === e.session ? [...e.producers].filter((p) => before.producers.has(p)) : [];
      // Ages against the newest packet of the teacher's own process (teacherBots.ts: `anchor`).
      const clock = Math.min(now, b.anchor || now);
      const missing = settled.filter((p) => !(clock - (b.receiving[p] ?? 0) <= STALE_MS));
      for (const p of settled) expecting.set(p, (expecting.get(p) ?? 0) + 1);
      for (const p of missing) missed.set(p, (missed.get(p) ?? 0) + 1);
      misses.push({ userId: b.userId, session: e.session, missing, offered: new Set(b.offered), rtcp: b.rtcp });
      const unwanted = Object.entries(b.receiving)
        .filter(([p, at]) => clock - at <= 1_000 && !e.producers.has(p) && before && !before.producers.has(p))
        .map(([p]) => p);
      if (unwanted.length > 0) out.extra.push({ userId: b.userId, session: e.session, producers: unwanted });
    }
    const silent = new Set([...missed].filter(([p, n]) => n >= 2 && n >= 0.9 * (expecting.get(p) ?? 0)).map(([p]) => p));
    for (const p of silent) {
      const producer = view.producers.find((x) => x.id === p);
      out.silentSources.push({ producer: p, peer: producer?.peerId ?? '?', source: producer?.source ?? '?', teachers: missed.get(p)! });
    }
    for (const m of misses) {
      const own = m.missing.filter((p) => !silent.has(p));
      if (own.length === 0) out.consuming += 1;
      else out.notConsuming.push({ userId: m.userId, session: m.session, missing: own, unoffered: own.filter((p) => !m.offered.has(p)), rtcp: m.rtcp });
    }
    this.#previous = expected;
    return out;
  }
}
