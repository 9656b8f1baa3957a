/**
 * What hosts and viewers see of questions, polls and reactions, built by each signaling node for
 * the participants connected through it (as hostFeeds.ts does for hands). Never one message per
 * vote: the node polls the meeting's change numbers (one small read per tick) and
 *  - sends each watching host a Q&A summary in their order and filter, at most once per
 *    `summaryIntervalMs`, only after a change;
 *  - sends watching hosts poll results (total and by province) the same way;
 *  - sends watching hosts the reaction strip once per reaction interval, only when it changed;
 *  - sends everyone here the public state (pinned question, top questions, current poll and its
 *    results if shown) at most once per `publicIntervalMs`, only when it changed; participants
 *    who arrived since get the current one on their own.
 */
import { createHash } from 'node:crypto';
import { REACTION_KINDS, type PollHostSummary, type QaHostSummary, type QaPublic, type ReactionKind, type ReactionStrip } from '../protocol/qa';
import type { Meeting } from '../meeting/Meeting';
import type { Peer } from '../meeting/Peer';
import type { QaOptions } from './qaConfig';
import { hostScope, type HostWatch } from './qaHosts';

/** What the feeds read of a meeting's Q&A runtime (QaRuntime.ts). */
export interface FeedSource {
  readonly meeting: Meeting;
  readonly options: QaOptions;
  /** This node's host sockets watching summaries, with their peers. */
  liveWatchers(): [string, HostWatch, Peer][];
}

/** How often the change numbers are looked at, at most. */
const TICK_MS = 100;

export class QaFeeds {
  readonly #rt: FeedSource;
  readonly #timer: NodeJS.Timeout;
  #busy = false;
  #pollSent = { seq: -1, at: 0, nextDeadline: Infinity };
  #reactAt = 0;
  #lastStrip = '';
  #public: { version: string; at: number; qaSeq: number; pollSeq: number; nextDeadline: number; state: QaPublic | null } = {
    version: '',
    at: 0,
    qaSeq: -1,
    pollSeq: -1,
    nextDeadline: Infinity,
    state: null,
  };
  /** Sockets here that have the current public state. */
  #informed = new Set<string>();
  /** Summaries sent to hosts (for tests and metrics). */
  hostSummaries = 0;

  constructor(rt: FeedSource) {
    this.#rt = rt;
    this.#timer = setInterval(() => void this.#tick(), Math.min(TICK_MS, rt.options.summaryIntervalMs));
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    if (this.#busy || this.#rt.meeting.peers.size === 0) return;
    this.#busy = true;
    try {
      const seqs = await this.#rt.meeting.state.qa.seqs();
      const now = Date.now();
      const watchers = this.#rt.liveWatchers();
      if (watchers.length > 0) {
        await this.#hostQa(watchers, seqs.qa, now);
        await this.#hostPolls(watchers, seqs.poll, now);
        await this.#reactions(watchers, now);
      }
      await this.#publicState(seqs.qa, seqs.poll, now);
    } catch (error) {
      this.#rt.meeting.log.warn({ err: String(error) }, 'qa feed failed');
    } finally {
      this.#busy = false;
    }
  }

  async #hostQa(watchers: [string, HostWatch, Peer][], seq: number, now: number): Promise<void> {
    const built = new Map<string, QaHostSummary>();
    for (const [socketId, watch] of watchers) {
      if (watch.seq === seq || now - watch.at < this.#rt.options.summaryIntervalMs) continue;
      const key = `${watch.sort}/${watch.province}/${watch.includeHidden}`;
      let summary = built.get(key);
      if (!summary) {
        summary = await this.hostSummary(watch);
        built.set(key, summary);
      }
      watch.seq = summary.seq;
      watch.at = now;
      this.hostSummaries += 1;
      this.#rt.meeting.notify.toSocket(socketId, 'qaHost', summary);
    }
  }

  /** A host's summary in their order and filter. */
  async hostSummary(watch: Pick<HostWatch, 'sort' | 'province' | 'includeHidden'>): Promise<QaHostSummary> {
    const qa = this.#rt.meeting.state.qa;
    // The change number first: a change made while reading shows up in the next summary.
    const { qa: seq } = await qa.seqs();
    const [page, counts, pinned] = await Promise.all([
      qa.questions({
        sort: watch.sort,
        province: watch.province ?? undefined,
        includeHidden: watch.includeHidden,
        offset: 0,
        limit: this.#rt.options.hostHead,
      }),
      qa.counts(),
      qa.pinned(),
    ]);
    return {
      seq,
      sort: watch.sort,
      province: watch.province,
      includeHidden: watch.includeHidden,
      matching: page.total,
      total: counts.total,
      hidden: counts.hidden,
      answered: counts.answered,
      byProvince: counts.byProvince,
      head: page.rows,
      pinned,
      serverNow: Date.now(),
    };
  }

  async #hostPolls(watchers: [string, HostWatch, Peer][], seq: number, now: number): Promise<void> {
    const sent = this.#pollSent;
    const due = seq !== sent.seq || now >= sent.nextDeadline;
    if (!due || now - sent.at < this.#rt.options.summaryIntervalMs) return;
    const summary = await this.pollSummary();
    this.#pollSent = { seq: summary.seq, at: now, nextDeadline: nextDeadline(summary.polls) };
    for (const [socketId] of watchers) this.#rt.meeting.notify.toSocket(socketId, 'pollHost', summary);
  }

  async pollSummary(): Promise<PollHostSummary> {
    const qa = this.#rt.meeting.state.qa;
    const { poll: seq } = await qa.seqs();
    const polls = await qa.polls();
    const results = [];
    for (const p of polls) if (p.state !== 'draft') results.push((await qa.pollResults(p.id))!);
    return { seq, polls, results, serverNow: Date.now() };
  }

  async #reactions(watchers: [string, HostWatch, Peer][], now: number): Promise<void> {
    if (now - this.#reactAt < this.#rt.options.reactionIntervalMs) return;
    this.#reactAt = now;
    const strip = await this.strip();
    const key = JSON.stringify([strip.totals, strip.cantHearByProvince]);
    if (key === this.#lastStrip) return;
    this.#lastStrip = key;
    for (const [socketId] of watchers) this.#rt.meeting.notify.toSocket(socketId, 'reactions', strip);
  }

  async strip(): Promise<ReactionStrip> {
    const { reactionIntervalMs, reactionWindow } = this.#rt.options;
    const { counts } = await this.#rt.meeting.state.qa.reactionWindow(reactionIntervalMs, reactionWindow);
    const totals = Object.fromEntries(REACTION_KINDS.map((k) => [k, counts[k] ?? 0])) as Record<ReactionKind, number>;
    const cantHearByProvince: Record<string, number> = {};
    for (const [k, v] of Object.entries(counts)) if (k.startsWith('cant_hear:') && v > 0) cantHearByProvince[k.slice(10)] = v;
    return { windowMs: reactionIntervalMs * reactionWindow, totals, cantHearByProvince, serverNow: Date.now() };
  }

  async #publicState(qaSeq: number, pollSeq: number, now: number): Promise<void> {
    const p = this.#public;
    const changed = qaSeq !== p.qaSeq || pollSeq !== p.pollSeq || now >= p.nextDeadline;
    if (changed && now - p.at >= this.#rt.options.publicIntervalMs) {
      const state = await this.publicState();
      p.at = now;
      p.qaSeq = qaSeq;
      p.pollSeq = pollSeq;
      p.nextDeadline = state.poll ? nextDeadline([state.poll]) : Infinity;
      if (state.version !== p.version) {
        p.version = state.version;
        p.state = state;
        this.#rt.meeting.notify.toLocalRoom(this.#rt.meeting.roomName, 'qaPublic', state);
        this.#informed = new Set([...this.#rt.meeting.peers.values()].map((peer) => peer.socketId));
        return;
      }
    }
    // Participants who arrived since the last push get the current state now.
    if (!p.state) return;
    for (const peer of this.#rt.meeting.peers.values()) {
      if (this.#informed.has(peer.socketId)) continue;
      this.#informed.add(peer.socketId);
      this.#rt.meeting.notify.toSocket(peer.socketId, 'qaPublic', { ...p.state, serverNow: now });
    }
    if (this.#informed.size > this.#rt.meeting.peers.size * 2 + 100) {
      this.#informed = new Set([...this.#rt.meeting.peers.values()].map((peer) => peer.socketId));
    }
  }

  async publicState(): Promise<QaPublic> {
    const qa = this.#rt.meeting.state.qa;
    const [top, pinned, poll] = await Promise.all([
      qa.questions({ sort: 'top', includeHidden: false, offset: 0, limit: this.#rt.options.publicTop }),
      qa.pinned(),
      qa.currentPoll(),
    ]);
    const results = poll?.resultsShown ? await qa.pollResults(poll.id) : null;
    const body = { visible: top.total, pinned, top: top.rows, poll, results };
    const version = createHash('sha1').update(JSON.stringify(body)).digest('base64url').slice(0, 16);
    return { version, ...body, serverNow: Date.now() };
  }

  /** A host starting to watch gets everything at once (then only changes, throttled). */
  async sendHostState(socketId: string, peer: Peer, watch: HostWatch): Promise<QaHostSummary> {
    const summary = await this.hostSummary({ ...watch, province: watch.province ?? hostScope(peer) });
    watch.seq = summary.seq;
    watch.at = Date.now();
    const notify = this.#rt.meeting.notify;
    notify.toSocket(socketId, 'pollHost', await this.pollSummary());
    notify.toSocket(socketId, 'reactions', await this.strip());
    return summary;
  }

  close(): void {
    clearInterval(this.#timer);
  }
}

/** The earliest deadline of the open polls (Infinity if none). */
function nextDeadline(polls: { state: string; closesAt: number | null }[]): number {
  let next = Infinity;
  for (const p of polls) if (p.state === 'open' && p.closesAt !== null) next = Math.min(next, p.closesAt);
  return next;
}
