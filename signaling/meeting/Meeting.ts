/**
 * A meeting on this signaling node: its participants, what is published, and the SFU room that
 * carries its media. The join flow (joinFlow.ts) and the publish flow (publishFlow.ts) act on it.
 *
 * Viewer-facing traffic is per viewer (its own consumers) or meeting-level; hosts get throttled
 * attendance numbers, never one event per join.
 */
import type { SfuControl } from '../../sfu/types';
import { logger, type Logger } from '../../common/log';
import type { ConsumerInfo, MeetingStats, SpeakerInfo, SpeakState } from '../protocol/events';
import type { TypedServer } from '../socketTypes';
import { TokenBucket } from '../admission';
import { HandQueue, Throttle } from './HandQueue';
import type { Peer, PublishedProducer } from './Peer';

export interface MeetingOptions {
  statsIntervalMs: number;
  /** Hosts get hand-queue summaries at most this often. Default 500 ms. */
  handSummaryIntervalMs: number;
  /** Entries in the head of each summary. Default 50. */
  handSummaryHead: number;
  /** Concurrent teacher speakers (invited or speaking). Default 2. */
  maxSpeakers: number;
  /** A departed participant's hand and grant survive this long (a reconnect). Default 60 s. */
  departureGraceMs: number;
  /** Hand toggles per user: sustained per second, and burst. */
  handTogglesPerSecond: number;
  handToggleBurst: number;
}

/** How many consumers a producer fan-out creates at once. */
const FANOUT_CONCURRENCY = 16;

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
  readonly hands = new HandQueue();
  /** Invited and current teacher speakers, by user id (survives the speaker's reconnect). */
  readonly speakers = new Map<string, SpeakerInfo>();
  readonly options: MeetingOptions;
  readonly #handThrottle: Throttle;
  readonly #handBuckets = new Map<string, TokenBucket>();
  readonly #departures = new Map<string, NodeJS.Timeout>();
  #statsTimer: NodeJS.Timeout;
  #lastStats = '';

  constructor(id: string, sfu: SfuControl, io: TypedServer, options: MeetingOptions) {
    this.id = id;
    this.#sfu = sfu;
    this.#io = io;
    this.options = options;
    this.#log = logger('meeting', { meeting: id });
    this.#statsTimer = setInterval(() => this.#pushStats(), options.statsIntervalMs);
    this.#statsTimer.unref();
    this.#handThrottle = new Throttle(options.handSummaryIntervalMs, () =>
      this.#io.to(this.hostsRoomName).emit('handQueue', this.hands.summary(options.handSummaryHead)),
    );
  }

  /** Hosts and granted speakers may send media. */
  canSend(peer: Peer): boolean {
    return peer.isHost || this.speakers.get(peer.userId)?.state === 'speaking';
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

  /** The hand queue changed: hosts get a (throttled) summary. */
  handsChanged(): void {
    this.#handThrottle.poke();
  }

  speakStateOf(userId: string): SpeakState {
    const speaker = this.speakers.get(userId);
    return {
      handRaised: this.hands.has(userId),
      invitation: speaker?.state === 'invited' ? { allowVideo: speaker.allowVideo } : null,
      grant: speaker?.state === 'speaking' ? { allowVideo: speaker.allowVideo, muted: speaker.muted } : null,
    };
  }

  /** Tells one participant (if connected here) their own hand, invitation and grant. */
  pushSpeakState(userId: string): void {
    const peer = this.peers.get(userId);
    if (peer) this.#io.to(peer.socketId).emit('speakState', this.speakStateOf(userId));
  }

  /** Speakers changed: hosts get the list, everyone gets who is speaking. */
  speakersChanged(): void {
    const list = [...this.speakers.values()];
    this.#io.to(this.hostsRoomName).emit('speakersChanged', list);
    this.#io.to(this.roomName).emit(
      'activeSpeakers',
      list.filter((s) => s.state === 'speaking').map((s) => ({ userId: s.userId, name: s.name })),
    );
  }

  /** What a host joining (or rejoining) needs at once: numbers, the queue, the speakers. */
  sendHostState(socketId: string): void {
    this.#io.to(socketId).emit('meetingStats', this.stats());
    this.#io.to(socketId).emit('handQueue', this.hands.summary(this.options.handSummaryHead));
    this.#io.to(socketId).emit('speakersChanged', [...this.speakers.values()]);
  }

  /** Ends a speaker's grant (or invitation): closes what they publish and their send transport. */
  async endSpeaking(userId: string): Promise<void> {
    if (!this.speakers.delete(userId)) return;
    const peer = this.peers.get(userId);
    if (peer && !peer.isHost) {
      for (const producerId of peer.producers.keys()) this.published.delete(producerId);
      peer.producers.clear();
      const sendTransports = [...peer.transports].filter(([, dir]) => dir === 'send').map(([id]) => id);
      for (const id of sendTransports) peer.transports.delete(id);
      await Promise.all(sendTransports.map((id) => this.#sfu.closeTransport(id)));
    }
    this.pushSpeakState(userId);
    this.speakersChanged();
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
      if (this.hands.lower(userId)) this.handsChanged();
      this.#handBuckets.delete(userId);
      void this.endSpeaking(userId);
    };
    if (immediately) return drop();
    if (this.#departures.has(userId)) return;
    const timer = setTimeout(drop, this.options.departureGraceMs);
    timer.unref();
    this.#departures.set(userId, timer);
  }

  get sfu(): SfuControl {
    return this.#sfu;
  }

  get log(): Logger {
    return this.#log;
  }

  get roomName(): string {
    return `m:${this.id}`;
  }

  get hostsRoomName(): string {
    return `m:${this.id}:hosts`;
  }

  stats(): MeetingStats {
    let hosts = 0;
    for (const p of this.peers.values()) if (p.isHost) hosts += 1;
    return { viewers: this.peers.size - hosts, hosts };
  }

  #pushStats(): void {
    const stats = this.stats();
    const key = `${stats.viewers}/${stats.hosts}`;
    if (key === this.#lastStats) return;
    this.#lastStats = key;
    this.#io.to(this.hostsRoomName).emit('meetingStats', stats);
  }

  /** Creates a paused consumer of `producer` for `peer` and tells the peer, or returns null. */
  async consumeFor(peer: Peer, producer: PublishedProducer): Promise<ConsumerInfo | null> {
    if (!peer.recvTransportId || !peer.rtpCapabilities || producer.peerId === peer.userId) return null;
    const params = await this.#sfu.consume(peer.recvTransportId, producer.id, peer.rtpCapabilities as never);
    if (!params) return null;
    peer.consumers.set(params.id, producer.id);
    this.consumerOwner.set(params.id, peer.userId);
    return {
      id: params.id,
      producerId: producer.id,
      kind: params.kind,
      rtpParameters: params.rtpParameters as unknown as ConsumerInfo['rtpParameters'],
      source: producer.source,
      peerId: producer.peerId,
      peerName: producer.peerName,
    };
  }

  /** A new producer reaches every viewer already consuming, a bounded number at a time. */
  async fanOut(producer: PublishedProducer): Promise<void> {
    const epoch = this.epoch;
    const targets = [...this.peers.values()].filter((p) => p.userId !== producer.peerId && p.recvTransportId);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < targets.length) {
        const peer = targets[next++]!;
        if (epoch !== this.epoch || !this.published.has(producer.id)) return;
        if (this.peers.get(peer.userId) !== peer) continue;
        try {
          const info = await this.consumeFor(peer, producer);
          if (info) this.#io.to(peer.socketId).emit('newConsumer', info);
        } catch (error) {
          this.#log.warn({ peer: peer.userId, producer: producer.id, err: String(error) }, 'fanOut() | consume failed');
        }
      }
    };
    await Promise.all(Array.from({ length: FANOUT_CONCURRENCY }, worker));
  }

  /** The SFU closed a consumer (its producer went away): forget it and tell its owner. */
  onConsumerClosed(consumerId: string, producerId: string): void {
    const owner = this.consumerOwner.get(consumerId);
    if (owner === undefined) return;
    this.consumerOwner.delete(consumerId);
    const peer = this.peers.get(owner);
    if (!peer) return;
    peer.consumers.delete(consumerId);
    this.#io.to(peer.socketId).emit('consumerClosed', { consumerId, producerId });
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

  /** The SFU room was lost (worker died): every participant rebuilds its media without reload. */
  onRoomLost(): void {
    this.epoch += 1;
    this.published.clear();
    this.consumerOwner.clear();
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
    this.#handThrottle.close();
    for (const t of this.#departures.values()) clearTimeout(t);
    this.#departures.clear();
    this.peers.clear();
    this.published.clear();
    this.consumerOwner.clear();
    await this.#sfu.closeRoom(this.id);
  }
}
