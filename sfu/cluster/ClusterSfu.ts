/**
 * SfuControl over a cluster of SFU nodes (sfu/main.ts processes), for signaling started with
 * HOINGHI_SFU=cluster. Nodes are found in Redis and driven through their control endpoints
 * (NodeLink); each node's own LocalSfu places viewers on its workers and pipes between them.
 * This class is the level above, and forwards each call to the node that holds its object:
 *
 * - an origin room lives on one node (a meeting's breakout origins go where its main origin is);
 * - viewers go to nodes by load (NodePlacement); on a node other than the origin's, the origin
 *   is recreated as a replica room, fed through one PipeTransport pair per node link and one pipe
 *   per producer per node, whatever the number of viewers;
 * - the links of one origin form a tree of bounded fan-out: origin → relays → edges (RelayLayer);
 * - a node that dies (its control link drops, or misses its heartbeats: NodeDirectory): its
 *   viewers' edges are reported lost (they re-home on other nodes), the nodes it relayed to lose
 *   their replicas (their viewers' consumers close and are offered again through a live parent),
 *   and an origin on it is reported lost (everyone rejoins and the host republishes on a live
 *   node: OriginRepair).
 *
 * Several signaling processes, each with its own ClusterSfu, drive the same nodes. What is
 * shared (origins, relay trees, replicas, the producer registry) lives in Redis (TopologyStore)
 * and is decided there atomically; what it implies on the nodes is done by idempotent keyed calls,
 * so it is made once however many processes ask, and any process finishes what a dead one began.
 * What belongs to one socket (transports, consumers, the edges this process placed viewers in)
 * stays with the instance that made it, here; producers are addressable from every instance.
 *
 * Room ids the caller sees: origin ids as given; edges as `${nodeId}|${localEdgeId}`.
 *
 * Its length (a little over 400 lines) is the SfuControl surface: some 30 methods, each a few
 * lines that find the node holding the object and forward the call.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeRedis, connectRedis, type RedisClient } from '../../common/redis';
import type { types } from 'mediasoup';
import { TypedEmitter } from '../../common/TypedEmitter';
import { logger } from '../../common/log';
import { SfuError } from '../errors';
import type {
  ConsumerParams,
  ConsumerRtpStats,
  IngestTransport,
  MediaKind,
  RecorderTap,
  SfuControl,
  SfuEvents,
  SfuStats,
  TapTarget,
  TransportDirection,
  TransportParams,
  WebRtcTransportOptions,
} from '../types';
import { NodeDirectory, type NodeLost } from './NodeDirectory';
import type { NodeLink } from './NodeLink';
import { NodePlacement } from './NodePlacement';
import { OriginRepair } from './OriginRepair';
import { EDGE_SEP, OwnRooms } from './OwnRooms';
import { RelayLayer } from './RelayLayer';
import { SharedCalls } from './SharedCalls';
import { SharedProducers } from './SharedProducers';
import { TopologyStore, type MemberRecord, type OriginRecord } from './TopologyStore';

const log = logger('sfu-cluster');

export interface ClusterOptions {
  redisUrl: string;
  secret: string;
  /** Nodes one node feeds directly before the tree grows a relay level. */
  fanout: number;
  /** How often Redis is read for nodes, ms. Default 1000. */
  discoveryIntervalMs?: number;
  /**
   * This controller's id on the SFU nodes (one per signaling process): when it is gone for their
   * grace period, they close the transports it created. Default: a random id per instance.
   */
  controllerId?: string;
}

/** How long openRoom waits for a lost origin to be cleared (by whichever process repairs it). */
const OPEN_DEADLINE_MS = 20_000;

export class ClusterSfu extends TypedEmitter<SfuEvents> implements SfuControl {
  readonly #redis: RedisClient;
  readonly #store: TopologyStore;
  readonly #nodes: NodeDirectory;
  readonly #placement: NodePlacement;
  readonly #repair: OriginRepair;
  readonly #relays: RelayLayer;
  readonly #producers: SharedProducers;
  /** Shared operations under way in this process (so that concurrent callers here share one). */
  readonly #calls = new SharedCalls();
  readonly #own: OwnRooms;
  /** `${room}#${gen}` whose room this process has opened on the node. */
  readonly #opened = new Set<string>();
  #caps: types.RtpCapabilities | null = null;
  #timer: NodeJS.Timeout | undefined;

  private constructor(options: ClusterOptions, redis: RedisClient) {
    super();
    this.#redis = redis;
    this.#store = new TopologyStore(redis);
    this.#nodes = new NodeDirectory(redis, options.secret, options.controllerId ?? `controller-${randomUUID()}`);
    this.#placement = new NodePlacement(this.#nodes);
    this.#repair = new OriginRepair(this.#store, this.#nodes);
    this.#own = new OwnRooms((room) => this.#relays.forget(room));
    this.#relays = new RelayLayer({
      store: this.#store,
      background: new TopologyStore(redis),
      nodes: this.#nodes,
      calls: this.#calls,
      fanout: options.fanout,
      origins: {
        get: (room) => this.#own.knownOrigin(room),
        rooms: () => this.#own.originRooms(),
        closedElsewhere: (room, rec) => this.#own.closedElsewhere(room, rec),
      },
    });
    this.#producers = new SharedProducers(this.#store, this.#nodes, this.#relays, this.#own);
    this.#nodes.on('nodeLost', (lost) => this.#onNodeLost(lost));
    this.#nodes.on('nodeEvent', (nodeId, name, payload) => this.#onNodeEvent(nodeId, name, payload));
  }

  /** Connects to Redis and to every node announced there; waits (up to `timeoutMs` each) for Redis and for `minNodes`. */
  static async create(options: ClusterOptions, minNodes = 1, timeoutMs = 30_000): Promise<ClusterSfu> {
    const cluster = new ClusterSfu(options, await connectRedis(options.redisUrl, log, timeoutMs));
    const deadline = Date.now() + timeoutMs;
    await cluster.discover();
    while (cluster.#nodes.aliveIds().length < minNodes) {
      if (Date.now() > deadline) {
        await cluster.close();
        throw new SfuError('unavailable', `found ${cluster.#nodes.aliveIds().length} SFU node(s) in Redis, need ${minNodes}`);
      }
      await sleep(200);
      await cluster.discover();
    }
    cluster.#timer = setInterval(() => {
      cluster.discover().catch((err: unknown) => log.warn({ err: String(err) }, 'discovery failed'));
      cluster.#relays.refreshAll().catch((err: unknown) => log.warn({ err: String(err) }, 'topology refresh failed'));
    }, options.discoveryIntervalMs ?? 1_000);
    return cluster;
  }

  /** Reads the announced nodes from Redis and connects to new ones (also called periodically). */
  discover(): Promise<void> {
    return this.#nodes.discover();
  }

  // ---- what a lost node or worker means for this process's rooms ------------------------------

  #onNodeEvent(nodeId: string, name: keyof SfuEvents, payload: unknown): void {
    // Every controller of a node hears its events: each instance keeps what concerns its own objects.
    if (name === 'consumerClosed') {
      const p = payload as SfuEvents['consumerClosed'][0];
      if (this.#own.takeConsumer(p.consumerId) === undefined) return;
      this.safeEmit('consumerClosed', p);
    } else if (name === 'transportLost') {
      const p = payload as SfuEvents['transportLost'][0];
      if (this.#own.hasTransport(p.transportId)) this.safeEmit('transportLost', p);
    } else if (name === 'workerDied') {
      this.safeEmit('workerDied', payload as SfuEvents['workerDied'][0]);
    } else if (name === 'roomsLost') {
      this.#onRoomsLostOnNode(nodeId, (payload as SfuEvents['roomsLost'][0]).roomIds);
    }
  }

  /** A worker of a node died with some rooms: map them to this process's rooms, and repair the shared trees (once). */
  #onRoomsLostOnNode(nodeId: string, localIds: string[]): void {
    const epoch = this.#nodes.epochOf(nodeId);
    const { rooms, repairs } = this.#own.loseRooms(nodeId, localIds);
    for (const { rec, replica } of repairs) {
      if (!replica) void this.#repair.repair(rec);
      else if (epoch) void this.#relays.detach(rec, nodeId, epoch, true);
    }
    if (rooms.length > 0) this.safeEmit('roomsLost', { roomIds: rooms, reason: 'worker_died' });
  }

  /** A node is gone for this process (process died, link dropped or heartbeat missed): nothing on it survives. */
  #onNodeLost({ nodeId, epoch, confirmed }: NodeLost): void {
    const { rooms, origins } = this.#own.loseNode(nodeId, epoch);
    if (rooms.length > 0) this.safeEmit('roomsLost', { roomIds: rooms, reason: 'node_died' });
    // The shared state is repaired once the death is confirmed, by whichever process gets there first.
    void confirmed.then(async (dead) => {
      if (!dead) return;
      for (const rec of origins) {
        if (rec.node === nodeId && rec.epoch === epoch) await this.#repair.repair(rec);
        else await this.#relays.detach(rec, nodeId, epoch, false);
      }
    });
  }

  // ---- rooms and placement -------------------------------------------------------------------

  async openRoom(roomId: string, group: string = roomId): Promise<types.RtpCapabilities> {
    if (roomId.includes(EDGE_SEP)) throw new SfuError('bad_request', 'invalid room id');
    return this.#calls.run(`open:${roomId}`, () => this.#openRoom(roomId, group));
  }

  /**
   * The origin's shared record (claimed by the first process to ask, on its least-loaded node),
   * opened on its node. An origin on a dead node is repaired (once, by one process) and claimed
   * anew; meanwhile this waits.
   */
  async #openRoom(roomId: string, group: string): Promise<types.RtpCapabilities> {
    const deadline = Date.now() + OPEN_DEADLINE_MS;
    for (;;) {
      const proposal = this.#placement.leastLoaded();
      if (!proposal) throw new SfuError('unavailable', 'no SFU node available');
      const rec = await this.#store.claimOrigin(roomId, group, proposal, this.#nodes.epochOf(proposal)!);
      const state = await this.#nodes.liveness(rec.node, rec.epoch);
      if (state === 'alive') {
        const key = `${roomId}#${rec.gen}`;
        if (!this.#caps || !this.#opened.has(key)) {
          const caps = await this.#nodes.link(rec.node).call('openRoom', roomId, rec.group);
          this.#caps ??= caps;
          this.#opened.add(key);
          if (rec.node === proposal) log.info({ room: roomId, node: rec.node, gen: rec.gen }, 'origin opened');
        }
        this.#own.setOrigin(rec);
        if (!this.#relays.has(roomId)) await this.#relays.refresh(roomId);
        return this.#caps;
      }
      if (state === 'dead') await this.#repair.repair(rec);
      if (Date.now() > deadline) throw new SfuError('unavailable', `origin of ${roomId} is on an unreachable SFU node`);
      await sleep(200);
    }
  }

  async placeViewer(originRoomId: string): Promise<string> {
    const rec = this.#own.origin(originRoomId);
    const serving = new Set<string>((await this.#store.tree(originRoomId)).map((m) => m.node));
    for (const n of this.#own.edgeNodes(rec.group)) serving.add(n);
    const { nodeId, localId } = await this.#placement.placeViewer(rec, serving);
    return this.#own.addEdge(nodeId, localId, rec.group);
  }

  /**
   * Closes a room for every process: callers close an origin when its meeting (or breakout) is
   * over cluster-wide. Closing a meeting's main origin closes all its rooms on every node. An edge
   * is only forgotten here: other processes' viewers share it on its node.
   */
  async closeRoom(roomId: string): Promise<void> {
    if (this.#own.isEdge(roomId)) return this.#own.forgetRoom(roomId);
    const rec = this.#own.knownOrigin(roomId) ?? (await this.#store.origin(roomId));
    if (!rec) return;
    const rooms = new Set([roomId]);
    if (roomId === rec.group) for (const r of await this.#store.groupRooms(rec.group)) rooms.add(r);
    for (const r of rooms) await this.#store.clearOrigin(r, '*');
    for (const r of rooms) this.#own.forgetRoom(r);
    if (roomId === rec.group) for (const id of this.#own.edgesOf(rec.group)) this.#own.forgetRoom(id);
    await Promise.all(this.#nodes.aliveIds().map((n) => this.#nodes.quietly(n, 'closeRoom', roomId)));
  }

  // ---- transports, producers, consumers ------------------------------------------------------

  async createWebRtcTransport(roomId: string, direction: TransportDirection, options?: WebRtcTransportOptions): Promise<TransportParams> {
    const { nodeId, localId } = this.#own.where(roomId);
    const params = await (options ? this.#nodes.link(nodeId).call('createWebRtcTransport', localId, direction, options) : this.#nodes.link(nodeId).call('createWebRtcTransport', localId, direction));
    this.#own.addTransport(params.id, nodeId, roomId);
    return params;
  }

  /** On the origin's node (an ingest feeds an origin room, never an edge); its producers are shared like any other. */
  async createIngestTransport(roomId: string): Promise<IngestTransport> {
    const rec = this.#own.origin(roomId);
    const params = await this.#nodes.link(rec.node).call('createIngestTransport', roomId);
    this.#own.addTransport(params.id, rec.node, roomId);
    return params;
  }

  async connectTransport(transportId: string, dtlsParameters: types.DtlsParameters): Promise<void> {
    await this.#nodes.link(this.#own.transport(transportId).nodeId).call('connectTransport', transportId, dtlsParameters);
  }

  async closeTransport(transportId: string): Promise<void> {
    const t = this.#own.takeTransport(transportId);
    if (!t) return;
    // Its producers die with it at the origin; their replicas on other nodes must follow.
    const own = this.#own.producersOf(transportId);
    await Promise.all(own.map((pid) => this.closeProducer(pid)));
    // Closing on a node that is gone has nothing left to close.
    if (this.#nodes.has(t.nodeId)) await this.#nodes.quietly(t.nodeId, 'closeTransport', transportId);
  }

  produce(transportId: string, kind: MediaKind, rtpParameters: types.RtpParameters): Promise<{ producerId: string }> {
    return this.#producers.produce(transportId, kind, rtpParameters);
  }

  closeProducer(producerId: string): Promise<void> {
    return this.#producers.close(producerId);
  }

  pauseProducer(producerId: string): Promise<void> {
    return this.#producers.setPaused(producerId, true);
  }

  resumeProducer(producerId: string): Promise<void> {
    return this.#producers.setPaused(producerId, false);
  }

  pipeProducer(producerId: string, toRoomId: string): Promise<string> {
    return this.#producers.pipe(producerId, toRoomId);
  }

  async consume(transportId: string, producerId: string, rtpCapabilities: types.RtpCapabilities): Promise<ConsumerParams | null> {
    const t = this.#own.transport(transportId);
    const params = await this.#nodes.link(t.nodeId).call('consume', transportId, producerId, rtpCapabilities);
    if (params) this.#own.addConsumer(params.id, t.nodeId);
    return params;
  }

  #consumerNode(consumerId: string): NodeLink {
    return this.#nodes.link(this.#own.consumerNode(consumerId));
  }

  async resumeConsumer(consumerId: string): Promise<void> {
    await this.#consumerNode(consumerId).call('resumeConsumer', consumerId);
  }

  async pauseConsumer(consumerId: string): Promise<void> {
    await this.#consumerNode(consumerId).call('pauseConsumer', consumerId);
  }

  async closeConsumer(consumerId: string): Promise<void> {
    const nodeId = this.#own.takeConsumer(consumerId);
    if (!nodeId) return;
    if (this.#nodes.has(nodeId)) await this.#nodes.quietly(nodeId, 'closeConsumer', consumerId);
  }

  async setConsumerPreferredLayers(consumerId: string, spatialLayer: number): Promise<void> {
    await this.#consumerNode(consumerId).call('setConsumerPreferredLayers', consumerId, spatialLayer);
  }

  async consumerStats(consumerId: string): Promise<ConsumerRtpStats> {
    return this.#consumerNode(consumerId).call('consumerStats', consumerId);
  }

  async setMaxOutgoingBitrate(transportId: string, bitrate: number): Promise<void> {
    await this.#nodes.link(this.#own.transport(transportId).nodeId).call('setMaxOutgoingBitrate', transportId, bitrate);
  }

  // ---- recorder taps: on the node holding the producer's origin -----------------------------

  async createRecorderTap(producerId: string, target: TapTarget): Promise<RecorderTap> {
    const { node: nodeId } = await this.#producers.get(producerId);
    const tap = await this.#nodes.link(nodeId).call('createRecorderTap', producerId, target);
    this.#own.addTap(tap.id, nodeId);
    return tap;
  }

  async resumeRecorderTap(tapId: string): Promise<void> {
    const nodeId = this.#own.tapNode(tapId);
    await this.#nodes.link(nodeId).call('resumeRecorderTap', tapId);
  }

  async closeRecorderTap(tapId: string): Promise<ConsumerRtpStats | null> {
    const nodeId = this.#own.takeTap(tapId);
    if (!nodeId || !this.#nodes.has(nodeId)) return null;
    return this.#nodes.link(nodeId).call('closeRecorderTap', tapId).catch(() => null);
  }

  // ---- observation ---------------------------------------------------------------------------

  stats(): SfuStats {
    const nodes = this.#nodes.nodeStats();
    return {
      workersAlive: nodes.workers.length,
      workerDeaths: nodes.workerDeaths,
      placementRefusals: this.#placement.refusals,
      pipes: nodes.pipes + this.#relays.nodePipes(),
      routers: nodes.routers,
      transports: nodes.transports,
      producers: nodes.producers,
      consumers: nodes.consumers,
      workers: nodes.workers,
    };
  }

  /**
   * Cluster-level figures: nodes, node deaths seen, producer pipes between nodes, each known
   * origin's tree, the shared repairs this process carried out (a lost origin cleared, a dead
   * member's subtree detached), and its round trips to the shared topology in Redis for the
   * calls it served (not counting the refresh of its view, three per known origin a second).
   */
  clusterStats(): {
    nodes: string[];
    nodeDeaths: number;
    nodePipes: number;
    repairs: number;
    topologyRoundTrips: number;
    trees: { origin: string; root: string; members: number; depth: number }[];
  } {
    return {
      nodes: this.#nodes.aliveIds(),
      nodeDeaths: this.#nodes.deaths,
      nodePipes: this.#relays.nodePipes(),
      repairs: this.#repair.repairs + this.#relays.repairs,
      topologyRoundTrips: this.#store.roundTrips,
      trees: this.#relays.trees(),
    };
  }

  /** The node an origin or edge room is on (tests and operators). */
  nodeOf(roomId: string): string | undefined {
    return this.#own.nodeOf(roomId);
  }

  /** Each member of an origin's tree with its parent (as this process last read it). */
  treeOf(originRoomId: string): { nodeId: string; parent: string | null; depth: number }[] {
    return this.#relays.treeOf(originRoomId);
  }

  /** The shared topology of an origin as it is in Redis now (tests and operators). */
  sharedTopology(originRoomId: string): Promise<{ origin: OriginRecord | null; members: MemberRecord[]; replicas: number }> {
    return this.#relays.sharedTopology(originRoomId);
  }

  /** Per-node link figures from the nodes' load reports: pipe ends, pipe consumers, replica producers. */
  nodePipeStats(): Record<string, { transports: number; consumers: number; replicas: number }> {
    return this.#nodes.nodePipeStats();
  }

  workerCpu(): Promise<{ node?: string; index: number; cpuSeconds: number; udpReceiveDrops?: number }[]> {
    return this.#nodes.workerCpu();
  }

  /** Leaves the shared state as it is: other processes keep using the origins, trees and replicas. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#nodes.close();
    await closeRedis(this.#redis);
  }
}
