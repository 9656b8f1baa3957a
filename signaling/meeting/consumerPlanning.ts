/**
 * Consumer planning: which published producers each participant connected through this node
 * receives, and keeping their consumers in line with it. `wants` is the rule (own session; in a
 * breakout, the national audio and optionally camera, or the whole national session when the
 * breakout has nothing of its own on air); `fanOut` offers a new producer to everyone who wants
 * it, `reconcile` brings one participant in line after a move or an audio-only switch, and
 * `onConsumerClosed` follows the SFU closing a consumer. Every participant receives on the
 * meeting's viewer router (its edge), through one pipe per producer per edge router.
 */
import type { Logger } from '../../common/log';
import type { SfuControl } from '../../sfu/types';
import { AppError } from '../protocol/errors';
import type { ConsumerInfo } from '../protocol/events';
import type { Breakouts, PublishedProducer } from '../store/types';
import { FANOUT_CONCURRENCY, forEachLimited } from './concurrency';
import { applyViewerLayer, settleViewerLayer } from './massAudience';
import type { MeetingOptions } from './meetingOptions';
import { MAIN } from './MeetingSession';
import type { NationalAudioHolds } from './nationalAudioHolds';
import type { MeetingNotifier } from './Notifier';
import type { Peer } from './Peer';

/** What consumer planning reads and keeps of the meeting (Meeting implements it). */
export interface PlannerMeeting {
  readonly sfu: SfuControl;
  readonly notify: MeetingNotifier;
  readonly log: Logger;
  readonly options: Pick<MeetingOptions, 'maxConsumersPerPeer'>;
  readonly peers: ReadonlyMap<string, Peer>;
  readonly published: ReadonlyMap<string, PublishedProducer>;
  /** Consumer id → owning user id, kept here as consumers are made and closed. */
  readonly consumerOwner: Map<string, string>;
  readonly epoch: number;
  readonly breakouts: Breakouts | null;
  readonly fallback: { showsNational(sessionKey: string): boolean };
  /** Whether a source of the national broadcast reaches the audience now (production.ts). */
  onAir(producer: PublishedProducer): boolean;
  /** Whether a participant is in the backstage (sees every source, on air or not). */
  inBackstage(peer: Peer): boolean;
}

export class ConsumerPlanner {
  readonly #meeting: PlannerMeeting;
  readonly #holds: NationalAudioHolds;

  constructor(meeting: PlannerMeeting, holds: NationalAudioHolds) {
    this.#meeting = meeting;
    this.#holds = holds;
  }

  /** Whether `peer` should receive `producer`, given the sessions and breakout settings. */
  wants(peer: Peer, producer: PublishedProducer): boolean {
    const breakouts = this.#meeting.breakouts;
    if (producer.peerId === peer.userId) return false;
    if (peer.audioOnly && producer.kind === 'video') return false;
    if (producer.stage && !this.#meeting.inBackstage(peer)) {
      // The audience: what is on air, and the interpreter only for those who turned it on.
      if (!this.#meeting.onAir(producer)) return false;
      // The interpreter signs the national session: for who asked, in main or in a breakout showing it.
      if (producer.stage === 'interpreter') return peer.interpreterView && (peer.sessionKey === MAIN || this.#meeting.fallback.showsNational(peer.sessionKey));
    }
    if (producer.sessionKey === peer.sessionKey) return true;
    if (!breakouts || !producer.national || peer.sessionKey === MAIN) return false;
    // A breakout with nothing of its own on air: the whole national session.
    if (this.#meeting.fallback.showsNational(peer.sessionKey)) return true;
    // In a breakout: the national audio (held silent unless speaking to all), and optionally the
    // national camera as an overlay.
    return producer.kind === 'audio' || (breakouts.nationalOverlay && producer.source === 'camera');
  }

  /** Creates a paused consumer of `producer` for `peer`, or returns null. */
  async consumeFor(peer: Peer, producer: PublishedProducer): Promise<ConsumerInfo | null> {
    const m = this.#meeting;
    if (!peer.recvTransportId || !peer.edgeRoomId || !peer.rtpCapabilities || !this.wants(peer, producer)) return null;
    if (peer.hasConsumerOf(producer.id)) return null;
    if (peer.consumers.size + peer.consuming.size >= m.options.maxConsumersPerPeer) {
      throw new AppError('conflict', `consumer limit reached (${m.options.maxConsumersPerPeer})`);
    }
    peer.consuming.add(producer.id);
    let params;
    let layer;
    try {
      // One pipe per producer per edge router (none when the edge is the origin's router).
      const localId = await m.sfu.pipeProducer(producer.id, peer.edgeRoomId);
      params = await m.sfu.consume(peer.recvTransportId, localId, peer.rtpCapabilities as never);
      if (!params) return null;
      layer = await applyViewerLayer(m.sfu, peer, params.id, producer.id, params.kind);
      // What the participant wants may have changed while the SFU answered (a breakout got its
      // own source, the stage went off air, a move): a reconcile run meanwhile did not see this
      // consumer (not theirs yet), so it is decided here, before it becomes theirs.
      if (!this.wants(peer, producer)) {
        await m.sfu.closeConsumer(params.id);
        return null;
      }
      peer.consumers.set(params.id, producer.id);
    } finally {
      peer.consuming.delete(producer.id);
    }
    await settleViewerLayer(m.sfu, peer, params.id, producer.id, layer);
    if (this.#holds.isHeld(peer, producer)) peer.held.add(params.id);
    m.consumerOwner.set(params.id, peer.userId);
    return {
      id: params.id,
      producerId: producer.id,
      kind: params.kind,
      rtpParameters: params.rtpParameters as unknown as ConsumerInfo['rtpParameters'],
      source: producer.source,
      peerId: producer.peerId,
      peerName: producer.peerName,
      sessionKey: producer.sessionKey,
      ...(producer.stage ? { stage: producer.stage } : {}),
    };
  }

  /** Consumes and announces one producer to one peer; failures are logged, not thrown. */
  async offer(peer: Peer, producer: PublishedProducer): Promise<void> {
    try {
      const info = await this.consumeFor(peer, producer);
      if (info) this.#meeting.notify.toSocket(peer.socketId, 'newConsumer', info);
    } catch (error) {
      this.#meeting.log.warn({ peer: peer.userId, producer: producer.id, err: String(error) }, 'offer() | consume failed');
    }
  }

  /** A new producer reaches every local participant who wants it, a bounded number at a time. */
  async fanOut(producer: PublishedProducer): Promise<void> {
    const m = this.#meeting;
    const epoch = m.epoch;
    const targets = [...m.peers.values()].filter((p) => p.recvTransportId && this.wants(p, producer));
    await forEachLimited(targets, FANOUT_CONCURRENCY, async (peer) => {
      if (epoch !== m.epoch || !m.published.has(producer.id) || m.peers.get(peer.userId) !== peer) return;
      await this.offer(peer, producer);
    });
  }

  /**
   * Brings a participant's consumers in line with what it wants now (after a move, or an
   * audio-only switch): closes the unwanted, applies holds, offers the missing.
   */
  async reconcile(peer: Peer, beforeOffers?: () => Promise<void>): Promise<void> {
    const m = this.#meeting;
    for (const [consumerId, producerId] of [...peer.consumers]) {
      const producer = m.published.get(producerId);
      if (producer && this.wants(peer, producer)) {
        await this.#holds.applyHold(peer, consumerId, producer);
        continue;
      }
      peer.consumers.delete(consumerId);
      peer.held.delete(consumerId);
      m.consumerOwner.delete(consumerId);
      await m.sfu.closeConsumer(consumerId);
      m.notify.toSocket(peer.socketId, 'consumerClosed', { consumerId, producerId });
    }
    await beforeOffers?.();
    if (peer.recvTransportId && peer.rtpCapabilities) {
      for (const producer of m.published.values()) {
        if (!peer.hasConsumerOf(producer.id) && this.wants(peer, producer)) await this.offer(peer, producer);
      }
    }
  }

  /** The SFU closed a consumer (its producer went away): forget it and tell its owner. */
  onConsumerClosed(consumerId: string, producerId: string): void {
    const m = this.#meeting;
    const owner = m.consumerOwner.get(consumerId);
    if (owner === undefined) return;
    m.consumerOwner.delete(consumerId);
    const peer = m.peers.get(owner);
    if (!peer) return;
    peer.consumers.delete(consumerId);
    peer.held.delete(consumerId);
    m.notify.toSocket(peer.socketId, 'consumerClosed', { consumerId, producerId });
    // The producer lives on but this consumer's feed went (a relay node of the cluster died):
    // offer it again, through whatever path the SFU finds now.
    const producer = m.published.get(producerId);
    if (producer && this.wants(peer, producer)) void this.offer(peer, producer);
  }
}
