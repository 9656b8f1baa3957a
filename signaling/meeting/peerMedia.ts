/**
 * The media objects local participants own on the SFU (transports, producers, consumers): closing
 * them (a speaker's sending, or all of a participant's media), and losing them with a worker or
 * node. A lost edge re-homes only the participants receiving there; a lost origin takes its
 * producers along, so every local participant rebuilds. Either way they are asked to rejoin (no
 * reload), paced by rejoinPacer.ts so that the rebuild arrives at the rate admission can take.
 */
import type { Logger } from '../../common/log';
import type { SfuControl } from '../../sfu/types';
import type { MeetingState, PublishedProducer } from '../store/types';
import type { MeetingSession } from './MeetingSession';
import type { Peer } from './Peer';
import { RejoinPacer, type SendRejoin } from './rejoinPacer';

/** What this part reads and resets of the meeting (Meeting implements it). */
export interface PeerMediaMeeting {
  readonly sfu: SfuControl;
  readonly state: MeetingState;
  readonly log: Logger;
  readonly peers: ReadonlyMap<string, Peer>;
  readonly published: Map<string, PublishedProducer>;
  readonly consumerOwner: Map<string, string>;
  /** Bumped here when the origin is lost: stale async work checks it. */
  epoch: number;
  readonly main: MeetingSession;
  readonly sessions: ReadonlyMap<string, MeetingSession>;
  readonly fallback: { update(): void };
}

export class PeerMedia {
  readonly #meeting: PeerMediaMeeting;
  /** Spreads `rejoin` notices over time (rejoinPacer.ts). */
  readonly #rejoins: RejoinPacer;
  /** Participants asked to rejoin because their edge was lost. */
  rehomes = 0;

  constructor(meeting: PeerMediaMeeting, rejoinsPerSecond: number, sendRejoin: SendRejoin) {
    this.#meeting = meeting;
    this.#rejoins = new RejoinPacer(rejoinsPerSecond, sendRejoin);
  }

  /** Closes everything a local peer publishes, and its send transport. */
  async closeSending(peer: Peer): Promise<void> {
    const producerIds = [...peer.producers.keys()];
    peer.producers.clear();
    const sendTransports = [...peer.transports].filter(([, dir]) => dir === 'send').map(([id]) => id);
    for (const id of sendTransports) peer.transports.delete(id);
    await this.#meeting.state.removeProducers(producerIds);
    await Promise.all(sendTransports.map((id) => this.#meeting.sfu.closeTransport(id)));
  }

  /** Closes everything a local peer owns on the SFU. */
  async closePeerMedia(peer: Peer): Promise<void> {
    const m = this.#meeting;
    const producerIds = [...peer.producers.keys()];
    for (const consumerId of peer.consumers.keys()) m.consumerOwner.delete(consumerId);
    const transports = [...peer.transports.keys()];
    peer.resetMedia();
    await m.state.removeProducers(producerIds);
    // Closing a transport closes its producers and consumers; viewers hear consumerClosed.
    await Promise.all(transports.map((t) => m.sfu.closeTransport(t)));
  }

  /**
   * SFU rooms were lost with their worker or node. An origin among them takes its producers
   * along, so everyone rebuilds; an edge alone only concerns the participants receiving there, who
   * are re-homed by running the join flow again (no reload).
   */
  onRoomsLost(roomIds: string[]): void {
    const m = this.#meeting;
    const lost = new Set(roomIds);
    const origins = [m.main.roomId, ...[...m.sessions.values()].map((s) => s.roomId)];
    if (origins.some((r) => lost.has(r))) return this.onRoomLost();
    for (const peer of m.peers.values()) {
      if (!peer.edgeRoomId || !lost.has(peer.edgeRoomId)) continue;
      for (const consumerId of peer.consumers.keys()) m.consumerOwner.delete(consumerId);
      peer.resetReceiving();
      this.rehomes += 1;
      this.#rejoins.add([peer.socketId], 'media_server_restarted');
    }
  }

  /** The meeting's origin was lost: every local participant rebuilds its media without reload. */
  onRoomLost(): void {
    const m = this.#meeting;
    m.epoch += 1;
    // Every node forgets the producers it knew of; those republished meanwhile have new ids.
    void m.state.removeProducers([...m.published.keys()]).catch((error: unknown) =>
      m.log.warn({ err: String(error) }, 'removing lost producers failed'),
    );
    m.published.clear();
    m.consumerOwner.clear();
    // Transports on workers that survived would otherwise live on beside the new ones.
    const transports = [...m.peers.values()].flatMap((p) => [...p.transports.keys()]);
    void Promise.all(transports.map((t) => m.sfu.closeTransport(t).catch(() => undefined)));
    for (const peer of m.peers.values()) peer.resetMedia();
    m.fallback.update();
    m.log.warn({ peers: m.peers.size }, 'media room lost; asking every local participant to rejoin');
    this.#rejoins.add([...m.peers.values()].map((p) => p.socketId), 'media_server_restarted');
  }

  close(): void {
    this.#rejoins.close();
  }
}
