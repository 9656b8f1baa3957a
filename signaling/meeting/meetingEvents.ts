/**
 * The store's events as this node applies them: in order, one at a time, by the meeting's event
 * queue, to this node's view (published producers, breakouts) and its own participants (moved
 * into and out of breakouts, a speaker's sending closed when their grant ends elsewhere, a mute
 * applied). A gap in the sequence, a dropped store connection or a stalled task loads the store's
 * snapshot again (resync), in the same queue. A flow that needs its change applied here before it
 * answers waits with `caughtUp()`.
 *
 * The rule that keeps a meeting from freezing: **nothing run by the event queue waits for the
 * event queue.** Code reached from `#apply` or `#resync` never awaits `caughtUp()` (which refuses,
 * with SelfWaitError, when asked from inside the queue) nor anything that does; what such code
 * must see done (a speaker's sending closed when moved) it does itself, directly. Work that may
 * be slow on the SFU (a fan-out, the national-audio holds) is started beside the queue, not
 * awaited in it. The queue's watchdog leaves a task stuck past its bound behind and resyncs from
 * the store, and resyncs again when that task ends late (common/SerialQueue.ts).
 */
import type { Logger } from '../../common/log';
import { QueueStallError, SerialQueue, detached, progressed, waitOn, type QueueWatch } from '../../common/SerialQueue';
import type { SfuControl } from '../../sfu/types';
import type { Breakouts, MeetingSnapshot, MeetingState, Production, PublishedProducer, SequencedEvent } from '../store/types';
import type { BreakoutTimer } from './breakoutTimer';
import { forEachLimited } from './concurrency';
import { MAIN, type MeetingSession } from './MeetingSession';
import type { Peer } from './Peer';
import type { SpeakerGrants } from './speakerGrants';

/** How many participants are moved at once. */
const MOVE_CONCURRENCY = 32;

/** What applying the store's events reads and changes of the meeting (Meeting implements it). */
export interface EventsMeeting {
  readonly id: string;
  readonly sfu: SfuControl;
  readonly state: MeetingState;
  readonly log: Logger;
  readonly closed: boolean;
  readonly peers: ReadonlyMap<string, Peer>;
  readonly published: Map<string, PublishedProducer>;
  readonly sessions: Map<string, MeetingSession>;
  /** Set here, from the `breakouts` events and snapshots. */
  breakouts: Breakouts | null;
  /** Set here, from the `production` events and snapshots. */
  production: Production;
  /** Runs beside the queue; never awaited from it. */
  productionChanged(prev: Production): void;
  /** Sends by a crew role (production.ts), not by a speaker's grant. */
  sendsByCrewRole(peer: Peer): boolean;
  readonly fallback: { update(): void };
  sessionOf(peer: Peer): MeetingSession;
  placeFor(peer: Peer): string;
  /** Must re-check where the participant belongs after any await (a newer move decides). */
  move(peer: Peer, key: string): Promise<void>;
  closeSending(peer: Peer): Promise<void>;
  /** Runs beside the queue; never awaited from it. */
  applyHolds(): Promise<void>;
  /** Runs beside the queue; never awaited from it. */
  fanOut(producer: PublishedProducer): Promise<void>;
}

export class MeetingEvents {
  readonly #meeting: EventsMeeting;
  readonly #timer: BreakoutTimer;
  readonly #grants: SpeakerGrants;
  /** The store's events, applied one at a time (see the rule in the header). */
  readonly #queue: SerialQueue;
  #applied = 0;
  readonly #waiters: { seq: number; resolve: () => void }[] = [];
  readonly #unsubscribe: (() => void)[] = [];

  constructor(meeting: EventsMeeting, parts: { timer: BreakoutTimer; grants: SpeakerGrants; queues?: QueueWatch }) {
    this.#meeting = meeting;
    this.#timer = parts.timer;
    this.#grants = parts.grants;
    this.#queue = new SerialQueue('meeting', {
      watch: parts.queues,
      log: meeting.log,
      // Whatever the stuck task left half done, the store has the truth: load it again.
      onStall: () => this.enqueueResync('after a stall'),
      // And again once the stuck task ends: a move it made late (into a breakout already
      // recalled) is undone by the resync's own moves.
      onLateEnd: (task) => this.enqueueResync(`"${task}" ended after it was left behind`),
    });
  }

  /** Subscribes to the store's events, then loads what they change (the meeting opens here). */
  async open(): Promise<void> {
    const state = this.#meeting.state;
    this.#unsubscribe.push(state.subscribe((event) => this.#enqueue(event)));
    this.#unsubscribe.push(state.onResync(() => this.enqueueResync()));
    const snapshot = await state.snapshot();
    await this.#queue.push('resync (open)', () => this.#resync(snapshot));
  }

  /**
   * Resolves once every event caused by this node's own writes so far has been applied here.
   * For flows answering a client; refused (SelfWaitError) from inside the event queue, which
   * would wait for itself for ever.
   */
  async caughtUp(): Promise<void> {
    this.#queue.forbidSelfWait('caughtUp()');
    const seq = this.#meeting.state.writtenSeq;
    if (this.#applied >= seq || this.#meeting.closed) return;
    const applied = new Promise<void>((resolve) => this.#waiters.push({ seq, resolve }));
    return waitOn(`meeting ${this.#meeting.id}'s event queue to apply #${seq} (applied #${this.#applied}, running: ${this.#queue.running ?? 'nothing'})`, applied, this.#queue);
  }

  /** Whether the calling code runs inside the event queue (flows check before waiting on it). */
  get inEventQueue(): boolean {
    return this.#queue.isInside();
  }

  #enqueue(event: SequencedEvent): void {
    this.#queue.push(`apply ${event.type} #${event.seq}`, () => this.#apply(event)).catch((error: unknown) => {
      // A stall is logged by the watchdog, which resyncs.
      if (!(error instanceof QueueStallError)) this.#meeting.log.error({ err: String(error), event: event.type }, 'applying a meeting event failed');
    });
  }

  /** Loads the store's state again, in the queue's order (the store's connection dropped, or a task stalled). */
  enqueueResync(why = 'the store asked'): void {
    const m = this.#meeting;
    if (m.closed) return;
    this.#queue
      .push(`resync (${why})`, async () => this.#resync(await waitOn('the store snapshot', m.state.snapshot())))
      .catch((error: unknown) => {
        if (!(error instanceof QueueStallError)) m.log.error({ err: String(error) }, 'resync failed');
      });
  }

  #advance(seq: number): void {
    this.#applied = Math.max(this.#applied, seq);
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const w = this.#waiters[i]!;
      if (w.seq <= this.#applied) {
        this.#waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  async #apply(event: SequencedEvent): Promise<void> {
    const m = this.#meeting;
    if (m.closed || event.seq <= this.#applied) return;
    if (event.seq > this.#applied + 1) {
      // Events were missed (the store's connection dropped): load what they would have changed.
      await this.#resync(await m.state.snapshot());
      if (event.seq <= this.#applied) return;
    }
    switch (event.type) {
      case 'producerAdded':
        this.#advance(event.seq);
        this.#addProducer(event.producer);
        m.fallback.update();
        return;
      case 'producersRemoved':
        for (const id of event.producerIds) m.published.delete(id);
        m.fallback.update();
        break;
      case 'breakouts':
        await this.#setBreakouts(event.breakouts);
        break;
      case 'speakerEnded':
        await this.#speakerEnded(event.sessionKey, event.userId);
        break;
      case 'speakerMuted':
        await this.#speakerMuted(event.sessionKey, event.userId, event.muted);
        break;
      case 'production':
        this.#setProduction(event.production);
        break;
    }
    this.#advance(event.seq);
  }

  #addProducer(producer: PublishedProducer): void {
    const m = this.#meeting;
    if (m.published.has(producer.id)) return;
    m.published.set(producer.id, producer);
    // Not awaited: the queue goes on while viewers are offered the producer.
    void detached(() => m.fanOut(producer));
  }

  #setProduction(next: Production): void {
    const m = this.#meeting;
    if (next.version === m.production.version) return;
    const prev = m.production;
    m.production = next;
    // Not awaited: participants follow beside the queue (a reconcile waits on the SFU).
    detached(() => m.productionChanged(prev));
  }

  /** Brings this node's view in line with a snapshot, acting on what changed. */
  async #resync(snapshot: MeetingSnapshot): Promise<void> {
    const m = this.#meeting;
    // First: where participants belong and what they may receive depend on the crew.
    this.#setProduction(snapshot.production);
    const ids = new Set(snapshot.producers.map((p) => p.id));
    for (const id of [...m.published.keys()]) if (!ids.has(id)) m.published.delete(id);
    for (const p of snapshot.producers) this.#addProducer(p);
    m.fallback.update();
    const b = snapshot.breakouts;
    if (JSON.stringify(b) !== JSON.stringify(m.breakouts)) await this.#setBreakouts(b);
    else await this.#moveMisplaced();
    this.#forgetBreakoutSessions();
    // Holds a left-behind task decided or never reached: checked again for everyone.
    void m.applyHolds();
    // A speaker ended or muted while this node was not listening: check the local ones.
    for (const peer of m.peers.values()) {
      if (peer.producers.size === 0 || peer.isHost || m.sessionOf(peer).isHost(peer) || m.sendsByCrewRole(peer)) continue;
      const speaker = await m.state.speaker(peer.sessionKey, peer.userId);
      if (!speaker || speaker.state !== 'speaking') await m.closeSending(peer);
      else await this.#speakerMuted(peer.sessionKey, peer.userId, speaker.muted);
    }
    this.#advance(snapshot.seq);
  }

  async #setBreakouts(next: Breakouts | null): Promise<void> {
    const m = this.#meeting;
    const prev = m.breakouts;
    m.breakouts = next;
    this.#timer.arm();
    if (!prev && !next) return;
    if (!prev !== !next) {
      // Started or ended: every local participant goes where they belong now.
      await this.#moveMisplaced();
      if (!next) this.#forgetBreakoutSessions();
    } else if (prev!.speakToAll !== next!.speakToAll) {
      // Not awaited: the holds follow beside the queue (applyHolds).
      void m.applyHolds();
    }
  }

  /** No breakouts: only the main session is left (a late move may have named a breakout again). */
  #forgetBreakoutSessions(): void {
    const m = this.#meeting;
    if (m.breakouts) return;
    for (const key of [...m.sessions.keys()]) {
      if (key !== MAIN && ![...m.peers.values()].some((p) => p.sessionKey === key)) m.sessions.delete(key);
    }
  }

  /** Moves every local participant not in the session they belong in now (event queue only). */
  async #moveMisplaced(): Promise<void> {
    const m = this.#meeting;
    const movers = [...m.peers.values()].filter((p) => m.placeFor(p) !== p.sessionKey);
    if (movers.length === 0) return;
    m.log.info({ movers: movers.length, breakouts: m.breakouts !== null }, 'moving local participants to their sessions');
    await waitOn(
      `moving ${movers.length} participant(s)`,
      forEachLimited(movers, MOVE_CONCURRENCY, async (peer) => {
        await m.move(peer, m.placeFor(peer)).catch((error: unknown) =>
          m.log.warn({ peer: peer.userId, err: String(error) }, 'move failed'),
        );
        progressed();
      }),
    );
  }

  async #speakerEnded(sessionKey: string, userId: string): Promise<void> {
    const peer = this.#meeting.peers.get(userId);
    if (peer && this.#grants.sendsOnlyAsSpeaker(peer, sessionKey)) await this.#meeting.closeSending(peer);
  }

  async #speakerMuted(sessionKey: string, userId: string, muted: boolean): Promise<void> {
    const m = this.#meeting;
    const peer = m.peers.get(userId);
    if (!peer || peer.sessionKey !== sessionKey) return;
    for (const p of peer.producers.values()) {
      if (p.source === 'mic') await (muted ? m.sfu.pauseProducer(p.id) : m.sfu.resumeProducer(p.id));
    }
  }

  /** Stops applying events: later pushes are refused, the store's events unheard, waiters let go. */
  close(): void {
    this.#queue.close();
    for (const u of this.#unsubscribe) u();
    for (const w of this.#waiters.splice(0)) w.resolve();
  }
}
