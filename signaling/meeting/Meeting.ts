/**
 * A meeting on this signaling node: its participants, what is published, and the SFU room that
 * carries its media. The join flow (joinFlow.ts) and the publish flow (publishFlow.ts) act on it.
 *
 * Viewer-facing traffic is per viewer (its own consumers) or meeting-level; hosts get throttled
 * attendance numbers, never one event per join.
 */
import type { SfuControl } from '../../sfu/types';
import { logger, type Logger } from '../../common/log';
import type { ConsumerInfo, MeetingStats } from '../protocol/events';
import type { TypedServer } from '../socketTypes';
import { Peer, type PublishedProducer } from './Peer';

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
  #statsTimer: NodeJS.Timeout;
  #lastStats = '';

  constructor(id: string, sfu: SfuControl, io: TypedServer, statsIntervalMs: number) {
    this.id = id;
    this.#sfu = sfu;
    this.#io = io;
    this.#log = logger('meeting', { meeting: id });
    this.#statsTimer = setInterval(() => this.#pushStats(), statsIntervalMs);
    this.#statsTimer.unref();
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

  /** Sends current numbers to one socket at once (a host who just joined). */
  sendStatsTo(socketId: string): void {
    this.#io.to(socketId).emit('meetingStats', this.stats());
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
    this.peers.clear();
    this.published.clear();
    this.consumerOwner.clear();
    await this.#sfu.closeRoom(this.id);
  }
}
