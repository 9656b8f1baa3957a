/**
 * SfuControl over a cluster of SFU nodes (sfu/main.ts processes), for signaling started with
 * HOINGHI_SFU=cluster. Nodes are found in Redis and driven through their control endpoints
 * (NodeLink); each node's own LocalSfu places viewers on its workers and pipes between them.
 * This class adds the level above:
 *
 * - an origin room lives on one node (a meeting's breakout origins go where its main origin is);
 * - viewers go to nodes by load (sfu/placement.ts, orderNodes); on a node other than the
 *   origin's, the origin is recreated as a replica room, fed through one PipeTransport pair per
 *   node link and one pipe per producer per node, whatever the number of viewers;
 * - the links of one origin form a tree (RelayTree) of bounded fan-out: origin → relays → edges;
 * - a node that dies (its control link drops, or misses its heartbeats): its viewers' edges are reported lost (they re-home on other nodes), the
 *   nodes it relayed to lose their replicas (their viewers' consumers close and are offered
 *   again through a live parent), and an origin on it is reported lost (everyone rejoins and
 *   the host republishes on a live node).
 *
 * Room ids the caller sees: origin ids as given; edges as `${nodeId}|${localEdgeId}`.
 */
import { connectRedis, type RedisClient } from '../../common/redis';
import type { types } from 'mediasoup';
import { TypedEmitter } from '../../common/TypedEmitter';
import { logger } from '../../common/log';
import { SfuError } from '../errors';
import { orderNodes } from '../placement';
import type {
  ConsumerParams,
  ConsumerRtpStats,
  MediaKind,
  PipedProducer,
  PipeEndpoint,
  SfuControl,
  SfuEvents,
  SfuStats,
  TransportDirection,
  TransportParams,
  WorkerStats,
} from '../types';
import { NODES_SET, nodeKey, type NodeAnnouncement } from '../node/protocol';
import { NodeLink } from './NodeLink';
import { RelayTree, type TreeMember } from './RelayTree';

const log = logger('sfu-cluster');

export interface ClusterOptions {
  redisUrl: string;
  secret: string;
  /** Nodes one node feeds directly before the tree grows a relay level. */
  fanout: number;
  /** How often Redis is read for nodes, ms. Default 1000. */
  discoveryIntervalMs?: number;
}

interface NodeState {
  link: NodeLink;
  /** Viewers placed since the node's last load report (so that a burst does not pile on one node). */
  placedSinceReport: number;
}

interface Edge {
  nodeId: string;
  localId: string;
  group: string;
}

interface ProducerInfo {
  nodeId: string;
  origin: string;
  transportId: string;
}

const EDGE_SEP = '|';

export class ClusterSfu extends TypedEmitter<SfuEvents> implements SfuControl {
  readonly #options: ClusterOptions;
  readonly #redis: RedisClient;
  readonly #nodes = new Map<string, NodeState>();
  readonly #connecting = new Map<string, Promise<void>>();
  /** `${nodeId}@${epoch}` of nodes lost: their announcements may outlive them by a few seconds. */
  readonly #dead = new Set<string>();
  readonly #origins = new Map<string, RelayTree>();
  readonly #opening = new Map<string, Promise<RelayTree>>();
  readonly #edges = new Map<string, Edge>();
  readonly #transports = new Map<string, { nodeId: string; roomId: string }>();
  readonly #producers = new Map<string, ProducerInfo>();
  readonly #consumers = new Map<string, string>();
  #caps: types.RtpCapabilities | null = null;
  #placementRefusals = 0;
  #nodeDeaths = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(options: ClusterOptions, redis: RedisClient) {
    super();
    this.#options = options;
    this.#redis = redis;
  }

  /** Connects to Redis and to every node announced there; waits (up to `timeoutMs` each) for Redis and for `minNodes`. */
  static async create(options: ClusterOptions, minNodes = 1, timeoutMs = 30_000): Promise<ClusterSfu> {
    const cluster = new ClusterSfu(options, await connectRedis(options.redisUrl, log, timeoutMs));
    const deadline = Date.now() + timeoutMs;
    await cluster.discover();
    while (cluster.#aliveIds().length < minNodes) {
      if (Date.now() > deadline) {
        await cluster.close();
        throw new SfuError('unavailable', `found ${cluster.#aliveIds().length} SFU node(s) in Redis, need ${minNodes}`);
      }
      await new Promise((r) => setTimeout(r, 200));
      await cluster.discover();
    }
    cluster.#timer = setInterval(() => {
      cluster.discover().catch((err: unknown) => log.warn({ err: String(err) }, 'discovery failed'));
    }, options.discoveryIntervalMs ?? 1_000);
    return cluster;
  }

  // ---- discovery and node life ---------------------------------------------------------------

  /** Reads the announced nodes from Redis and connects to new ones (also called periodically). */
  async discover(): Promise<void> {
    const ids = await this.#redis.sMembers(NODES_SET);
    if (ids.length === 0) return;
    const values = await this.#redis.mGet(ids.map(nodeKey));
    const stale: string[] = [];
    await Promise.all(
      ids.map(async (id, i) => {
        const raw = values[i];
        if (!raw) {
          // The announcement expired. A node whose control link is up keeps serving (it may only
          // have lost Redis); a hung node is caught by the link's heartbeat (a few seconds).
          stale.push(id);
          if (this.#nodes.has(id)) log.warn({ node: id }, 'SFU node announcement expired; kept while its control link is up');
          return;
        }
        const a = JSON.parse(raw) as NodeAnnouncement;
        if (this.#dead.has(`${a.nodeId}@${a.epoch}`)) return;
        const known = this.#nodes.get(id);
        if (known && known.link.epoch === a.epoch) return;
        if (known) this.#nodeLost(id, 'restarted');
        await this.#connect(a);
      }),
    );
    if (stale.length > 0) await this.#redis.sRem(NODES_SET, stale);
  }

  async #connect(a: NodeAnnouncement): Promise<void> {
    const key = `${a.nodeId}@${a.epoch}`;
    let pending = this.#connecting.get(key);
    if (!pending) {
      pending = (async () => {
        try {
          const link = await NodeLink.connect(a.controlUrl, a.nodeId, a.epoch, this.#options.secret);
          if (this.#closed) return link.close();
          this.#nodes.set(a.nodeId, { link, placedSinceReport: 0 });
          link.on('load', () => {
            const s = this.#nodes.get(a.nodeId);
            if (s?.link === link) s.placedSinceReport = 0;
          });
          link.on('sfuEvent', (name, payload) => this.#onNodeEvent(a.nodeId, name, payload));
          link.on('down', (reason) => {
            if (this.#nodes.get(a.nodeId)?.link === link) this.#nodeLost(a.nodeId, reason);
          });
          log.info({ node: a.nodeId, url: a.controlUrl }, 'SFU node joined');
        } catch (error) {
          log.warn({ node: a.nodeId, err: String(error) }, 'cannot reach SFU node');
        }
      })().finally(() => this.#connecting.delete(key));
      this.#connecting.set(key, pending);
    }
    await pending;
  }

  #aliveIds(): string[] {
    return [...this.#nodes.entries()].filter(([, s]) => !s.link.down).map(([id]) => id);
  }

  #link(nodeId: string): NodeLink {
    const s = this.#nodes.get(nodeId);
    if (!s || s.link.down) throw new SfuError('unavailable', `SFU node ${nodeId} is not available`);
    return s.link;
  }

  #onNodeEvent(nodeId: string, name: keyof SfuEvents, payload: unknown): void {
    if (name === 'consumerClosed') {
      const p = payload as SfuEvents['consumerClosed'][0];
      this.#consumers.delete(p.consumerId);
      this.safeEmit('consumerClosed', p);
    } else if (name === 'workerDied') {
      this.safeEmit('workerDied', payload as SfuEvents['workerDied'][0]);
    } else if (name === 'roomsLost') {
      this.#onRoomsLostOnNode(nodeId, (payload as SfuEvents['roomsLost'][0]).roomIds);
    }
  }

  /** A worker of a node died with some rooms: map them to cluster rooms, and repair trees. */
  #onRoomsLostOnNode(nodeId: string, localIds: string[]): void {
    const lost: string[] = [];
    const local = new Set(localIds);
    for (const [edgeId, e] of this.#edges) if (e.nodeId === nodeId && local.has(e.localId)) lost.push(edgeId);
    for (const tree of this.#origins.values()) {
      if (!local.has(tree.originRoomId)) continue;
      if (tree.root === nodeId) {
        this.#originLost(tree, lost);
      } else {
        // A replica died: the node's edges of this meeting lost their feed; they re-home, and the
        // node leaves the tree (with whatever it relayed to).
        for (const [edgeId, e] of this.#edges) if (e.nodeId === nodeId && e.group === tree.group && !lost.includes(edgeId)) lost.push(edgeId);
        this.#prune(tree, nodeId, false);
      }
    }
    for (const id of lost) this.#forgetRoom(id);
    if (lost.length > 0) this.safeEmit('roomsLost', { roomIds: lost, reason: 'worker_died' });
  }

  /** A node is gone (process died, link dropped or heartbeat missed): nothing on it survives. */
  #nodeLost(nodeId: string, reason: string): void {
    const state = this.#nodes.get(nodeId);
    if (!state) return;
    this.#nodes.delete(nodeId);
    state.link.close();
    this.#dead.add(`${nodeId}@${state.link.epoch}`);
    this.#nodeDeaths += 1;
    log.warn({ node: nodeId, reason }, 'SFU node lost');
    const lost: string[] = [];
    for (const [edgeId, e] of this.#edges) if (e.nodeId === nodeId) lost.push(edgeId);
    for (const tree of [...this.#origins.values()]) {
      if (tree.root === nodeId) {
        this.#originLost(tree, lost);
      } else if (tree.members.has(nodeId)) {
        this.#prune(tree, nodeId, true);
      }
    }
    for (const id of lost) this.#forgetRoom(id);
    for (const [id, t] of this.#transports) if (t.nodeId === nodeId) this.#transports.delete(id);
    for (const [id, n] of this.#consumers) if (n === nodeId) this.#consumers.delete(id);
    if (lost.length > 0) this.safeEmit('roomsLost', { roomIds: lost, reason: 'node_died' });
  }

  /**
   * An origin is gone with its node or worker: everyone of the meeting rejoins, so the meeting's
   * edges everywhere are lost too, and what other nodes still hold for it is closed (closing the
   * main origin's room on a node closes the meeting's edges and transports there).
   */
  #originLost(tree: RelayTree, lost: string[]): void {
    if (!lost.includes(tree.originRoomId)) lost.push(tree.originRoomId);
    const holders = new Set(tree.members.keys());
    for (const [edgeId, e] of this.#edges) {
      if (e.group !== tree.group) continue;
      holders.add(e.nodeId);
      if (!lost.includes(edgeId)) lost.push(edgeId);
    }
    // The root too when only its worker died: the meeting's rooms on its other workers go.
    for (const m of holders) if (this.#nodes.has(m)) void this.#quietly(m, 'closeRoom', tree.originRoomId);
  }

  /**
   * Takes a member and its subtree out of an origin's tree. The members below it lose their
   * replicas (closing the link closes the producers recreated on it), so their viewers' consumers
   * close; the meeting offers those producers again and they re-attach through a live parent.
   */
  #prune(tree: RelayTree, nodeId: string, nodeIsDead: boolean): void {
    const removed = tree.detach(nodeId);
    for (const m of removed) {
      if (!m.link) continue;
      if (m.parent && this.#nodes.has(m.parent)) void this.#quietly(m.parent, 'closePipeTransport', m.link.up);
      if (!(nodeIsDead && m.nodeId === nodeId)) void this.#quietly(m.nodeId, 'closePipeTransport', m.link.down);
    }
    log.info({ origin: tree.originRoomId, node: nodeId, detached: removed.length }, 'relay subtree detached');
  }

  /** A best-effort call (cleanup, replicas): failures are logged, never thrown. */
  async #quietly(
    nodeId: string,
    method: 'closeRoom' | 'closePipeTransport' | 'closeTransport' | 'closeProducer' | 'closeConsumer' | 'pauseProducer' | 'resumeProducer',
    id: string,
  ): Promise<void> {
    try {
      await this.#link(nodeId).call(method, id);
    } catch (error) {
      log.debug({ node: nodeId, method, err: String(error) }, 'best-effort call failed');
    }
  }

  /** Forgets a cluster room (edge or origin) and what was created in it. */
  #forgetRoom(roomId: string): void {
    const tree = this.#origins.get(roomId);
    if (tree) {
      this.#origins.delete(roomId);
      for (const [pid, p] of this.#producers) if (p.origin === roomId) this.#producers.delete(pid);
    }
    this.#edges.delete(roomId);
    for (const [id, t] of this.#transports) if (t.roomId === roomId) this.#transports.delete(id);
  }

  // ---- rooms and placement -------------------------------------------------------------------

  async openRoom(roomId: string, group: string = roomId): Promise<types.RtpCapabilities> {
    if (roomId.includes(EDGE_SEP)) throw new SfuError('bad_request', 'invalid room id');
    const existing = this.#origins.get(roomId);
    if (existing && this.#caps) return this.#caps;
    let pending = this.#opening.get(roomId);
    if (!pending) {
      pending = (async () => {
        // A meeting's origins stay together, on the node of its main origin.
        const main = this.#origins.get(group);
        const nodeId = main && this.#nodes.has(main.root) ? main.root : this.#leastLoaded();
        if (!nodeId) throw new SfuError('unavailable', 'no SFU node available');
        const caps = await this.#link(nodeId).call<types.RtpCapabilities>('openRoom', roomId, group);
        this.#caps ??= caps;
        const tree = new RelayTree(roomId, group, nodeId);
        this.#origins.set(roomId, tree);
        log.info({ room: roomId, node: nodeId }, 'origin opened');
        return tree;
      })().finally(() => this.#opening.delete(roomId));
      this.#opening.set(roomId, pending);
    }
    await pending;
    return this.#caps!;
  }

  #load(nodeId: string): { viewers: number; capacity: number } {
    const s = this.#nodes.get(nodeId)!;
    const l = s.link.load;
    return { viewers: (l?.viewers ?? 0) + s.placedSinceReport, capacity: l?.capacity ?? 0 };
  }

  #leastLoaded(): string | null {
    const order = orderNodes(this.#aliveIds().map((nodeId) => ({ nodeId, ...this.#load(nodeId), hasMeeting: false })));
    return order[0] ?? this.#aliveIds()[0] ?? null;
  }

  async placeViewer(originRoomId: string): Promise<string> {
    const tree = this.#origin(originRoomId);
    const serving = new Set<string>([...tree.members.keys()]);
    for (const e of this.#edges.values()) if (e.group === tree.group) serving.add(e.nodeId);
    const order = orderNodes(this.#aliveIds().map((nodeId) => ({ nodeId, ...this.#load(nodeId), hasMeeting: serving.has(nodeId) })));
    for (const nodeId of order) {
      try {
        const link = this.#link(nodeId);
        // The origin's room on this node: the origin itself, or a replica fed from the tree.
        if (nodeId !== tree.root) await link.call('openRoom', originRoomId, tree.group);
        const localId = await link.call<string>('placeViewer', originRoomId);
        const state = this.#nodes.get(nodeId);
        if (state) state.placedSinceReport += 1;
        const edgeId = `${nodeId}${EDGE_SEP}${localId}`;
        this.#edges.set(edgeId, { nodeId, localId, group: tree.group });
        return edgeId;
      } catch (error) {
        if (!(error instanceof SfuError) || error.code !== 'unavailable') throw error;
      }
    }
    this.#placementRefusals += 1;
    throw new SfuError('unavailable', 'every SFU node is at capacity');
  }

  #origin(roomId: string): RelayTree {
    const tree = this.#origins.get(roomId);
    if (!tree) throw new SfuError('not_found', `room ${roomId} not open`);
    return tree;
  }

  /** Node and node-local id of a cluster room. */
  #where(roomId: string): { nodeId: string; localId: string } {
    const edge = this.#edges.get(roomId);
    if (edge) return { nodeId: edge.nodeId, localId: edge.localId };
    const tree = this.#origin(roomId);
    return { nodeId: tree.root, localId: roomId };
  }

  async closeRoom(roomId: string): Promise<void> {
    const edge = this.#edges.get(roomId);
    if (edge) {
      this.#forgetRoom(roomId);
      await this.#quietly(edge.nodeId, 'closeRoom', edge.localId);
      return;
    }
    const tree = this.#origins.get(roomId);
    if (!tree) return;
    const nodes = new Set<string>(tree.members.keys());
    if (roomId === tree.group) {
      // A meeting's main origin closes the whole meeting, on every node that serves it.
      for (const t of [...this.#origins.values()]) {
        if (t.group !== roomId) continue;
        for (const m of t.members.keys()) nodes.add(m);
        this.#forgetRoom(t.originRoomId);
      }
      for (const [edgeId, e] of [...this.#edges]) {
        if (e.group !== roomId) continue;
        nodes.add(e.nodeId);
        this.#forgetRoom(edgeId);
      }
    } else {
      this.#forgetRoom(roomId);
    }
    await Promise.all([...nodes].filter((n) => this.#nodes.has(n)).map((n) => this.#quietly(n, 'closeRoom', roomId)));
  }

  // ---- transports, producers, consumers ------------------------------------------------------

  async createWebRtcTransport(roomId: string, direction: TransportDirection): Promise<TransportParams> {
    const { nodeId, localId } = this.#where(roomId);
    const params = await this.#link(nodeId).call<TransportParams>('createWebRtcTransport', localId, direction);
    this.#transports.set(params.id, { nodeId, roomId });
    return params;
  }

  #transport(transportId: string): { nodeId: string; roomId: string } {
    const t = this.#transports.get(transportId);
    if (!t) throw new SfuError('not_found', 'transport not found');
    return t;
  }

  async connectTransport(transportId: string, dtlsParameters: types.DtlsParameters): Promise<void> {
    await this.#link(this.#transport(transportId).nodeId).call('connectTransport', transportId, dtlsParameters);
  }

  async closeTransport(transportId: string): Promise<void> {
    const t = this.#transports.get(transportId);
    if (!t) return;
    this.#transports.delete(transportId);
    // Its producers die with it at the origin; their replicas on other nodes must follow.
    for (const [pid, p] of [...this.#producers]) if (p.transportId === transportId) this.#closeReplicas(pid);
    // Closing on a node that is gone has nothing left to close.
    if (this.#nodes.has(t.nodeId)) await this.#quietly(t.nodeId, 'closeTransport', transportId);
  }

  async produce(transportId: string, kind: MediaKind, rtpParameters: types.RtpParameters): Promise<{ producerId: string }> {
    const t = this.#transport(transportId);
    const tree = this.#origin(t.roomId);
    const res = await this.#link(t.nodeId).call<{ producerId: string }>('produce', transportId, kind, rtpParameters);
    this.#producers.set(res.producerId, { nodeId: t.nodeId, origin: tree.originRoomId, transportId });
    return res;
  }

  #producer(producerId: string): ProducerInfo {
    const p = this.#producers.get(producerId);
    if (!p) throw new SfuError('not_found', 'producer not found');
    return p;
  }

  /** Members of the producer's tree holding a replica of it. */
  #replicaNodes(producerId: string): string[] {
    const p = this.#producers.get(producerId);
    const tree = p && this.#origins.get(p.origin);
    if (!tree) return [];
    return [...tree.members.values()].filter((m) => m.producers.has(producerId)).map((m) => m.nodeId);
  }

  #closeReplicas(producerId: string): void {
    const p = this.#producers.get(producerId);
    const tree = p && this.#origins.get(p.origin);
    this.#producers.delete(producerId);
    if (!tree) return;
    for (const m of tree.members.values()) {
      if (m.producers.delete(producerId) && m.nodeId !== tree.root) void this.#quietly(m.nodeId, 'closeProducer', producerId);
    }
  }

  async closeProducer(producerId: string): Promise<void> {
    const p = this.#producers.get(producerId);
    if (!p) return;
    this.#closeReplicas(producerId);
    if (this.#nodes.has(p.nodeId)) await this.#quietly(p.nodeId, 'closeProducer', producerId);
  }

  /** Pause and resume reach the origin and every replica (a replica does not follow by itself). */
  async #setPaused(producerId: string, method: 'pauseProducer' | 'resumeProducer'): Promise<void> {
    const p = this.#producer(producerId);
    await this.#link(p.nodeId).call(method, producerId);
    await Promise.all(this.#replicaNodes(producerId).map((n) => this.#quietly(n, method, producerId)));
  }

  pauseProducer(producerId: string): Promise<void> {
    return this.#setPaused(producerId, 'pauseProducer');
  }

  resumeProducer(producerId: string): Promise<void> {
    return this.#setPaused(producerId, 'resumeProducer');
  }

  async pipeProducer(producerId: string, toRoomId: string): Promise<string> {
    const p = this.#producer(producerId);
    const tree = this.#origin(p.origin);
    const to = this.#where(toRoomId);
    if (to.nodeId !== tree.root) await this.#ensureReplica(tree, to.nodeId, producerId);
    // Within the node, its own LocalSfu pipes from the origin (or replica) room to the edge.
    return this.#link(to.nodeId).call<string>('pipeProducer', producerId, to.localId);
  }

  /** Makes sure `nodeId` is in the tree and holds a replica of the producer. */
  async #ensureReplica(tree: RelayTree, nodeId: string, producerId: string): Promise<void> {
    const member = await this.#attach(tree, nodeId);
    let pending = member.producers.get(producerId);
    if (!pending) {
      pending = (async () => {
        const parent = member.parent!;
        if (parent !== tree.root) await this.#ensureReplica(tree, parent, producerId);
        if (tree.members.get(nodeId) !== member || !member.link) throw new SfuError('unavailable', 'relay link lost');
        const piped = await this.#link(parent).call<PipedProducer>('pipeConsume', member.link.up, producerId);
        await this.#link(nodeId).call('pipeProduce', member.link.down, piped);
      })().catch((error: unknown) => {
        member.producers.delete(producerId);
        throw error;
      });
      member.producers.set(producerId, pending);
    }
    await pending;
  }

  /** The node's membership of the tree: a replica room linked to a parent with a free slot. */
  async #attach(tree: RelayTree, nodeId: string): Promise<TreeMember> {
    const existing = tree.members.get(nodeId);
    if (existing) {
      await existing.ready;
      return existing;
    }
    const parent = tree.chooseParent(this.#options.fanout, (n) => this.#nodes.has(n));
    if (!parent) throw new SfuError('unavailable', 'no relay with a free slot');
    const member = tree.add(nodeId, parent, async (m) => {
      await tree.members.get(parent)?.ready;
      const up = this.#link(parent);
      const down = this.#link(nodeId);
      await down.call('openRoom', tree.originRoomId, tree.group);
      const [a, b] = await Promise.all([
        up.call<PipeEndpoint>('createPipeTransport', tree.originRoomId),
        down.call<PipeEndpoint>('createPipeTransport', tree.originRoomId),
      ]);
      await Promise.all([up.call('connectPipeTransport', a.id, b), down.call('connectPipeTransport', b.id, a)]);
      m.link = { up: a.id, down: b.id };
      log.info({ origin: tree.originRoomId, node: nodeId, parent, depth: m.depth }, 'node linked into the relay tree');
    });
    try {
      await member.ready;
    } catch (error) {
      if (tree.members.get(nodeId) === member) tree.detach(nodeId);
      throw error;
    }
    return member;
  }

  async consume(transportId: string, producerId: string, rtpCapabilities: types.RtpCapabilities): Promise<ConsumerParams | null> {
    const t = this.#transport(transportId);
    const params = await this.#link(t.nodeId).call<ConsumerParams | null>('consume', transportId, producerId, rtpCapabilities);
    if (params) this.#consumers.set(params.id, t.nodeId);
    return params;
  }

  #consumerNode(consumerId: string): NodeLink {
    const nodeId = this.#consumers.get(consumerId);
    if (!nodeId) throw new SfuError('not_found', 'consumer not found');
    return this.#link(nodeId);
  }

  async resumeConsumer(consumerId: string): Promise<void> {
    await this.#consumerNode(consumerId).call('resumeConsumer', consumerId);
  }

  async pauseConsumer(consumerId: string): Promise<void> {
    await this.#consumerNode(consumerId).call('pauseConsumer', consumerId);
  }

  async closeConsumer(consumerId: string): Promise<void> {
    const nodeId = this.#consumers.get(consumerId);
    if (!nodeId) return;
    this.#consumers.delete(consumerId);
    if (this.#nodes.has(nodeId)) await this.#quietly(nodeId, 'closeConsumer', consumerId);
  }

  async setConsumerPreferredLayers(consumerId: string, spatialLayer: number): Promise<void> {
    await this.#consumerNode(consumerId).call('setConsumerPreferredLayers', consumerId, spatialLayer);
  }

  async consumerStats(consumerId: string): Promise<ConsumerRtpStats> {
    return this.#consumerNode(consumerId).call<ConsumerRtpStats>('consumerStats', consumerId);
  }

  async setMaxOutgoingBitrate(transportId: string, bitrate: number): Promise<void> {
    await this.#link(this.#transport(transportId).nodeId).call('setMaxOutgoingBitrate', transportId, bitrate);
  }

  // ---- observation ---------------------------------------------------------------------------

  stats(): SfuStats {
    const workers: WorkerStats[] = [];
    const sum = { routers: 0, transports: 0, producers: 0, consumers: 0, pipes: 0, refusals: 0, deaths: 0 };
    for (const [nodeId, s] of this.#nodes) {
      const st = s.link.load?.stats;
      if (!st) continue;
      for (const w of st.workers) workers.push({ ...w, node: nodeId });
      sum.routers += st.routers;
      sum.transports += st.transports;
      sum.producers += st.producers;
      sum.consumers += st.consumers;
      sum.pipes += st.pipes;
      sum.refusals += st.placementRefusals;
      sum.deaths += st.workerDeaths;
    }
    return {
      workersAlive: workers.length,
      workerDeaths: sum.deaths,
      placementRefusals: this.#placementRefusals,
      pipes: sum.pipes + this.#nodePipes(),
      routers: sum.routers,
      transports: sum.transports,
      producers: sum.producers,
      consumers: sum.consumers,
      workers,
    };
  }

  /** Producer pipes between nodes: one per producer per tree member it reached. */
  #nodePipes(): number {
    let n = 0;
    for (const tree of this.#origins.values()) for (const m of tree.members.values()) n += m.producers.size;
    return n;
  }

  /** Cluster-level figures: nodes, node deaths, producer pipes between nodes, and each origin's tree. */
  clusterStats(): { nodes: string[]; nodeDeaths: number; nodePipes: number; trees: { origin: string; root: string; members: number; depth: number }[] } {
    return {
      nodes: this.#aliveIds(),
      nodeDeaths: this.#nodeDeaths,
      nodePipes: this.#nodePipes(),
      trees: [...this.#origins.values()].map((t) => ({ origin: t.originRoomId, root: t.root, members: t.members.size, depth: t.depth })),
    };
  }

  /** The node an origin or edge room is on (tests and operators). */
  nodeOf(roomId: string): string | undefined {
    return this.#edges.get(roomId)?.nodeId ?? this.#origins.get(roomId)?.root;
  }

  /** Each member of an origin's tree with its parent. */
  treeOf(originRoomId: string): { nodeId: string; parent: string | null; depth: number }[] {
    const tree = this.#origins.get(originRoomId);
    return tree ? [...tree.members.values()].map((m) => ({ nodeId: m.nodeId, parent: m.parent, depth: m.depth })) : [];
  }

  async workerCpu(): Promise<{ node?: string; index: number; cpuSeconds: number }[]> {
    const all = await Promise.all(
      this.#aliveIds().map(async (nodeId) => {
        try {
          const list = await this.#link(nodeId).call<{ index: number; cpuSeconds: number }[]>('workerCpu');
          return list.map((w) => ({ ...w, node: nodeId }));
        } catch {
          return [];
        }
      }),
    );
    return all.flat();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const s of this.#nodes.values()) s.link.close();
    this.#nodes.clear();
    await this.#redis.quit().catch(() => undefined);
  }
}
