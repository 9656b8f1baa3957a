/**
 * What hosts see of a large audience, built by each signaling node for the hosts connected
 * through it: hand-queue summaries, attendance numbers and breakout status. Never one event per
 * raise or per join: a node polls the session's hand sequence number (one small read) and sends a
 * summary only when it moved, at most once per interval; numbers go out only when they changed.
 * No node needs to hear every raise, however many nodes and raisers there are.
 */
import type { Logger } from '../../common/log';
import type { BreakoutStatus, MeetingStats } from '../protocol/events';
import type { Breakouts, MeetingState } from '../store/types';
import { isMassAudience } from './massAudience';
import type { MeetingOptions } from './meetingOptions';
import { MAIN, type MeetingSession } from './MeetingSession';
import type { MeetingNotifier } from './Notifier';
import type { Peer } from './Peer';

/** How often hand sequence numbers are looked at, at most. */
const HAND_POLL_MS = 100;

/** Participants by role and by province, cluster-wide. */
export async function meetingStats(state: Pick<MeetingState, 'counts'>, massAudienceViewers: number): Promise<MeetingStats> {
  const c = await state.counts();
  // Sorted, so that an unchanged count reads the same and is not pushed again.
  const byProvince = Object.fromEntries(Object.entries(c.provinces).sort(([a], [b]) => a.localeCompare(b)));
  return { viewers: c.viewers, hosts: c.hosts, byProvince, massAudience: isMassAudience(c.viewers, massAudienceViewers) };
}

/** Each breakout's host presence, teachers and hands, cluster-wide. */
export async function breakoutStatus(state: Pick<MeetingState, 'counts'>): Promise<BreakoutStatus[]> {
  const c = await state.counts();
  return Object.entries(c.sessions)
    .filter(([key, s]) => key !== MAIN && (s.teachers > 0 || s.hosts > 0 || s.hands > 0))
    .map(([key, s]) => ({ province: key, hostPresent: s.hosts > 0, teachers: s.teachers, hands: s.hands }))
    .sort((a, b) => a.province.localeCompare(b.province));
}

/** What the feeds read of the meeting (Meeting implements it). */
export interface FeedsMeeting {
  readonly state: MeetingState;
  readonly notify: MeetingNotifier;
  readonly log: Logger;
  readonly options: Pick<MeetingOptions, 'handSummaryIntervalMs' | 'handSummaryHead' | 'statsIntervalMs' | 'massAudienceViewers'>;
  readonly peers: ReadonlyMap<string, Peer>;
  readonly main: MeetingSession;
  readonly breakouts: Breakouts | null;
  sessionOf(peer: Peer): MeetingSession;
}

export class HostFeeds {
  readonly #meeting: FeedsMeeting;
  readonly #handTimer: NodeJS.Timeout;
  readonly #statsTimer: NodeJS.Timeout;
  /** Per session: the seq last summarised, and when. */
  readonly #sent = new Map<string, { seq: number; at: number }>();
  #lastStats = '';
  #lastStatus = '';
  /** Province hosts' sockets → the viewer count last sent to them. */
  readonly #lastProvince = new Map<string, number>();
  #busy = false;

  constructor(meeting: FeedsMeeting) {
    this.#meeting = meeting;
    const { handSummaryIntervalMs, statsIntervalMs } = meeting.options;
    this.#handTimer = setInterval(() => void this.#pollHands(), Math.min(HAND_POLL_MS, handSummaryIntervalMs));
    this.#handTimer.unref();
    this.#statsTimer = setInterval(() => void this.#pushStats(), statsIntervalMs);
    this.#statsTimer.unref();
  }

  /** Sessions with at least one of their hosts connected through this node. */
  #hostedHere(): MeetingSession[] {
    const out = new Map<string, MeetingSession>();
    for (const peer of this.#meeting.peers.values()) {
      const session = this.#meeting.sessionOf(peer);
      if (session.isHost(peer)) out.set(session.key, session);
    }
    return [...out.values()];
  }

  async #pollHands(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const now = Date.now();
      const interval = this.#meeting.options.handSummaryIntervalMs;
      for (const session of this.#hostedHere()) {
        const sent = this.#sent.get(session.key);
        if (sent && now - sent.at < interval) continue;
        const seq = await this.#meeting.state.handSeq(session.key);
        if (sent && seq === sent.seq) continue;
        const summary = await this.#meeting.state.handSummary(session.key, this.#meeting.options.handSummaryHead, Date.now());
        this.#sent.set(session.key, { seq: summary.seq, at: now });
        this.#meeting.notify.toLocalRoom(session.hostsRoomName, 'handQueue', summary);
      }
    } catch (error) {
      this.#meeting.log.warn({ err: String(error) }, 'hand summary failed');
    } finally {
      this.#busy = false;
    }
  }

  async #pushStats(): Promise<void> {
    const main = this.#meeting.main;
    await this.#pushProvinceStats();
    if (!this.#hostedHere().some((s) => s.isMain)) {
      this.#lastStats = '';
      this.#lastStatus = '';
      return;
    }
    try {
      const stats: MeetingStats = await meetingStats(this.#meeting.state, this.#meeting.options.massAudienceViewers);
      const key = JSON.stringify(stats);
      if (key !== this.#lastStats) {
        this.#lastStats = key;
        this.#meeting.notify.toLocalRoom(main.hostsRoomName, 'meetingStats', stats);
      }
      if (this.#meeting.breakouts) {
        const status: BreakoutStatus[] = await breakoutStatus(this.#meeting.state);
        const statusKey = JSON.stringify(status);
        if (statusKey !== this.#lastStatus) {
          this.#lastStatus = statusKey;
          this.#meeting.notify.toLocalRoom(main.hostsRoomName, 'breakoutStatus', status);
        }
      }
    } catch (error) {
      this.#meeting.log.warn({ err: String(error) }, 'stats failed');
    }
  }

  /**
   * Each province host connected here gets the number of their own viewers (their province's
   * teachers present) when it changes: during breakouts the teachers in their breakout, else
   * everyone of their province present but themselves. One counts read per interval, whatever the
   * number of province hosts here.
   */
  async #pushProvinceStats(): Promise<void> {
    const m = this.#meeting;
    const hosts = [...m.peers.values()].filter((p) => p.claims.role === 'province_host' && p.claims.province);
    for (const socketId of [...this.#lastProvince.keys()]) if (!hosts.some((p) => p.socketId === socketId)) this.#lastProvince.delete(socketId);
    if (hosts.length === 0) return;
    try {
      const c = await m.state.counts();
      for (const peer of hosts) {
        const province = peer.claims.province!;
        const viewers = m.breakouts ? (c.sessions[province]?.teachers ?? 0) : Math.max(0, (c.provinces[province] ?? 0) - 1);
        if (this.#lastProvince.get(peer.socketId) === viewers) continue;
        this.#lastProvince.set(peer.socketId, viewers);
        m.notify.toSocket(peer.socketId, 'provinceStats', { province, viewers });
      }
    } catch (error) {
      m.log.warn({ err: String(error) }, 'province stats failed');
    }
  }

  /** What a session host joining (or moving in) needs at once: numbers, the queue, the speakers. */
  async sendHostState(socketId: string, session: MeetingSession): Promise<void> {
    const m = this.#meeting;
    // The numbers last pushed here may predate this host (or equal what it is about to see
    // change to): push the next ones to every local host whatever they were.
    this.#lastStats = '';
    this.#lastStatus = '';
    this.#lastProvince.delete(socketId);
    if (session.isMain) {
      m.notify.toSocket(socketId, 'meetingStats', await meetingStats(m.state, m.options.massAudienceViewers));
      if (m.breakouts) m.notify.toSocket(socketId, 'breakoutStatus', await breakoutStatus(m.state));
    }
    m.notify.toSocket(socketId, 'handQueue', await m.state.handSummary(session.key, m.options.handSummaryHead, Date.now()));
    m.notify.toSocket(socketId, 'speakersChanged', await m.state.speakers(session.key));
  }

  close(): void {
    clearInterval(this.#handTimer);
    clearInterval(this.#statsTimer);
  }
}
