/**
 * Producers in a cluster, addressable from every signaling process: each is recorded in Redis
 * (TopologyStore) with its origin node, and closed, paused and resumed at its origin and at every
 * replica the relay layer made of it, whoever published it and whoever made the replicas.
 * `pipe` makes a producer reachable in a room on another node, through the relay tree.
 */
import type { types } from 'mediasoup';
import { SfuError } from '../errors';
import type { MediaKind } from '../types';
import type { NodeDirectory } from './NodeDirectory';
import type { OwnRooms } from './OwnRooms';
import type { RelayLayer } from './RelayLayer';
import type { ProducerRecord, TopologyStore } from './TopologyStore';

export class SharedProducers {
  readonly #store: TopologyStore;
  readonly #nodes: NodeDirectory;
  readonly #relays: RelayLayer;
  readonly #own: OwnRooms;

  constructor(store: TopologyStore, nodes: NodeDirectory, relays: RelayLayer, own: OwnRooms) {
    this.#store = store;
    this.#nodes = nodes;
    this.#relays = relays;
    this.#own = own;
  }

  /** Publishes on a transport of this process, in its origin room, and records the producer for every process. */
  async produce(transportId: string, kind: MediaKind, rtpParameters: types.RtpParameters): Promise<{ producerId: string }> {
    const t = this.#own.transport(transportId);
    const rec = this.#own.origin(t.roomId);
    const link = this.#nodes.link(t.nodeId);
    const res = await link.call('produce', transportId, kind, rtpParameters);
    this.#own.addProducer(res.producerId, transportId);
    await this.#store.addProducer({ id: res.producerId, node: t.nodeId, epoch: link.epoch, origin: rec.room, gen: rec.gen, transport: transportId, paused: false });
    return res;
  }

  /** A producer from the shared registry (published through any process); throws not_found. */
  async get(producerId: string): Promise<ProducerRecord> {
    const p = await this.#store.producer(producerId);
    if (!p) throw new SfuError('not_found', 'producer not found');
    return p;
  }

  /** Closes a producer at its origin and every replica, whoever published it and whoever made them. */
  async close(producerId: string): Promise<void> {
    this.#own.dropProducer(producerId);
    const p = await this.#store.producer(producerId);
    if (!p) return;
    const replicas = await this.#store.removeProducer(p);
    await Promise.all([p.node, ...replicas].filter((n) => this.#nodes.has(n)).map((n) => this.#nodes.quietly(n, 'closeProducer', producerId)));
  }

  /**
   * Pause and resume reach the origin and every replica (a replica does not follow by itself).
   * The flag is written first, and a replica made meanwhile reads it once recorded
   * (RelayLayer.ensureReplica), so none is left behind.
   */
  async setPaused(producerId: string, paused: boolean): Promise<void> {
    const p = await this.get(producerId);
    const method = paused ? 'pauseProducer' : 'resumeProducer';
    await this.#store.setPaused(producerId, paused);
    await this.#nodes.link(p.node).call(method, producerId);
    const replicas = await this.#store.replicaNodes(p.origin, producerId);
    await Promise.all(replicas.filter((n) => this.#nodes.has(n)).map((n) => this.#nodes.quietly(n, method, producerId)));
  }

  /** Makes a producer consumable in a room of this process (see SfuControl.pipeProducer), replicating it to the room's node first. */
  async pipe(producerId: string, toRoomId: string): Promise<string> {
    const p = await this.get(producerId);
    const rec = await this.#store.origin(p.origin);
    if (!rec || rec.gen !== p.gen) throw new SfuError('not_found', 'producer not found');
    if (!this.#own.knownOrigin(rec.room)) this.#own.setOrigin(rec);
    const to = this.#own.where(toRoomId);
    if (to.nodeId !== rec.node) await this.#relays.ensureReplica(rec, to.nodeId, producerId);
    // Within the node, its own LocalSfu pipes from the origin (or replica) room to the edge.
    return this.#nodes.link(to.nodeId).call('pipeProducer', producerId, to.localId);
  }
}
