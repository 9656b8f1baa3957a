/**
 * A meeting on this signaling node: its participants, its sessions (the main session and, during
 * breakouts, one per province), what is published, and the SFU rooms that carry its media. The
 * join flow (joinFlow.ts), publish flow (publishFlow.ts), hands (handFlow.ts), speakers
 * (speakFlow.ts) and breakouts (breakoutFlow.ts) act on it.
 *
 * Media topology: every participant receives on the main room's router; each session's
 * publishers send to that session's own origin router, piped (once per producer) to the main
 * router. Moving between sessions closes the consumers no longer wanted and creates the new ones,
 * on the same transport: no renegotiation.
 *
 * Viewer-facing traffic is per viewer (its own consumers) or session/meeting-level; hosts get
 * throttled numbers, never one event per join.
 */
import type { SfuControl } from '../../sfu/types';
import { logger, type Logger } from '../../common/log';
import type {
  BreakoutStatus,
  BreakoutsState,
  ConsumerInfo,
  MeetingStats,
  SessionInfo,
  SpeakState,
} from '../protocol/events';
import type { TypedServer } from '../socketTypes';
import { TokenBucket } from '../admission';
import { AppError } from '../protocol/errors';
import { MAIN, MeetingSession } from './MeetingSession';
import type { Peer, PublishedProducer } from './Peer';

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
}

export interface Breakouts {
  startedAt: number;
  endsAt: number | null;
  nationalOverlay: boolean;
  speakToAll: boolean;
}

/** How many consumer operations a fan-out or a move runs at once. */
const FANOUT_CONCURRENCY = 16;

/** Runs `work` over `items`, at most `concurrency` at a time. */
export async function forEachLimited<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

export class Meeting {
  readonly id: string;
  readonly #sfu: SfuControl;
  readonly #io: TypedServer;
  readonly #log: Logger;
  readonly peers = new Map<string, Peer>();
  /** Everything currently published in the meeting, by producer id. */
  readonly published = new Map<string, PublishedProducer>();
  /** Consumer id → owning user id, to route SFU consumer events. */
  readonly consumerOwner = new Map<string, string>();
  /** Bumped whenever the media side is reset (worker loss): stale async work checks it. */
  epoch = 0;
  readonly sessions = new Map<string, MeetingSession>();
  readonly main: MeetingSession;
  breakouts: Breakouts | null = null;
  /** Ends timed breakouts (breakoutFlow.ts arms it). */
  breakoutTimer: NodeJS.Timeout | null = null;
  readonly options: MeetingOptions;
  readonly #handBuckets = new Map<string, TokenBucket>();
  readonly #departures = new Map<string, NodeJS.Timeout>();
  #statsTimer: NodeJS.Timeout;
  #lastStats = '';
  #lastBreakoutStatus = '';

  constructor(id: string, sfu: SfuControl, io: TypedServer, options: MeetingOptions) {
    this.id = id;
    this.#sfu = sfu;
    this.#io = io;
    this.options = options;
    this.#log = logger('meeting', { meeting: id });
    this.main = this.#newSession(MAIN);
    this.#statsTimer = setInterval(() => this.#pushStats(), options.statsIntervalMs);
    this.#statsTimer.unref();
  }

  get sfu(): SfuControl {
    return this.#sfu;
  }

  get io(): TypedServer {
    return this.#io;
  }

  get log(): Logger {
    return this.#log;
  }

  /** socket.io room of everyone in the meeting (meeting-wide broadcasts). */
  get roomName(): string {
    return `m:${this.id}`;
  }

  /** The SFU room every participant receives on (the main session's router). */
  get viewerRoomId(): string {
    return this.main.roomId;
  }

  #newSession(key: string): MeetingSession {
    const session = new MeetingSession(this.id, key, this.#io, this.options.handSummaryIntervalMs, this.options.handSummaryHead);
    this.sessions.set(key, session);
    return session;
  }

  sessionOf(peer: Peer): MeetingSession {
    return this.sessions.get(peer.sessionKey) ?? this.main;
  }

  /** The session a participant belongs in now: their province's during breakouts, else main. */
  placeFor(peer: Peer): string {
    const { role, province } = peer.claims;
    if (!this.breakouts || role === 'host' || !province) return MAIN;
    return province;
  }

  /** The session for a key, created (with its origin router) if needed. */
  async ensureSession(key: string): Promise<MeetingSession> {
    let session = this.sessions.get(key);
    if (!session) session = this.#newSession(key);
    // The meeting is the group: a breakout gets an origin router of its own (SfuControl.openRoom).
    await this.#sfu.openRoom(session.roomId, this.viewerRoomId);
    return session;
  }

  /** National hosts always; a province host in their own breakout; granted speakers. */
  canSend(peer: Peer): boolean {
    if (peer.isHost) return true;
    const session = this.sessionOf(peer);
    return session.isHost(peer) || session.speakers.get(peer.userId)?.state === 'speaking';
  }

  sessionInfo(peer: Peer): SessionInfo {
    const session = this.sessionOf(peer);
    return { key: session.key, province: session.province, canSend: this.canSend(peer), isSessionHost: session.isHost(peer) };
  }

  breakoutsState(): BreakoutsState {
    const b = this.breakouts;
    return {
      active: b !== null,
      endsAt: b?.endsAt ?? null,
      nationalOverlay: b?.nationalOverlay ?? false,
      speakToAll: b?.speakToAll ?? false,
      serverNow: Date.now(),
    };
  }

  /** Whether `peer` should receive `producer`, given the sessions and breakout settings. */
  wants(peer: Peer, producer: PublishedProducer): boolean {
    if (producer.peerId === peer.userId) return false;
    if (peer.audioOnly && producer.kind === 'video') return false;
    if (producer.sessionKey === peer.sessionKey) return true;
    if (!this.breakouts || !producer.national || peer.sessionKey === MAIN) return false;
    // In a breakout: the national audio (held silent unless speaking to all), and optionally the
    // national camera as an overlay.
    return producer.kind === 'audio' || (this.breakouts.nationalOverlay && producer.source === 'camera');
  }

  /** National audio stays paused in breakouts unless the national host speaks to all. */
  isHeld(peer: Peer, producer: PublishedProducer): boolean {
    return peer.sessionKey !== MAIN && producer.national && producer.kind === 'audio' && !this.breakouts?.speakToAll;
  }

  stats(): MeetingStats {
    let hosts = 0;
    for (const p of this.peers.values()) if (p.isHost) hosts += 1;
    return { viewers: this.peers.size - hosts, hosts };
  }

  breakoutStatus(): BreakoutStatus[] {
    const out = new Map<string, BreakoutStatus>();
    for (const session of this.sessions.values()) {
      if (!session.isMain) out.set(session.key, { province: session.key, hostPresent: false, teachers: 0, hands: session.hands.size });
    }
    for (const peer of this.peers.values()) {
      const row = out.get(peer.sessionKey);
      if (!row) continue;
      if (this.sessionOf(peer).isHost(peer)) row.hostPresent = true;
      else row.teachers += 1;
    }
    return [...out.values()].sort((a, b) => a.province.localeCompare(b.province));
  }

  #pushStats(): void {
    const stats = this.stats();
    const key = `${stats.viewers}/${stats.hosts}`;
    if (key !== this.#lastStats) {
      this.#lastStats = key;
      this.#io.to(this.main.hostsRoomName).emit('meetingStats', stats);
    }
    if (this.breakouts) {
      const status = this.breakoutStatus();
      const statusKey = JSON.stringify(status);
      if (statusKey !== this.#lastBreakoutStatus) {
        this.#lastBreakoutStatus = statusKey;
        this.#io.to(this.main.hostsRoomName).emit('breakoutStatus', status);
      }
    }
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

  speakStateOf(session: MeetingSession, userId: string): SpeakState {
    const speaker = session.speakers.get(userId);
    return {
      handRaised: session.hands.has(userId),
      invitation: speaker?.state === 'invited' ? { allowVideo: speaker.allowVideo } : null,
      grant: speaker?.state === 'speaking' ? { allowVideo: speaker.allowVideo, muted: speaker.muted } : null,
    };
  }

  /** Tells one participant (if connected here) their own hand, invitation and grant. */
  pushSpeakState(userId: string): void {
    const peer = this.peers.get(userId);
    if (peer) this.#io.to(peer.socketId).emit('speakState', this.speakStateOf(this.sessionOf(peer), userId));
  }

  /** Speakers changed: the session's hosts get the list, the session hears who is speaking. */
  speakersChanged(session: MeetingSession): void {
    const list = [...session.speakers.values()];
    this.#io.to(session.hostsRoomName).emit('speakersChanged', list);
    this.#io.to(session.roomName).emit(
      'activeSpeakers',
      list.filter((s) => s.state === 'speaking').map((s) => ({ userId: s.userId, name: s.name })),
    );
  }

  /** What a session host joining (or moving in) needs at once: numbers, the queue, the speakers. */
  sendHostState(socketId: string, session: MeetingSession): void {
    if (session.isMain) {
      this.#io.to(socketId).emit('meetingStats', this.stats());
      if (this.breakouts) this.#io.to(socketId).emit('breakoutStatus', this.breakoutStatus());
    }
    this.#io.to(socketId).emit('handQueue', session.summary(this.options.handSummaryHead));
    this.#io.to(socketId).emit('speakersChanged', [...session.speakers.values()]);
  }

  /** Puts a peer's socket in its session's rooms and tells it where it is. */
  async enterSession(peer: Peer): Promise<void> {
    const socket = this.#io.sockets.sockets.get(peer.socketId);
    const session = this.sessionOf(peer);
    if (socket) {
      for (const room of socket.rooms) if (room.startsWith(`m:${this.id}:s:`)) await socket.leave(room);
      await socket.join(session.roomName);
      if (session.isHost(peer)) {
        await socket.join(session.hostsRoomName);
        this.sendHostState(socket.id, session);
      }
    }
    this.#io.to(peer.socketId).emit('sessionChanged', this.sessionInfo(peer));
    this.#io.to(peer.socketId).emit('speakState', this.speakStateOf(session, peer.userId));
    this.#io.to(peer.socketId).emit('activeSpeakers', [...session.speakers.values()]
      .filter((s) => s.state === 'speaking')
      .map((s) => ({ userId: s.userId, name: s.name })));
  }

  /** Ends a speaker's grant (or invitation): closes what they publish and their send transport. */
  async endSpeaking(session: MeetingSession, userId: string): Promise<void> {
    if (!session.speakers.delete(userId)) return;
    const peer = this.peers.get(userId);
    if (peer && !peer.isHost && !session.isHost(peer)) await this.closeSending(peer);
    this.pushSpeakState(userId);
    this.speakersChanged(session);
  }

  /** Closes everything a peer publishes, and its send transport. */
  async closeSending(peer: Peer): Promise<void> {
    for (const producerId of peer.producers.keys()) this.published.delete(producerId);
    peer.producers.clear();
    const sendTransports = [...peer.transports].filter(([, dir]) => dir === 'send').map(([id]) => id);
    for (const id of sendTransports) peer.transports.delete(id);
    await Promise.all(sendTransports.map((id) => this.#sfu.closeTransport(id)));
  }

  /** A participant came (back): cancel the pending clean-up of their hand and grant. */
  arrived(userId: string): void {
    const timer = this.#departures.get(userId);
    if (timer) clearTimeout(timer);
    this.#departures.delete(userId);
  }

  /** A participant disconnected: keep their hand and grant for a reconnect, then drop them. */
  departed(userId: string, immediately: boolean): void {
    const drop = (): void => {
      this.#departures.delete(userId);
      if (this.peers.has(userId)) return;
      this.#handBuckets.delete(userId);
      for (const session of this.sessions.values()) {
        if (session.hands.lower(userId)) session.handsChanged();
        void this.endSpeaking(session, userId);
      }
    };
    if (immediately) return drop();
    if (this.#departures.has(userId)) return;
    const timer = setTimeout(drop, this.options.departureGraceMs);
    timer.unref();
    this.#departures.set(userId, timer);
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
      const localId = await this.#sfu.pipeProducer(producer.id, peer.edgeRoomId);
      params = await this.#sfu.consume(peer.recvTransportId, localId, peer.rtpCapabilities as never);
    } finally {
      peer.consuming.delete(producer.id);
    }
    if (!params) return null;
    peer.consumers.set(params.id, producer.id);
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
      if (info) this.#io.to(peer.socketId).emit('newConsumer', info);
    } catch (error) {
      this.#log.warn({ peer: peer.userId, producer: producer.id, err: String(error) }, 'offer() | consume failed');
    }
  }

  /** A new producer reaches every participant who wants it, a bounded number at a time. */
  async fanOut(producer: PublishedProducer): Promise<void> {
    const epoch = this.epoch;
    const targets = [...this.peers.values()].filter((p) => p.recvTransportId && this.wants(p, producer));
    await forEachLimited(targets, FANOUT_CONCURRENCY, async (peer) => {
      if (epoch !== this.epoch || !this.published.has(producer.id) || this.peers.get(peer.userId) !== peer) return;
      await this.offer(peer, producer);
    });
  }

  /**
   * Moves a participant to another session without touching its transport: consumers it no
   * longer wants are closed, the new session's producers are consumed, and a grant in the old
   * session ends.
   */
  async move(peer: Peer, key: string): Promise<void> {
    const from = this.sessionOf(peer);
    if (from.key === key) return;
    const to = await this.ensureSession(key);
    if (from.speakers.has(peer.userId)) await this.endSpeaking(from, peer.userId);
    if (from.isHost(peer)) await this.closeSending(peer);
    peer.sessionKey = to.key;
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
      await this.#sfu.closeConsumer(consumerId);
      this.#io.to(peer.socketId).emit('consumerClosed', { consumerId, producerId });
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
    const held = this.isHeld(peer, producer);
    if (held === peer.held.has(consumerId)) return;
    if (held) {
      peer.held.add(consumerId);
      await this.#sfu.pauseConsumer(consumerId);
    } else {
      peer.held.delete(consumerId);
      await this.#sfu.resumeConsumer(consumerId);
    }
  }

  /** Speak-to-all changed: hold or release the national audio in every breakout. */
  async applyHolds(): Promise<void> {
    const work: [Peer, string, PublishedProducer][] = [];
    for (const peer of this.peers.values()) {
      for (const [consumerId, producerId] of peer.consumers) {
        const producer = this.published.get(producerId);
        if (producer?.national && producer.kind === 'audio') work.push([peer, consumerId, producer]);
      }
    }
    await forEachLimited(work, FANOUT_CONCURRENCY, ([peer, consumerId, producer]) =>
      this.#applyHold(peer, consumerId, producer).catch((error: unknown) =>
        this.#log.warn({ err: String(error) }, 'applyHolds() | failed'),
      ),
    );
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
    this.#io.to(peer.socketId).emit('consumerClosed', { consumerId, producerId });
    // The producer lives on but this consumer's feed went (a relay node of the cluster died):
    // offer it again, through whatever path the SFU finds now.
    const producer = this.published.get(producerId);
    if (producer && this.wants(peer, producer)) void this.offer(peer, producer);
  }

  /** Closes everything a peer owns on the SFU. */
  async closePeerMedia(peer: Peer): Promise<void> {
    for (const producerId of peer.producers.keys()) this.published.delete(producerId);
    for (const consumerId of peer.consumers.keys()) this.consumerOwner.delete(consumerId);
    const transports = [...peer.transports.keys()];
    peer.resetMedia();
    // Closing a transport closes its producers and consumers; viewers hear consumerClosed.
    await Promise.all(transports.map((t) => this.#sfu.closeTransport(t)));
  }

  /**
   * SFU rooms were lost with their worker. An origin among them takes its producers along, so
   * everyone rebuilds; an edge alone only concerns the participants receiving there, who are
   * re-homed by running the join flow again (no reload).
   */
  onRoomsLost(roomIds: string[]): void {
    const lost = new Set(roomIds);
    if ([...this.sessions.values()].some((s) => lost.has(s.roomId))) return this.onRoomLost();
    for (const peer of this.peers.values()) {
      if (!peer.edgeRoomId || !lost.has(peer.edgeRoomId)) continue;
      for (const consumerId of peer.consumers.keys()) this.consumerOwner.delete(consumerId);
      peer.resetReceiving();
      this.rehomes += 1;
      this.#io.to(peer.socketId).emit('rejoin', { reason: 'media_server_restarted' });
    }
  }

  /** Participants asked to rejoin because their edge was lost. */
  rehomes = 0;

  /** The meeting's origin was lost: every participant rebuilds its media without reload. */
  onRoomLost(): void {
    this.epoch += 1;
    this.published.clear();
    this.consumerOwner.clear();
    // Transports on workers that survived would otherwise live on beside the new ones.
    const transports = [...this.peers.values()].flatMap((p) => [...p.transports.keys()]);
    void Promise.all(transports.map((t) => this.#sfu.closeTransport(t).catch(() => undefined)));
    for (const peer of this.peers.values()) peer.resetMedia();
    this.#log.warn({ peers: this.peers.size }, 'media room lost; asking every participant to rejoin');
    this.#io.to(this.roomName).emit('rejoin', { reason: 'media_server_restarted' });
  }

  async removePeer(peer: Peer): Promise<void> {
    if (this.peers.get(peer.userId) !== peer) return;
    this.peers.delete(peer.userId);
    await this.closePeerMedia(peer);
  }

  get empty(): boolean {
    return this.peers.size === 0;
  }

  async close(): Promise<void> {
    clearInterval(this.#statsTimer);
    if (this.breakoutTimer) clearTimeout(this.breakoutTimer);
    for (const t of this.#departures.values()) clearTimeout(t);
    this.#departures.clear();
    for (const s of this.sessions.values()) s.close();
    this.peers.clear();
    this.published.clear();
    this.consumerOwner.clear();
    await Promise.all([...this.sessions.values()].map((s) => this.#sfu.closeRoom(s.roomId)));
  }
}
