/**
 * A meeting as one signaling node serves it: the participants connected through this node (with
 * the media objects they own on the SFU), and this node's view of what the meeting store holds
 * for every node (published producers, breakouts), kept current from the store's ordered events.
 * The join flow (joinFlow.ts), publish flow (publishFlow.ts), hands (handFlow.ts), speakers
 * (speakFlow.ts) and breakouts (breakoutFlow.ts) act on it; host summaries come from
 * hostFeeds.ts.
 *
 * This class holds the shared state and maps sessions to SFU rooms; each other concern is a part
 * of its own, which sees the meeting through a narrow interface (so imports go one way):
 *   - meetingEvents.ts: the store's events and resync, applied by the meeting's event queue;
 *   - consumerPlanning.ts: who receives what, fan-out, reconcile;
 *   - nationalAudioHolds.ts: the national audio held in breakouts (speak to all), beside the queue;
 *   - nationalFallback.ts: breakouts with nothing on air showing the national session;
 *   - sessionMoves.ts: moving a participant between sessions;
 *   - speakerGrants.ts: hand-toggle limits, speak state, ending grants;
 *   - peerMedia.ts: closing participants' media, and losing it with a worker or node;
 *   - departures.ts: the grace after a disconnect, and the sweep; breakoutTimer.ts: timed recalls.
 *
 * Media topology: every participant receives on the main room's router; each session's
 * publishers send to that session's own origin router, piped (once per producer) to the main
 * router. Moving between sessions closes the consumers no longer wanted and creates the new ones,
 * on the same transport: no renegotiation.
 *
 * Events from the store (including those this node's own writes caused) are applied in order, one
 * at a time, by the meeting's event queue (meetingEvents.ts); every node applies them to its own
 * participants. A flow that needs its change applied here before it answers waits with
 * `caughtUp()`. The rule that keeps a meeting from freezing: **nothing run by the event queue
 * waits for the event queue.** Code reached from the queue's apply or resync never awaits
 * `caughtUp()` (which refuses, with SelfWaitError, when asked from inside the queue) nor anything
 * that does; what such code must see done (a speaker's sending closed when moved) it does itself,
 * directly. The queue's watchdog leaves a task stuck past its bound behind and resyncs from the
 * store (common/SerialQueue.ts).
 */
import { NO_ATTENDANCE, type AttendanceRecorder } from '../attendance/AttendanceRecorder';
import { NO_PLANS, type BreakoutPlans } from './BreakoutPlans';
import type { SfuControl } from '../../sfu/types';
import { logger, type Logger } from '../../common/log';
import type { BreakoutStatus, BreakoutsState, ConsumerInfo, MeetingStats, SessionInfo, SpeakState } from '../protocol/events';
import { NO_PRODUCTION, type Breakouts, type CrewRole, type MeetingState, type Participant, type Production, type PublishedProducer } from '../store/types';
import { BreakoutTimer } from './breakoutTimer';
import { ConsumerPlanner } from './consumerPlanning';
import { Departures } from './departures';
import { HostFeeds, breakoutStatus, meetingStats } from './hostFeeds';
import { MeetingEvents } from './meetingEvents';
import type { MeetingDeps, MeetingOptions } from './meetingOptions';
import { MAIN, MeetingSession } from './MeetingSession';
import { NationalAudioHolds } from './nationalAudioHolds';
import { NationalFallback } from './nationalFallback';
import type { MeetingNotifier } from './Notifier';
import type { Peer } from './Peer';
import { PeerMedia } from './peerMedia';
import { SessionMoves } from './sessionMoves';
import { SpeakerGrants } from './speakerGrants';
import { crewSources, inBackstage, onAir, type Actor } from './production';
import { StageFollow } from './stageFollow';

export type { Breakouts, MeetingDeps, MeetingOptions };

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
  /** The crew and the stage as of the last event applied (meeting/production.ts). */
  production: Production = NO_PRODUCTION;
  readonly feeds: HostFeeds;
  /** Breakouts with nothing of their own on air show the national session (nationalFallback.ts). */
  readonly fallback: NationalFallback;
  /** Ends the breakouts when their timer runs out (set where the meeting opens: socketServer.ts, with breakoutFlow's recall). */
  onBreakoutTimer: (() => Promise<void>) | null = null;
  /** Run when this node's view closes (parts opened beside the meeting, e.g. qa/QaRuntime). */
  readonly onClose: (() => void)[] = [];
  /** Where attendance intervals go (joinFlow and move() call it). */
  readonly attendance: AttendanceRecorder;
  /** Where a breakout start without provinces or duration finds the meeting's plan. */
  readonly plans: BreakoutPlans;

  readonly #events: MeetingEvents;
  readonly #holds: NationalAudioHolds;
  readonly #consumers: ConsumerPlanner;
  readonly #grants: SpeakerGrants;
  readonly #media: PeerMedia;
  readonly #departures: Departures;
  readonly #breakoutTimer: BreakoutTimer;
  readonly #moves: SessionMoves;
  readonly #stage: StageFollow;
  #closed = false;

  private constructor(id: string, deps: MeetingDeps) {
    this.id = id;
    this.attendance = deps.attendance ?? NO_ATTENDANCE;
    this.plans = deps.plans ?? NO_PLANS;
    this.sfu = deps.sfu;
    this.notify = deps.notify;
    this.state = deps.state;
    this.nodeId = deps.nodeId;
    this.options = deps.options;
    this.log = logger('meeting', { meeting: id });
    this.main = this.#session(MAIN);
    this.fallback = new NationalFallback(this);
    this.#holds = new NationalAudioHolds(this);
    this.#consumers = new ConsumerPlanner(this, this.#holds);
    this.#grants = new SpeakerGrants(this);
    this.#media = new PeerMedia(this, deps.options.rejoinsPerSecond, (socketId, info) => this.notify.toSocket(socketId, 'rejoin', info));
    this.#departures = new Departures(this, this.#grants, deps.aliveNodes);
    this.#breakoutTimer = new BreakoutTimer(this);
    this.#moves = new SessionMoves(this);
    this.#stage = new StageFollow(this);
    this.#events = new MeetingEvents(this, { timer: this.#breakoutTimer, grants: this.#grants, queues: deps.queues });
    this.feeds = new HostFeeds(this);
  }

  /** Opens this node's view of a meeting: subscribes to its events, then loads what they change. */
  static async open(id: string, deps: MeetingDeps): Promise<Meeting> {
    const meeting = new Meeting(id, deps);
    await meeting.#events.open();
    return meeting;
  }

  /** Whether this node's view was closed (parts stop their work). */
  get closed(): boolean {
    return this.#closed;
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

  // ---- sessions and their SFU rooms ------------------------------------------------------------

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
  placeFor(peer: Pick<Peer, 'claims' | 'userId'>): string {
    const { role, province } = peer.claims;
    // The crew works on the national broadcast: it stays in main.
    if (!this.breakouts || role === 'host' || !province || this.crewRole(peer.userId)) return MAIN;
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

  /** National hosts always; a province host in their own breakout; the crew that presents, in main; granted speakers. */
  async canSend(peer: Peer): Promise<boolean> {
    if (peer.isHost) return true;
    const session = this.sessionOf(peer);
    if (session.isHost(peer)) return true;
    if (session.isMain && crewSources(this.crewRole(peer.userId))) return true;
    return (await this.state.speaker(session.key, peer.userId))?.state === 'speaking';
  }

  async sessionInfo(peer: Peer): Promise<SessionInfo> {
    const session = this.sessionOf(peer);
    return {
      key: session.key,
      province: session.province,
      canSend: await this.canSend(peer),
      isSessionHost: session.isHost(peer),
      crewRole: this.crewRole(peer.userId),
      backstage: this.inBackstage(peer),
    };
  }

  // ---- production: the crew and the stage (production.ts, stageFollow.ts) ----------------------

  /** A participant's crew role in this meeting, if any. */
  crewRole(userId: string): CrewRole | null {
    return this.production.crew[userId]?.role ?? null;
  }

  actorOf(peer: Peer): Actor {
    return { userId: peer.userId, role: peer.claims.role, crew: this.crewRole(peer.userId) };
  }

  /** Sends by a crew role (a presenter, producer or interpreter in main), not by a speaker's grant. */
  sendsByCrewRole(peer: Peer): boolean {
    return peer.sessionKey === MAIN && !peer.isHost && crewSources(this.crewRole(peer.userId)) !== null;
  }

  /** Sees and hears every source of the national broadcast, on air or not (in main). */
  inBackstage(peer: Peer): boolean {
    return peer.sessionKey === MAIN && inBackstage(this.actorOf(peer));
  }

  /** Whether a published source reaches the audience now. */
  onAir(producer: PublishedProducer): boolean {
    return onAir(producer, this.production, Date.now());
  }

  /** The production changed (set on `production` already): this node's participants follow, beside the event queue. */
  productionChanged(prev: Production): void {
    this.#stage.changed(prev);
  }

  /** Resolves once this node has followed every production change it applied so far. */
  stageSettled(): Promise<void> {
    return this.#stage.settled();
  }

  /** Tells one participant the stage (and, in the backstage, the production). */
  greetStage(peer: Peer): void {
    this.#stage.greet(peer);
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

  /** Puts a peer's socket in its session's rooms and tells it where it is. */
  enterSession(peer: Peer): Promise<void> {
    return this.#moves.enterSession(peer);
  }

  /**
   * Moves a local participant to another session without touching its transport (sessionMoves.ts);
   * re-checks where they belong once the SFU has answered.
   */
  move(peer: Peer, key: string): Promise<void> {
    return this.#moves.move(peer, key);
  }

  // ---- numbers for hosts (hostFeeds.ts) --------------------------------------------------------

  /** Participants by role and by province, cluster-wide. */
  stats(): Promise<MeetingStats> {
    return meetingStats(this.state, this.options.massAudienceViewers);
  }

  /** Each breakout's host presence, teachers and hands, cluster-wide. */
  breakoutStatus(): Promise<BreakoutStatus[]> {
    return breakoutStatus(this.state);
  }

  // ---- consumers (consumerPlanning.ts) and the national-audio holds (nationalAudioHolds.ts) ----

  /** Whether `peer` should receive `producer`, given the sessions and breakout settings. */
  wants(peer: Peer, producer: PublishedProducer): boolean {
    return this.#consumers.wants(peer, producer);
  }

  /** Whether a consumer of `producer` is held (paused) for `peer` now. */
  isHeld(peer: Peer, producer: PublishedProducer): boolean {
    return this.#holds.isHeld(peer, producer);
  }

  /** Creates a paused consumer of `producer` for `peer`, or returns null. */
  consumeFor(peer: Peer, producer: PublishedProducer): Promise<ConsumerInfo | null> {
    return this.#consumers.consumeFor(peer, producer);
  }

  /** Consumes and announces one producer to one peer; failures are logged, not thrown. */
  offer(peer: Peer, producer: PublishedProducer): Promise<void> {
    return this.#consumers.offer(peer, producer);
  }

  /** A new producer reaches every local participant who wants it, a bounded number at a time. */
  fanOut(producer: PublishedProducer): Promise<void> {
    return this.#consumers.fanOut(producer);
  }

  /** Brings a participant's consumers in line with what it wants now (closes, holds, offers). */
  reconcile(peer: Peer, beforeOffers?: () => Promise<void>): Promise<void> {
    return this.#consumers.reconcile(peer, beforeOffers);
  }

  /** The SFU closed a consumer (its producer went away): forget it and tell its owner. */
  onConsumerClosed(consumerId: string, producerId: string): void {
    this.#consumers.onConsumerClosed(consumerId, producerId);
  }

  /** Holds or releases every local participant's national audio, beside the event queue. */
  applyHolds(): Promise<void> {
    return this.#holds.applyHolds();
  }

  // ---- hands and speakers (speakerGrants.ts), departures (departures.ts) ----------------------

  /** Takes a hand-toggle token for a user; returns 0 or the ms to wait. */
  takeHandToken(userId: string): number {
    return this.#grants.takeHandToken(userId);
  }

  speakStateOf(sessionKey: string, userId: string): Promise<SpeakState> {
    return this.#grants.speakStateOf(sessionKey, userId);
  }

  /** Tells one participant (wherever connected) their own hand, invitation and grant in a session. */
  pushSpeakState(sessionKey: string, userId: string): Promise<void> {
    return this.#grants.pushSpeakState(sessionKey, userId);
  }

  /** Speakers changed: the session's hosts get the list, the session hears who is speaking. */
  speakersChanged(session: MeetingSession): Promise<void> {
    return this.#grants.speakersChanged(session);
  }

  /** Ends a grant or invitation; false when there was none. Never waits for the event queue. */
  endSpeaking(session: MeetingSession, userId: string): Promise<boolean> {
    return this.#grants.endSpeaking(session, userId);
  }

  /** A participant disconnected: keep their hand and grant for a reconnect, then drop them. */
  departed(userId: string, immediately: boolean): Promise<void> {
    return this.#departures.departed(userId, immediately);
  }

  /** A departure is over: the participant's hands go down and grants end, in every session. */
  dropDeparted(userId: string): Promise<void> {
    return this.#departures.dropDeparted(userId);
  }

  // ---- participants' media (peerMedia.ts) ------------------------------------------------------

  /** Closes everything a local peer publishes, and its send transport. */
  closeSending(peer: Peer): Promise<void> {
    return this.#media.closeSending(peer);
  }

  /** Closes everything a local peer owns on the SFU. */
  closePeerMedia(peer: Peer): Promise<void> {
    return this.#media.closePeerMedia(peer);
  }

  /** SFU rooms were lost with their worker or node: the participants concerned rebuild. */
  onRoomsLost(roomIds: string[]): void {
    this.#media.onRoomsLost(roomIds);
  }

  /** The meeting's origin was lost: every local participant rebuilds its media without reload. */
  onRoomLost(): void {
    this.#media.onRoomLost();
  }

  /** Participants asked to rejoin because their edge was lost. */
  get rehomes(): number {
    return this.#media.rehomes;
  }

  async removePeer(peer: Peer): Promise<void> {
    if (this.peers.get(peer.userId) !== peer) return;
    this.peers.delete(peer.userId);
    await this.closePeerMedia(peer);
  }

  get empty(): boolean {
    return this.peers.size === 0;
  }

  /** A participant as the store has it (any node). */
  participant(userId: string): Promise<Participant | null> {
    return this.state.participant(userId);
  }

  // ---- the store's events (meetingEvents.ts) ---------------------------------------------------

  /**
   * Resolves once every event caused by this node's own writes so far has been applied here.
   * For flows answering a client; refused (SelfWaitError) from inside the event queue, which
   * would wait for itself for ever.
   */
  caughtUp(): Promise<void> {
    return this.#events.caughtUp();
  }

  /** Whether the calling code runs inside the event queue (flows check before waiting on it). */
  get inEventQueue(): boolean {
    return this.#events.inEventQueue;
  }

  /** Loads the store's state again (after a client action was cut short by a stall). */
  resync(why: string): void {
    this.#events.enqueueResync(why);
  }

  /**
   * Closes this node's view of the meeting. With `media`, the meeting is over everywhere (no
   * participant on any node): its SFU rooms close too.
   */
  async close(media = true): Promise<void> {
    this.#closed = true;
    this.#events.close();
    this.#media.close();
    this.#departures.close();
    this.#breakoutTimer.close();
    this.#stage.close();
    this.feeds.close();
    for (const done of this.onClose.splice(0)) done();
    this.peers.clear();
    this.published.clear();
    this.consumerOwner.clear();
    this.state.close();
    if (media) await Promise.all([...this.sessions.values()].map((s) => this.sfu.closeRoom(s.roomId)));
  }
}
