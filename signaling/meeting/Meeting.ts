/**
 * A meeting as one signaling node serves it: the participants connected through this node (with
 * the media objects they own on the SFU), and this node's view of what the meeting store holds
 * for every node (published producers, breakouts), kept current from the store's ordered events.
 * The join flow (joinFlow.ts), publish flow (publishFlow.ts), hands (handFlow.ts), speakers
 * (speakFlow.ts) and breakouts (breakoutFlow.ts) act on it; host summaries come from
 * hostFeeds.ts.
 *
 * Media topology: every participant receives on the main room's router; each session's
 * publishers send to that session's own origin router, piped (once per producer) to the main
 * router. Moving between sessions closes the consumers no longer wanted and creates the new ones,
 * on the same transport: no renegotiation.
 *
 * Events from the store (including those this node's own writes caused) are applied in order, one
 * at a time, by the meeting's event queue; every node applies them to its own participants. A flow
 * that needs its change applied here before it answers waits with `caughtUp()`.
 *
 * The rule that keeps a meeting from freezing: **nothing run by the event queue waits for the
 * event queue.** Code reached from `#apply` or `#resync` never awaits `caughtUp()` (which refuses,
 * with SelfWaitError, when asked from inside the queue) nor anything that does; what such code
 * must see done (a speaker's sending closed when moved) it does itself, directly. The queue's
 * watchdog leaves a task stuck past its bound behind and resyncs from the store
 * (common/SerialQueue.ts).
 */
import { NO_ATTENDANCE, type AttendanceRecorder } from '../attendance/AttendanceRecorder';
import { NO_PLANS, type BreakoutPlans } from './BreakoutPlans';
import type { SfuControl } from '../../sfu/types';
import { logger, type Logger } from '../../common/log';
import type { BreakoutStatus, BreakoutsState, ConsumerInfo, MeetingStats, SessionInfo, SpeakState } from '../protocol/events';
import { TokenBucket } from '../rateLimit';
import { AppError } from '../protocol/errors';
import type { Breakouts, MeetingSnapshot, MeetingState, Participant, PublishedProducer, SequencedEvent } from '../store/types';
import { MAIN, MeetingSession } from './MeetingSession';
import type { MeetingNotifier } from './Notifier';
import type { Peer } from './Peer';
import { HostFeeds } from './hostFeeds';
import { NationalFallback } from './nationalFallback';
import { RejoinPacer } from './rejoinPacer';
import { applyViewerLayer, isMassAudience, settleViewerLayer } from './massAudience';
import { QueueStallError, QueueWatch, SerialQueue, detached, progressed, waitOn } from '../../common/SerialQueue';

export interface MeetingOptions {
  statsIntervalMs: number;
  /** Hosts get hand-queue summaries at most this often. Default 500 ms. */
  handSummaryIntervalMs: number;
  /** Entries in the head of each summary. Default 50. */
  handSummaryHead: number;
  /** Concurrent teacher speakers per session (invited or speaking). Default 2. */
  maxSpeakers: number;
  /** A departed participant's hand and grant survive this long (a reconnect). Default 60 s. */
  departureGraceMs: number;
  /** Hand toggles per user: sustained per second, and burst. */
  handTogglesPerSecond: number;
  handToggleBurst: number;
  /** Consumers per participant. Default 24. */
  maxConsumersPerPeer: number;
  /** `rejoin` notices per second after a media loss (the join rate). */
  rejoinsPerSecond: number;
  /** Viewers (cluster-wide) from which the mass-audience profile applies; 0 = never (massAudience.ts). */
  massAudienceViewers: number;
  /** Mass-audience viewers' bandwidth estimation: none (default: the page adapts) or REMB (massAudience.ts). */
  massAudienceBwe?: 'remb' | 'none';
}

export type { Breakouts };

/** How many consumer operations a fan-out or a move runs at once. */
const FANOUT_CONCURRENCY = 16;
/** Holding or releasing the national audio taking longer than this is logged. */
const HOLDS_SLOW_MS = 5_000;
/** How many participants are moved at once. */
const MOVE_CONCURRENCY = 32;
/** A timed recall that failed (the store did not answer) is tried again after this. */
const RECALL_RETRY_MS = 2_000;
/** How often this node looks for expired departures and dead signaling nodes' participants. */
const SWEEP_MS = 1_000;

/** Runs `work` over `items`, at most `concurrency` at a time. */
export async function forEachLimited<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

export interface MeetingDeps {
  sfu: SfuControl;
  notify: MeetingNotifier;
  state: MeetingState;
  /** This signaling node's id, and the ids of the nodes alive (for sweeping dead nodes' participants). */
  nodeId: string;
  aliveNodes: () => Promise<string[]>;
  options: MeetingOptions;
  /** Where attendance intervals go (default: nowhere). */
  attendance?: AttendanceRecorder;
  /** The scheduled meeting's breakout plan (default: none). */
  plans?: BreakoutPlans;
  /** Counts the event queue's stalls (metrics); its bound is the watchdog's. Default: a private one. */
  queues?: QueueWatch;
}

export class Meeting {
  readonly id: string;
  readonly sfu: SfuControl;
  readonly notify: MeetingNotifier;
  readonly state: MeetingState;
  readonly nodeId: string;
  readonly options: MeetingOptions;
  readonly log: Logger;
  /** Participants connected through this node, by user id. */
  readonly peers = new Map<string, Peer>();
  /** Everything currently published in the meeting (every node's), by producer id. */
  readonly published = new Map<string, PublishedProducer>();
  /** Consumer id → owning user id, to route SFU consumer events. */
  readonly consumerOwner = new Map<string, string>();
  /** Bumped whenever the media side is reset (origin lost): stale async work checks it. */
  epoch = 0;
  /** Sessions this node knows (their names and rooms), by key. */
  readonly sessions = new Map<string, MeetingSession>();
  readonly main: MeetingSession;
  /** Breakouts as of the last event applied. */
  breakouts: Breakouts | null = null;
  /** Participants asked to rejoin because their edge was lost. */
  rehomes = 0;
  readonly feeds: HostFeeds;
  /** Breakouts with nothing of their own on air show the national session (nationalFallback.ts). */
  readonly fallback: NationalFallback;
  readonly #deps: MeetingDeps;
  readonly #handBuckets = new Map<string, TokenBucket>();
  /** Spreads `rejoin` notices over time (rejoinPacer.ts). */
  readonly #rejoins: RejoinPacer;
  #breakoutTimer: NodeJS.Timeout | null = null;
  #sweepTimer: NodeJS.Timeout;
  #applied = 0;
  /** The store's events, applied one at a time (see the rule in the header). */
  readonly #events: SerialQueue;
  readonly #waiters: { seq: number; resolve: () => void }[] = [];
  readonly #unsubscribe: (() => void)[] = [];
  /** Ends the meeting when the timer of breakouts runs out (set by breakoutFlow). */
  onBreakoutTimer: (() => Promise<void>) | null = null;
  /** Run when this node's view closes (parts opened beside the meeting, e.g. qa/QaRuntime). */
  readonly onClose: (() => void)[] = [];
  #closed = false;
  /** The holds being applied beside the queue (applyHolds), and whether to run them again after. */
  #holds: Promise<void> | null = null;
  #holdsAgain = false;

  /** Where attendance intervals go (joinFlow and move() call it). */
  readonly attendance: AttendanceRecorder;
  /** Where a breakout start without provinces or duration finds the meeting's plan. */
  readonly plans: BreakoutPlans;

  private constructor(id: string, deps: MeetingDeps) {
    this.id = id;
    this.#deps = deps;
    this.attendance = deps.attendance ?? NO_ATTENDANCE;
    this.plans = deps.plans ?? NO_PLANS;
    this.sfu = deps.sfu;
    this.notify = deps.notify;
    this.state = deps.state;
    this.nodeId = deps.nodeId;
    this.options = deps.options;
    this.log = logger('meeting', { meeting: id });
    this.#events = new SerialQueue('meeting', {
      watch: deps.queues,
      log: this.log,
      // Whatever the stuck task left half done, the store has the truth: load it again.
      onStall: () => this.#enqueueResync('after a stall'),
      // And again once the stuck task ends: a move it made late (into a breakout already
      // recalled) is undone by the resync's own moves.
      onLateEnd: (task) => this.#enqueueResync(`"${task}" ended after it was left behind`),
    });
    this.main = this.#session(MAIN);
    this.feeds = new HostFeeds(this);
    this.fallback = new NationalFallback(this);
    this.#sweepTimer = setInterval(() => void this.#sweep(), SWEEP_MS);
    this.#sweepTimer.unref();
    this.#rejoins = new RejoinPacer(deps.options.rejoinsPerSecond, (socketId, info) => this.notify.toSocket(socketId, 'rejoin', info));
  }

  /** Opens this node's view of a meeting: subscribes to its events, then loads what they change. */
  static async open(id: string, deps: MeetingDeps): Promise<Meeting> {
    const meeting = new Meeting(id, deps);
    meeting.#unsubscribe.push(deps.state.subscribe((event) => meeting.#enqueue(event)));
    meeting.#unsubscribe.push(deps.state.onResync(() => meeting.#enqueueResync()));
    const snapshot = await deps.state.snapshot();
    await meeting.#events.push('resync (open)', () => meeting.#resync(snapshot));
    return meeting;
  }

  /** socket.io room of everyone in the meeting (meeting-wide broadcasts). */
  get roomName(): string {
    return `m:${this.id}`;
  }

  /** socket.io room of one user's sockets, wherever they are connected. */
  userRoom(userId: string): string {
    return `${this.roomName}:u:${userId}`;
  }

  /** The SFU room every participant receives on (the main session's router). */
  get viewerRoomId(): string {
    return this.main.roomId;
  }

  #session(key: string): MeetingSession {
    let session = this.sessions.get(key);
    if (!session) {
      session = new MeetingSession(this.id, key);
      this.sessions.set(key, session);
    }
    return session;
  }

  /** The names of a session (no SFU room is opened, and this node does not start tracking it). */
  session(key: string): MeetingSession {
    return this.sessions.get(key) ?? new MeetingSession(this.id, key);
  }

  sessionOf(peer: Peer): MeetingSession {
    return this.#session(peer.sessionKey);
  }

  /**
   * The session a participant belongs in now: their province's during breakouts (when their
   * province is one that split out), else main.
   */
  placeFor(peer: Pick<Peer, 'claims'>): string {
    const { role, province } = peer.claims;
    if (!this.breakouts || role === 'host' || !province) return MAIN;
    if (this.breakouts.provinces && !this.breakouts.provinces.includes(province)) return MAIN;
    return province;
  }

  /** The session for a key, with its origin router open on the SFU. */
  async ensureSession(key: string): Promise<MeetingSession> {
    const session = this.#session(key);
    // The meeting is the group: a breakout gets an origin router of its own (SfuControl.openRoom).
    await this.sfu.openRoom(session.roomId, this.viewerRoomId);
    return session;
  }

  /** National hosts always; a province host in their own breakout; granted speakers. */
  async canSend(peer: Peer): Promise<boolean> {
    if (peer.isHost) return true;
    const session = this.sessionOf(peer);
    if (session.isHost(peer)) return true;
    return (await this.state.speaker(session.key, peer.userId))?.state === 'speaking';
  }

  async sessionInfo(peer: Peer): Promise<SessionInfo> {
    const session = this.sessionOf(peer);
    return { key: session.key, province: session.province, canSend: await this.canSend(peer), isSessionHost: session.isHost(peer) };
  }

  breakoutsState(): BreakoutsState {
    const b = this.breakouts;
    return {
      active: b !== null,
      endsAt: b?.endsAt ?? null,
      nationalOverlay: b?.nationalOverlay ?? false,
      speakToAll: b?.speakToAll ?? false,
      provinces: b?.provinces ?? null,
      serverNow: Date.now(),
    };
  }

  /** Whether `peer` should receive `producer`, given the sessions and breakout settings. */
  wants(peer: Peer, producer: PublishedProducer): boolean {
    if (producer.peerId === peer.userId) return false;
    if (peer.audioOnly && producer.kind === 'video') return false;
    if (producer.sessionKey === peer.sessionKey) return true;
    if (!this.breakouts || !producer.national || peer.sessionKey === MAIN) return false;
    // A breakout with nothing of its own on air: the whole national session.
    if (this.fallback.showsNational(peer.sessionKey)) return true;
    // In a breakout: the national audio (held silent unless speaking to all), and optionally the
    // national camera as an overlay.
    return producer.kind === 'audio' || (this.breakouts.nationalOverlay && producer.source === 'camera');
  }

  /**
   * National audio stays paused in breakouts unless the national host speaks to all, or the
   * breakout shows the national session (nothing of its own on air).
   */
  isHeld(peer: Peer, producer: PublishedProducer): boolean {
    return (
      peer.sessionKey !== MAIN &&
      producer.national &&
      producer.kind === 'audio' &&
      !this.breakouts?.speakToAll &&
      !this.fallback.showsNational(peer.sessionKey)
    );
  }

  /** Participants by role and by province, cluster-wide. */
  async stats(): Promise<MeetingStats> {
    const c = await this.state.counts();
    // Sorted, so that an unchanged count reads the same and is not pushed again.
    const byProvince = Object.fromEntries(Object.entries(c.provinces).sort(([a], [b]) => a.localeCompare(b)));
    return { viewers: c.viewers, hosts: c.hosts, byProvince, massAudience: isMassAudience(c.viewers, this.options.massAudienceViewers) };
  }

  /** Each breakout's host presence, teachers and hands, cluster-wide. */
  async breakoutStatus(): Promise<BreakoutStatus[]> {
    const c = await this.state.counts();
    return Object.entries(c.sessions)
      .filter(([key, s]) => key !== MAIN && (s.teachers > 0 || s.hosts > 0 || s.hands > 0))
      .map(([key, s]) => ({ province: key, hostPresent: s.hosts > 0, teachers: s.teachers, hands: s.hands }))
      .sort((a, b) => a.province.localeCompare(b.province));
  }

  /** Takes a hand-toggle token for a user; returns 0 or the ms to wait. */
  takeHandToken(userId: string): number {
    let bucket = this.#handBuckets.get(userId);
    if (!bucket) {
      bucket = new TokenBucket(this.options.handTogglesPerSecond, this.options.handToggleBurst);
      this.#handBuckets.set(userId, bucket);
    }
    return bucket.take();
  }

  async speakStateOf(sessionKey: string, userId: string): Promise<SpeakState> {
    const [handRaised, speaker] = await Promise.all([this.state.handRaised(sessionKey, userId), this.state.speaker(sessionKey, userId)]);
    return {
      handRaised,
      invitation: speaker?.state === 'invited' ? { allowVideo: speaker.allowVideo } : null,
      grant: speaker?.state === 'speaking' ? { allowVideo: speaker.allowVideo, muted: speaker.muted } : null,
    };
  }

  /** Tells one participant (wherever connected) their own hand, invitation and grant in a session. */
  async pushSpeakState(sessionKey: string, userId: string): Promise<void> {
    this.notify.toRoom(this.userRoom(userId), 'speakState', await this.speakStateOf(sessionKey, userId));
  }

  /** Speakers changed: the session's hosts get the list, the session hears who is speaking. */
  async speakersChanged(session: MeetingSession): Promise<void> {
    const list = await this.state.speakers(session.key);
    this.notify.toRoom(session.hostsRoomName, 'speakersChanged', list);
    this.notify.toRoom(
      session.roomName,
      'activeSpeakers',
      list.filter((s) => s.state === 'speaking').map((s) => ({ userId: s.userId, name: s.name })),
    );
  }

  /** Puts a peer's socket in its session's rooms and tells it where it is. */
  async enterSession(peer: Peer): Promise<void> {
    const session = this.sessionOf(peer);
    await this.notify.leave(peer.socketId, (room) => room.startsWith(`m:${this.id}:s:`));
    await this.notify.join(peer.socketId, session.isHost(peer) ? [session.roomName, session.hostsRoomName] : [session.roomName]);
    if (session.isHost(peer)) await this.feeds.sendHostState(peer.socketId, session);
    const [info, speakState, speakers] = await Promise.all([
      this.sessionInfo(peer),
      this.speakStateOf(session.key, peer.userId),
      this.state.speakers(session.key),
    ]);
    this.notify.toSocket(peer.socketId, 'sessionChanged', info);
    this.notify.toSocket(peer.socketId, 'speakState', speakState);
    this.notify.toSocket(
      peer.socketId,
      'activeSpeakers',
      speakers.filter((s) => s.state === 'speaking').map((s) => ({ userId: s.userId, name: s.name })),
    );
  }

  /**
   * Ends a speaker's grant (or invitation). A speaker connected here stops sending at once; one
   * connected elsewhere stops when their node applies `speakerEnded`. Never waits for the event
   * queue, so it may run from inside it (a speaker moved into a breakout).
   */
  /** Ends a grant or invitation; false when there was none (another ended it first: the store decides). */
  async endSpeaking(session: MeetingSession, userId: string): Promise<boolean> {
    if (!(await this.state.endSpeaker(session.key, userId))) return false;
    const peer = this.peers.get(userId);
    if (peer && this.#sendsOnlyAsSpeaker(peer, session.key)) await this.closeSending(peer);
    await this.pushSpeakState(session.key, userId);
    await this.speakersChanged(session);
    return true;
  }

  /** A local peer in `sessionKey` who sends only by a speaker's grant (not a host of it). */
  #sendsOnlyAsSpeaker(peer: Peer, sessionKey: string): boolean {
    return !peer.isHost && !this.session(sessionKey).isHost(peer) && peer.sessionKey === sessionKey;
  }

  /** Closes everything a local peer publishes, and its send transport. */
  async closeSending(peer: Peer): Promise<void> {
    const producerIds = [...peer.producers.keys()];
    peer.producers.clear();
    const sendTransports = [...peer.transports].filter(([, dir]) => dir === 'send').map(([id]) => id);
    for (const id of sendTransports) peer.transports.delete(id);
    await this.state.removeProducers(producerIds);
    await Promise.all(sendTransports.map((id) => this.sfu.closeTransport(id)));
  }

  /** A participant disconnected: keep their hand and grant for a reconnect, then drop them. */
  async departed(userId: string, immediately: boolean): Promise<void> {
    if (immediately) return this.dropDeparted(userId);
    await this.state.departed(userId, Date.now() + this.options.departureGraceMs);
  }

  /** A departure is over: the participant's hands go down and grants end, in every session. */
  async dropDeparted(userId: string): Promise<void> {
    this.#handBuckets.delete(userId);
    for (const key of new Set([MAIN, ...(await this.state.sessionKeys())])) {
      await this.state.lowerHand(key, userId);
      await this.endSpeaking(this.session(key), userId);
    }
  }

  /** Creates a paused consumer of `producer` for `peer`, or returns null. */
  async consumeFor(peer: Peer, producer: PublishedProducer): Promise<ConsumerInfo | null> {
    if (!peer.recvTransportId || !peer.edgeRoomId || !peer.rtpCapabilities || !this.wants(peer, producer)) return null;
    if (peer.hasConsumerOf(producer.id)) return null;
    if (peer.consumers.size + peer.consuming.size >= this.options.maxConsumersPerPeer) {
      throw new AppError('conflict', `consumer limit reached (${this.options.maxConsumersPerPeer})`);
    }
    peer.consuming.add(producer.id);
    let params;
    try {
      // One pipe per producer per edge router (none when the edge is the origin's router).
      const localId = await this.sfu.pipeProducer(producer.id, peer.edgeRoomId);
      params = await this.sfu.consume(peer.recvTransportId, localId, peer.rtpCapabilities as never);
    } finally {
      peer.consuming.delete(producer.id);
    }
    if (!params) return null;
    const layer = await applyViewerLayer(this.sfu, peer, params.id, producer.id, params.kind);
    peer.consumers.set(params.id, producer.id);
    await settleViewerLayer(this.sfu, peer, params.id, producer.id, layer);
    if (this.isHeld(peer, producer)) peer.held.add(params.id);
    this.consumerOwner.set(params.id, peer.userId);
    return {
      id: params.id,
      producerId: producer.id,
      kind: params.kind,
      rtpParameters: params.rtpParameters as unknown as ConsumerInfo['rtpParameters'],
      source: producer.source,
      peerId: producer.peerId,
      peerName: producer.peerName,
      sessionKey: producer.sessionKey,
    };
  }

  /** Consumes and announces one producer to one peer; failures are logged, not thrown. */
  async offer(peer: Peer, producer: PublishedProducer): Promise<void> {
    try {
      const info = await this.consumeFor(peer, producer);
      if (info) this.notify.toSocket(peer.socketId, 'newConsumer', info);
    } catch (error) {
      this.log.warn({ peer: peer.userId, producer: producer.id, err: String(error) }, 'offer() | consume failed');
    }
  }

  /** A new producer reaches every local participant who wants it, a bounded number at a time. */
  async fanOut(producer: PublishedProducer): Promise<void> {
    const epoch = this.epoch;
    const targets = [...this.peers.values()].filter((p) => p.recvTransportId && this.wants(p, producer));
    await forEachLimited(targets, FANOUT_CONCURRENCY, async (peer) => {
      if (epoch !== this.epoch || !this.published.has(producer.id) || this.peers.get(peer.userId) !== peer) return;
      await this.offer(peer, producer);
    });
  }

  /**
   * Moves a local participant to another session without touching its transport: consumers it no
   * longer wants are closed, the new session's producers are consumed, and a grant in the old
   * session ends.
   */
  async move(peer: Peer, key: string): Promise<void> {
    const from = this.sessionOf(peer);
    if (from.key === key) return;
    const to = await this.ensureSession(key);
    // The meeting changed while the SFU answered (breakouts recalled): a newer move decides.
    if (this.placeFor(peer) !== key || peer.sessionKey !== from.key) return;
    if (await this.state.speaker(from.key, peer.userId)) await this.endSpeaking(from, peer.userId);
    if (from.isHost(peer)) await this.closeSending(peer);
    peer.sessionKey = to.key;
    await this.state.move(peer.userId, peer.socketId, to.key);
    this.attendance.moved(this.id, peer.userId, to.key);
    await this.reconcile(peer, async () => this.enterSession(peer));
  }

  /**
   * Brings a participant's consumers in line with what it wants now (after a move, or an
   * audio-only switch): closes the unwanted, applies holds, offers the missing.
   */
  async reconcile(peer: Peer, beforeOffers?: () => Promise<void>): Promise<void> {
    for (const [consumerId, producerId] of [...peer.consumers]) {
      const producer = this.published.get(producerId);
      if (producer && this.wants(peer, producer)) {
        await this.#applyHold(peer, consumerId, producer);
        continue;
      }
      peer.consumers.delete(consumerId);
      peer.held.delete(consumerId);
      this.consumerOwner.delete(consumerId);
      await this.sfu.closeConsumer(consumerId);
      this.notify.toSocket(peer.socketId, 'consumerClosed', { consumerId, producerId });
    }
    await beforeOffers?.();
    if (peer.recvTransportId && peer.rtpCapabilities) {
      for (const producer of this.published.values()) {
        if (!peer.hasConsumerOf(producer.id) && this.wants(peer, producer)) await this.offer(peer, producer);
      }
    }
  }

  /** Pauses or resumes a kept consumer according to the hold rule. */
  async #applyHold(peer: Peer, consumerId: string, producer: PublishedProducer): Promise<void> {
    // Closed meanwhile (a move, the producer gone): nothing to hold.
    if (!peer.consumers.has(consumerId)) return;
    const held = this.isHeld(peer, producer);
    if (held === peer.held.has(consumerId)) return;
    if (held) {
      peer.held.add(consumerId);
      await this.sfu.pauseConsumer(consumerId);
    } else {
      peer.held.delete(consumerId);
      await this.sfu.resumeConsumer(consumerId);
    }
  }

  /**
   * Speak-to-all changed (or a resync): hold or release the national audio for every local
   * participant, **beside the event queue, not in it**. With a whole audience that is one SFU
   * call per teacher, and an SFU slow to answer (a loaded worker) must not hold up the meeting's
   * next events. Runs one at a time: a change meanwhile runs it again when it ends. Each consumer
   * is decided when its turn comes (`#applyHold` reads the hold rule then), and a consumer's
   * pause and resume go to the SFU in the order they were decided, so the last decision wins.
   * Resolves when the holds match the meeting as it was when this call was made.
   */
  applyHolds(): Promise<void> {
    if (this.#holds) {
      this.#holdsAgain = true;
      return this.#holds;
    }
    const run = detached(async () => {
      const started = Date.now();
      let rounds = 0;
      do {
        this.#holdsAgain = false;
        rounds += 1;
        await this.#applyHoldsOnce();
      } while (this.#holdsAgain && !this.#closed);
      const ms = Date.now() - started;
      if (ms > HOLDS_SLOW_MS) this.log.warn({ ms, rounds }, 'holding or releasing the national audio was slow (the SFU answered late)');
    });
    this.#holds = run.finally(() => {
      this.#holds = null;
    });
    return this.#holds;
  }

  async #applyHoldsOnce(): Promise<void> {
    const work: [Peer, string, PublishedProducer][] = [];
    for (const peer of this.peers.values()) {
      for (const [consumerId, producerId] of peer.consumers) {
        const producer = this.published.get(producerId);
        if (producer?.national && producer.kind === 'audio') work.push([peer, consumerId, producer]);
      }
    }
    await forEachLimited(work, FANOUT_CONCURRENCY, async ([peer, consumerId, producer]) => {
      await this.#applyHold(peer, consumerId, producer).catch((error: unknown) => {
        if (peer.consumers.has(consumerId)) this.log.warn({ peer: peer.userId, consumerId, err: String(error) }, 'holding or releasing a consumer failed');
      });
    });
  }

  /** The SFU closed a consumer (its producer went away): forget it and tell its owner. */
  onConsumerClosed(consumerId: string, producerId: string): void {
    const owner = this.consumerOwner.get(consumerId);
    if (owner === undefined) return;
    this.consumerOwner.delete(consumerId);
    const peer = this.peers.get(owner);
    if (!peer) return;
    peer.consumers.delete(consumerId);
    peer.held.delete(consumerId);
    this.notify.toSocket(peer.socketId, 'consumerClosed', { consumerId, producerId });
    // The producer lives on but this consumer's feed went (a relay node of the cluster died):
    // offer it again, through whatever path the SFU finds now.
    const producer = this.published.get(producerId);
    if (producer && this.wants(peer, producer)) void this.offer(peer, producer);
  }

  /** Closes everything a local peer owns on the SFU. */
  async closePeerMedia(peer: Peer): Promise<void> {
    const producerIds = [...peer.producers.keys()];
    for (const consumerId of peer.consumers.keys()) this.consumerOwner.delete(consumerId);
    const transports = [...peer.transports.keys()];
    peer.resetMedia();
    await this.state.removeProducers(producerIds);
    // Closing a transport closes its producers and consumers; viewers hear consumerClosed.
    await Promise.all(transports.map((t) => this.sfu.closeTransport(t)));
  }

  /**
   * SFU rooms were lost with their worker or node. An origin among them takes its producers
   * along, so everyone rebuilds; an edge alone only concerns the participants receiving there, who
   * are re-homed by running the join flow again (no reload).
   */
  onRoomsLost(roomIds: string[]): void {
    const lost = new Set(roomIds);
    const origins = [this.main.roomId, ...[...this.sessions.values()].map((s) => s.roomId)];
    if (origins.some((r) => lost.has(r))) return this.onRoomLost();
    for (const peer of this.peers.values()) {
      if (!peer.edgeRoomId || !lost.has(peer.edgeRoomId)) continue;
      for (const consumerId of peer.consumers.keys()) this.consumerOwner.delete(consumerId);
      peer.resetReceiving();
      this.rehomes += 1;
      this.#rejoins.add([peer.socketId], 'media_server_restarted');
    }
  }

  /** The meeting's origin was lost: every local participant rebuilds its media without reload. */
  onRoomLost(): void {
    this.epoch += 1;
    // Every node forgets the producers it knew of; those republished meanwhile have new ids.
    void this.state.removeProducers([...this.published.keys()]).catch((error: unknown) =>
      this.log.warn({ err: String(error) }, 'removing lost producers failed'),
    );
    this.published.clear();
    this.consumerOwner.clear();
    // Transports on workers that survived would otherwise live on beside the new ones.
    const transports = [...this.peers.values()].flatMap((p) => [...p.transports.keys()]);
    void Promise.all(transports.map((t) => this.sfu.closeTransport(t).catch(() => undefined)));
    for (const peer of this.peers.values()) peer.resetMedia();
    this.fallback.update();
    this.log.warn({ peers: this.peers.size }, 'media room lost; asking every local participant to rejoin');
    this.#rejoins.add([...this.peers.values()].map((p) => p.socketId), 'media_server_restarted');
  }

  async removePeer(peer: Peer): Promise<void> {
    if (this.peers.get(peer.userId) !== peer) return;
    this.peers.delete(peer.userId);
    await this.closePeerMedia(peer);
  }

  get empty(): boolean {
    return this.peers.size === 0;
  }

  // ---- the store's events --------------------------------------------------------------------

  /**
   * Resolves once every event caused by this node's own writes so far has been applied here.
   * For flows answering a client; refused (SelfWaitError) from inside the event queue, which
   * would wait for itself for ever.
   */
  async caughtUp(): Promise<void> {
    this.#events.forbidSelfWait('caughtUp()');
    const seq = this.state.writtenSeq;
    if (this.#applied >= seq || this.#closed) return;
    const applied = new Promise<void>((resolve) => this.#waiters.push({ seq, resolve }));
    return waitOn(`meeting ${this.id}'s event queue to apply #${seq} (applied #${this.#applied}, running: ${this.#events.running ?? 'nothing'})`, applied, this.#events);
  }

  /** Whether the calling code runs inside the event queue (flows check before waiting on it). */
  get inEventQueue(): boolean {
    return this.#events.isInside();
  }

  #enqueue(event: SequencedEvent): void {
    this.#events.push(`apply ${event.type} #${event.seq}`, () => this.#apply(event)).catch((error: unknown) => {
      // A stall is logged by the watchdog, which resyncs.
      if (!(error instanceof QueueStallError)) this.log.error({ err: String(error), event: event.type }, 'applying a meeting event failed');
    });
  }

  /** Loads the store's state again, in the queue's order (the store's connection dropped, or a task stalled). */
  #enqueueResync(why = 'the store asked'): void {
    if (this.#closed) return;
    this.#events
      .push(`resync (${why})`, async () => this.#resync(await waitOn('the store snapshot', this.state.snapshot())))
      .catch((error: unknown) => {
        if (!(error instanceof QueueStallError)) this.log.error({ err: String(error) }, 'resync failed');
      });
  }

  /** Loads the store's state again (after a client action was cut short by a stall). */
  resync(why: string): void {
    this.#enqueueResync(why);
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
    if (this.#closed || event.seq <= this.#applied) return;
    if (event.seq > this.#applied + 1) {
      // Events were missed (the store's connection dropped): load what they would have changed.
      await this.#resync(await this.state.snapshot());
      if (event.seq <= this.#applied) return;
    }
    switch (event.type) {
      case 'producerAdded':
        this.#advance(event.seq);
        this.#addProducer(event.producer);
        this.fallback.update();
        return;
      case 'producersRemoved':
        for (const id of event.producerIds) this.published.delete(id);
        this.fallback.update();
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
    }
    this.#advance(event.seq);
  }

  #addProducer(producer: PublishedProducer): void {
    if (this.published.has(producer.id)) return;
    this.published.set(producer.id, producer);
    // Not awaited: the queue goes on while viewers are offered the producer.
    void detached(() => this.fanOut(producer));
  }

  /** Brings this node's view in line with a snapshot, acting on what changed. */
  async #resync(snapshot: MeetingSnapshot): Promise<void> {
    const ids = new Set(snapshot.producers.map((p) => p.id));
    for (const id of [...this.published.keys()]) if (!ids.has(id)) this.published.delete(id);
    for (const p of snapshot.producers) this.#addProducer(p);
    this.fallback.update();
    const b = snapshot.breakouts;
    if (JSON.stringify(b) !== JSON.stringify(this.breakouts)) await this.#setBreakouts(b);
    else await this.#moveMisplaced();
    this.#forgetBreakoutSessions();
    // Holds a left-behind task decided or never reached: checked again for everyone.
    void this.applyHolds();
    // A speaker ended or muted while this node was not listening: check the local ones.
    for (const peer of this.peers.values()) {
      if (peer.producers.size === 0 || peer.isHost || this.sessionOf(peer).isHost(peer)) continue;
      const speaker = await this.state.speaker(peer.sessionKey, peer.userId);
      if (!speaker || speaker.state !== 'speaking') await this.closeSending(peer);
      else await this.#speakerMuted(peer.sessionKey, peer.userId, speaker.muted);
    }
    this.#advance(snapshot.seq);
  }

  async #setBreakouts(next: Breakouts | null): Promise<void> {
    const prev = this.breakouts;
    this.breakouts = next;
    this.#armBreakoutTimer();
    if (!prev && !next) return;
    if (!prev !== !next) {
      // Started or ended: every local participant goes where they belong now.
      await this.#moveMisplaced();
      if (!next) this.#forgetBreakoutSessions();
    } else if (prev!.speakToAll !== next!.speakToAll) {
      // Not awaited: the holds follow beside the queue (applyHolds).
      void this.applyHolds();
    }
  }

  /** No breakouts: only the main session is left (a late move may have named a breakout again). */
  #forgetBreakoutSessions(): void {
    if (this.breakouts) return;
    for (const key of [...this.sessions.keys()]) {
      if (key !== MAIN && ![...this.peers.values()].some((p) => p.sessionKey === key)) this.sessions.delete(key);
    }
  }

  /** Moves every local participant not in the session they belong in now (event queue only). */
  async #moveMisplaced(): Promise<void> {
    const movers = [...this.peers.values()].filter((p) => this.placeFor(p) !== p.sessionKey);
    if (movers.length === 0) return;
    this.log.info({ movers: movers.length, breakouts: this.breakouts !== null }, 'moving local participants to their sessions');
    await waitOn(
      `moving ${movers.length} participant(s)`,
      forEachLimited(movers, MOVE_CONCURRENCY, async (peer) => {
        await this.move(peer, this.placeFor(peer)).catch((error: unknown) =>
          this.log.warn({ peer: peer.userId, err: String(error) }, 'move failed'),
        );
        progressed();
      }),
    );
  }

  #armBreakoutTimer(): void {
    if (this.#breakoutTimer) clearTimeout(this.#breakoutTimer);
    this.#breakoutTimer = null;
    const endsAt = this.breakouts?.endsAt;
    if (!endsAt || this.#closed) return;
    // Every node arms it; the store lets one of them end the breakouts. The recall is a flow of
    // its own (it waits for the queue), not part of the event being applied now.
    const arm = (delayMs: number): void => {
      this.#breakoutTimer = detached(() => setTimeout(fire, delayMs));
      this.#breakoutTimer.unref();
    };
    const fire = (): void => {
      this.#breakoutTimer = null;
      void this.onBreakoutTimer?.().catch((error: unknown) => {
        // Never leave breakouts running past their end ("0:00 left"): try again while they do.
        this.log.error({ err: String(error) }, 'timed recall failed; trying again');
        if (!this.#closed && this.breakouts?.endsAt === endsAt && !this.#breakoutTimer) arm(RECALL_RETRY_MS);
      });
    };
    arm(Math.max(0, endsAt - Date.now()));
  }

  async #speakerEnded(sessionKey: string, userId: string): Promise<void> {
    const peer = this.peers.get(userId);
    if (peer && this.#sendsOnlyAsSpeaker(peer, sessionKey)) await this.closeSending(peer);
  }

  async #speakerMuted(sessionKey: string, userId: string, muted: boolean): Promise<void> {
    const peer = this.peers.get(userId);
    if (!peer || peer.sessionKey !== sessionKey) return;
    for (const p of peer.producers.values()) {
      if (p.source === 'mic') await (muted ? this.sfu.pauseProducer(p.id) : this.sfu.resumeProducer(p.id));
    }
  }

  // ---- sweeping: departures past their grace, and dead signaling nodes -------------------------

  #sweeping = false;

  async #sweep(): Promise<void> {
    if (this.#sweeping || this.#closed) return;
    this.#sweeping = true;
    try {
      const now = Date.now();
      const alive = new Set(await this.#deps.aliveNodes());
      for (const node of await this.state.nodes()) {
        if (node === this.nodeId || alive.has(node)) continue;
        const evicted = await this.state.evictNode(node, now + this.options.departureGraceMs);
        if (evicted.length > 0) this.log.warn({ node, evicted: evicted.length }, 'a signaling node died: its participants left the roster');
      }
      for (const userId of await this.state.claimExpiredDepartures(now, 500)) {
        await this.dropDeparted(userId);
        // Not back within the grace: an interval that a dead node left open ends when they left
        // (the departure began a grace ago; a live node closes its own intervals itself).
        this.attendance.abandoned(this.id, userId, now - this.options.departureGraceMs);
      }
    } catch (error) {
      this.log.warn({ err: String(error) }, 'sweep failed');
    } finally {
      this.#sweeping = false;
    }
  }

  /** A participant as the store has it (any node). */
  participant(userId: string): Promise<Participant | null> {
    return this.state.participant(userId);
  }

  /**
   * Closes this node's view of the meeting. With `media`, the meeting is over everywhere (no
   * participant on any node): its SFU rooms close too.
   */
  async close(media = true): Promise<void> {
    this.#closed = true;
    this.#events.close();
    this.#rejoins.close();
    for (const u of this.#unsubscribe) u();
    clearInterval(this.#sweepTimer);
    if (this.#breakoutTimer) clearTimeout(this.#breakoutTimer);
    this.feeds.close();
    for (const done of this.onClose.splice(0)) done();
    for (const w of this.#waiters.splice(0)) w.resolve();
    this.peers.clear();
    this.published.clear();
    this.consumerOwner.clear();
    this.state.close();
    if (media) await Promise.all([...this.sessions.values()].map((s) => this.sfu.closeRoom(s.roomId)));
  }
}
