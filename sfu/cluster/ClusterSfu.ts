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
 * Several signaling processes, each with its own ClusterSfu, drive the same nodes. What is
 * shared (origins, relay trees, replicas, the producer registry) lives in Redis (TopologyStore)
 * and is decided there atomically; what it implies on the nodes is done by idempotent keyed calls,
 * so it is made once however many processes ask, and any process finishes what a dead one began.
 * What belongs to one socket (transports, consumers, the edges this process placed viewers in)
 * stays with the instance that made it; producers are addressable from every instance.
 *
 * Room ids the caller sees: origin ids as given; edges as `${nodeId}|${localEdgeId}`.
 */
import { randomUUID } from 'node:crypto';
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
  RecorderTap,
  SfuControl,
  SfuEvents,
  SfuStats,
  TapTarget,
  TransportDirection,
  TransportParams,
  WorkerStats,
} from '../types';
import { NODES_SET, nodeKey, type NodeAnnouncement } from '../node/protocol';
import { NodeLink } from './NodeLink';
import { RelayTree } from './RelayTree';
import { StaleMember, TopologyStore, TreeFull, type MemberRecord, type OriginRecord } from './TopologyStore';

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

const EDGE_SEP = '|';
/** How long openRoom waits for a lost origin to be cleared (by whichever process repairs it). */
const OPEN_DEADLINE_MS = 20_000;
/** A node whose link dropped is dead once its announcement is gone, or has not been refreshed for this long. */
const CONFIRM_DEAD_MS = 3_000;
/** How long the process repairing a lost origin holds that right before another may take it. */
const REPAIR_CLAIM_MS = 15_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class ClusterSfu extends TypedEmitter<SfuEvents> implements SfuControl {
  readonly #options: ClusterOptions;
  readonly #redis: RedisClient;
  readonly #store: TopologyStore;
  /** The same store for the periodic refresh of this process's view (its round trips counted apart). */
  readonly #background: TopologyStore;
  readonly #token = randomUUID();
  readonly #nodes = new Map<string, NodeState>();
  readonly #connecting = new Map<string, Promise<void>>();
  /**
   * `${nodeId}@${epoch}` of nodes whose link dropped → whether they are confirmed dead (their
   * announcements may outlive them by a few seconds; a node that only lost this process's link is
   * alive and is connected again).
   */
  readonly #dead = new Map<string, Promise<boolean>>();
  /** Origins this process opened or piped from (the shared record as last read). */
  readonly #origins = new Map<string, OriginRecord>();
  /** `${room}#${gen}` whose room this process has opened on the node. */
  readonly #opened = new Set<string>();
  readonly #opening = new Map<string, Promise<types.RtpCapabilities>>();
  /** This process's view of the shared trees, with their replica counts (refreshed every discovery round). */
  readonly #mirror = new Map<string, { tree: RelayTree; replicas: number }>();
  /** Shared operations under way in this process (so that concurrent callers here share one). */
  readonly #pending = new Map<string, Promise<unknown>>();
  readonly #edges = new Map<string, Edge>();
  readonly #transports = new Map<string, { nodeId: string; roomId: string }>();
  /** Producers published through this process, by id → their transport. */
  readonly #producers = new Map<string, string>();
  readonly #consumers = new Map<string, string>();
  /** Recorder tap id → the node holding it (the producer's origin node). */
  readonly #taps = new Map<string, string>();
  #caps: types.RtpCapabilities | null = null;
  #placementRefusals = 0;
  #nodeDeaths = 0;
  #repairs = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #controllerId: string;

  private constructor(options: ClusterOptions, redis: RedisClient) {
    super();
    this.#options = options;
    this.#controllerId = options.controllerId ?? `controller-${randomUUID()}`;
    this.#redis = redis;
    this.#store = new TopologyStore(redis);
    this.#background = new TopologyStore(redis);
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
      await sleep(200);
      await cluster.discover();
    }
    cluster.#timer = setInterval(() => {
      cluster.discover().catch((err: unknown) => log.warn({ err: String(err) }, 'discovery failed'));
      cluster.#refreshMirrors().catch((err: unknown) => log.warn({ err: String(err) }, 'topology refresh failed'));
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
          const link = await NodeLink.connect(a.controlUrl, a.nodeId, a.epoch, this.#options.secret, undefined, this.#controllerId);
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

  /** node → epoch of the nodes this process reaches. */
  #aliveEpochs(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [id, s] of this.#nodes) if (!s.link.down) out[id] = s.link.epoch;
    return out;
  }

  #link(nodeId: string): NodeLink {
    const s = this.#nodes.get(nodeId);
    if (!s || s.link.down) throw new SfuError('unavailable', `SFU node ${nodeId} is not available`);
    return s.link;
  }

  /**
   * Whether a node of a given epoch (as a shared record names it) is alive for this process,
   * dead (confirmed), or not known yet (announced but not reached, or being confirmed).
   */
  async #liveness(nodeId: string, epoch: string): Promise<'alive' | 'dead' | 'unknown'> {
    const s = this.#nodes.get(nodeId);
    if (s && !s.link.down && s.link.epoch === epoch) return 'alive';
    const confirming = this.#dead.get(`${nodeId}@${epoch}`);
    if (confirming) return (await confirming) ? 'dead' : 'unknown';
    if (s && s.link.epoch !== epoch) return 'dead';
    await this.discover();
    const again = this.#nodes.get(nodeId);
    if (again && !again.link.down && again.link.epoch === epoch) return 'alive';
    const raw = await this.#redis.get(nodeKey(nodeId));
    if (!raw || (JSON.parse(raw) as NodeAnnouncement).epoch !== epoch) return 'dead';
    return 'unknown';
  }

  /**
   * Whether a node whose link dropped is really gone: its announcement expired, names a new
   * epoch, or has not been refreshed (every second) for CONFIRM_DEAD_MS. A node that refreshes it
   * is alive (only this process lost its link): the shared state is left alone.
   */
  async #confirmDead(nodeId: string, epoch: string): Promise<boolean> {
    const until = Date.now() + CONFIRM_DEAD_MS;
    let firstAt: number | undefined;
    for (;;) {
      const raw = await this.#redis.get(nodeKey(nodeId)).catch(() => null);
      if (!raw) return true;
      const a = JSON.parse(raw) as NodeAnnouncement;
      if (a.epoch !== epoch) return true;
      if (firstAt === undefined) firstAt = a.at;
      else if (a.at > firstAt) return false;
      if (Date.now() > until || this.#closed) return true;
      await sleep(250);
    }
  }

  #onNodeEvent(nodeId: string, name: keyof SfuEvents, payload: unknown): void {
    // Every controller of a node hears its events: each instance keeps what concerns its own objects.
    if (name === 'consumerClosed') {
      const p = payload as SfuEvents['consumerClosed'][0];
      if (!this.#consumers.delete(p.consumerId)) return;
      this.safeEmit('consumerClosed', p);
    } else if (name === 'workerDied') {
      this.safeEmit('workerDied', payload as SfuEvents['workerDied'][0]);
    } else if (name === 'roomsLost') {
      this.#onRoomsLostOnNode(nodeId, (payload as SfuEvents['roomsLost'][0]).roomIds);
    }
  }

  /** Own edges of a group (on one node, or anywhere). */
  #edgesOf(group: string, nodeId?: string): string[] {
    return [...this.#edges].filter(([, e]) => e.group === group && (nodeId === undefined || e.nodeId === nodeId)).map(([id]) => id);
  }

  /** A worker of a node died with some rooms: map them to this process's rooms, and repair the shared trees (once). */
  #onRoomsLostOnNode(nodeId: string, localIds: string[]): void {
    const lost = new Set<string>();
    const local = new Set(localIds);
    const epoch = this.#nodes.get(nodeId)?.link.epoch;
    for (const [edgeId, e] of this.#edges) if (e.nodeId === nodeId && local.has(e.localId)) lost.add(edgeId);
    for (const rec of [...this.#origins.values()]) {
      if (!local.has(rec.room)) continue;
      if (rec.node === nodeId) {
        // The origin is gone: everyone of the meeting rejoins.
        lost.add(rec.room);
        for (const id of this.#edgesOf(rec.group)) lost.add(id);
        void this.#repairOrigin(rec);
      } else {
        // A replica died: the node's edges of this meeting lost their feed; they re-home, and the
        // node leaves the tree (with whatever it relayed to).
        for (const id of this.#edgesOf(rec.group, nodeId)) lost.add(id);
        if (epoch) void this.#detach(rec, nodeId, epoch, true);
      }
    }
    for (const id of lost) this.#forgetRoom(id);
    if (lost.size > 0) this.safeEmit('roomsLost', { roomIds: [...lost], reason: 'worker_died' });
  }

  /** A node is gone for this process (process died, link dropped or heartbeat missed): nothing on it survives. */
  #nodeLost(nodeId: string, reason: string): void {
    const state = this.#nodes.get(nodeId);
    if (!state) return;
    const epoch = state.link.epoch;
    this.#nodes.delete(nodeId);
    state.link.close();
    const confirmed = this.#confirmDead(nodeId, epoch);
    this.#dead.set(`${nodeId}@${epoch}`, confirmed);
    this.#nodeDeaths += 1;
    log.warn({ node: nodeId, reason }, 'SFU node lost');
    const lost = new Set<string>();
    for (const [edgeId, e] of this.#edges) if (e.nodeId === nodeId) lost.add(edgeId);
    const origins = [...this.#origins.values()];
    for (const rec of origins) {
      if (rec.node !== nodeId || rec.epoch !== epoch) continue;
      lost.add(rec.room);
      for (const id of this.#edgesOf(rec.group)) lost.add(id);
    }
    for (const id of lost) this.#forgetRoom(id);
    for (const [id, t] of this.#transports) if (t.nodeId === nodeId) this.#transports.delete(id);
    for (const [id, n] of this.#consumers) if (n === nodeId) this.#consumers.delete(id);
    if (lost.size > 0) this.safeEmit('roomsLost', { roomIds: [...lost], reason: 'node_died' });
    // The shared state is repaired once the death is confirmed, by whichever process gets there first.
    void confirmed.then(async (dead) => {
      if (!dead) {
        log.warn({ node: nodeId }, 'SFU node still announces itself: only this link was lost; connecting again');
        this.#dead.delete(`${nodeId}@${epoch}`);
        return;
      }
      for (const rec of origins) {
        if (rec.node === nodeId && rec.epoch === epoch) await this.#repairOrigin(rec);
        else await this.#detach(rec, nodeId, epoch, false);
      }
    });
  }

  /**
   * A lost origin: its room is closed on every live node (closing a meeting's main origin there
   * closes its edges and transports: everyone rejoins), then its shared record is cleared, so that
   * the next openRoom makes a fresh one. Done by one process (SET NX); the others' openRoom waits.
   */
  async #repairOrigin(rec: OriginRecord): Promise<void> {
    try {
      if (!(await this.#store.claimRepair(rec.room, rec.gen, this.#token, REPAIR_CLAIM_MS))) return;
      // Already repaired (and maybe made anew, with the same room id): nothing of it to close.
      if ((await this.#store.origin(rec.room))?.gen !== rec.gen) return;
      await Promise.all(this.#aliveIds().filter((n) => n !== rec.node).map((n) => this.#quietly(n, 'closeRoom', rec.room)));
      // Only its worker died: the meeting's rooms on the node's other workers go too.
      if (this.#nodes.has(rec.node)) await this.#quietly(rec.node, 'closeRoom', rec.room);
      if (await this.#store.clearOrigin(rec.room, rec.gen)) {
        this.#repairs += 1;
        log.warn({ origin: rec.room, node: rec.node, gen: rec.gen }, 'lost origin cleared');
      }
    } catch (error) {
      log.warn({ origin: rec.room, err: String(error) }, 'origin repair failed');
    }
  }

  /**
   * Takes a member and its subtree out of an origin's shared tree (once: only the process whose
   * script removed them gets them), and closes the survivors' pipe ends: the members below lose
   * their replicas, so their viewers' consumers close; the meeting offers those producers again
   * and they re-attach through a live parent.
   */
  async #detach(rec: OriginRecord, nodeId: string, epoch: string, nodeAlive: boolean, seq: number | '*' = '*'): Promise<void> {
    try {
      const removed = await this.#store.detach(rec.room, nodeId, epoch, seq);
      if (removed.length === 0) return;
      this.#repairs += 1;
      for (const m of removed) {
        if (!m.up || !m.down) continue;
        if (this.#nodes.has(m.parent)) void this.#quietly(m.parent, 'closePipeTransport', m.up);
        if (nodeAlive || m.node !== nodeId) void this.#quietly(m.node, 'closePipeTransport', m.down);
      }
      log.info({ origin: rec.room, node: nodeId, detached: removed.length }, 'relay subtree detached');
      await this.#refreshMirror(rec.room);
    } catch (error) {
      log.warn({ origin: rec.room, node: nodeId, err: String(error) }, 'relay repair failed');
    }
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

  /** Forgets a room (edge or origin) of this process and what this process created in it. */
  #forgetRoom(roomId: string): void {
    if (this.#origins.delete(roomId)) this.#mirror.delete(roomId);
    this.#edges.delete(roomId);
    for (const [id, t] of this.#transports) if (t.roomId === roomId) this.#transports.delete(id);
  }

  /** Shared operations keyed in this process: concurrent callers share one. */
  #once<T>(key: string, make: () => Promise<T>): Promise<T> {
    const existing = this.#pending.get(key) as Promise<T> | undefined;
    if (existing) return existing;
    const p = make().finally(() => this.#pending.delete(key));
    this.#pending.set(key, p);
    return p;
  }

  // ---- rooms and placement -------------------------------------------------------------------

  async openRoom(roomId: string, group: string = roomId): Promise<types.RtpCapabilities> {
    if (roomId.includes(EDGE_SEP)) throw new SfuError('bad_request', 'invalid room id');
    return this.#once(`open:${roomId}`, () => this.#openRoom(roomId, group));
  }

  /**
   * The origin's shared record (claimed by the first process to ask, on its least-loaded node),
   * opened on its node. An origin on a dead node is repaired (once, by one process) and claimed
   * anew; meanwhile this waits.
   */
  async #openRoom(roomId: string, group: string): Promise<types.RtpCapabilities> {
    const deadline = Date.now() + OPEN_DEADLINE_MS;
    for (;;) {
      const proposal = this.#leastLoaded();
      if (!proposal) throw new SfuError('unavailable', 'no SFU node available');
      const rec = await this.#store.claimOrigin(roomId, group, proposal, this.#nodes.get(proposal)!.link.epoch);
      const state = await this.#liveness(rec.node, rec.epoch);
      if (state === 'alive') {
        const key = `${roomId}#${rec.gen}`;
        if (!this.#caps || !this.#opened.has(key)) {
          const caps = await this.#link(rec.node).call('openRoom', roomId, rec.group);
          this.#caps ??= caps;
          this.#opened.add(key);
          if (rec.node === proposal) log.info({ room: roomId, node: rec.node, gen: rec.gen }, 'origin opened');
        }
        this.#origins.set(roomId, rec);
        if (!this.#mirror.has(roomId)) await this.#refreshMirror(roomId);
        return this.#caps;
      }
      if (state === 'dead') await this.#repairOrigin(rec);
      if (Date.now() > deadline) throw new SfuError('unavailable', `origin of ${roomId} is on an unreachable SFU node`);
      await sleep(200);
    }
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
    const rec = this.#origin(originRoomId);
    const serving = new Set<string>((await this.#store.tree(originRoomId)).map((m) => m.node));
    for (const e of this.#edges.values()) if (e.group === rec.group) serving.add(e.nodeId);
    const order = orderNodes(this.#aliveIds().map((nodeId) => ({ nodeId, ...this.#load(nodeId), hasMeeting: serving.has(nodeId) })));
    for (const nodeId of order) {
      try {
        const link = this.#link(nodeId);
        // The origin's room on this node: the origin itself, or a replica fed from the tree.
        if (nodeId !== rec.node) await link.call('openRoom', originRoomId, rec.group);
        const localId = await link.call('placeViewer', originRoomId);
        const state = this.#nodes.get(nodeId);
        if (state) state.placedSinceReport += 1;
        const edgeId = `${nodeId}${EDGE_SEP}${localId}`;
        this.#edges.set(edgeId, { nodeId, localId, group: rec.group });
        return edgeId;
      } catch (error) {
        if (!(error instanceof SfuError) || error.code !== 'unavailable') throw error;
      }
    }
    this.#placementRefusals += 1;
    throw new SfuError('unavailable', 'every SFU node is at capacity');
  }

  #origin(roomId: string): OriginRecord {
    const rec = this.#origins.get(roomId);
    if (!rec) throw new SfuError('not_found', `room ${roomId} not open`);
    return rec;
  }

  /** Node and node-local id of a room of this process. */
  #where(roomId: string): { nodeId: string; localId: string } {
    const edge = this.#edges.get(roomId);
    if (edge) return { nodeId: edge.nodeId, localId: edge.localId };
    return { nodeId: this.#origin(roomId).node, localId: roomId };
  }

  /**
   * Closes a room for every process: callers close an origin when its meeting (or breakout) is
   * over cluster-wide. Closing a meeting's main origin closes all its rooms on every node. An edge
   * is only forgotten here: other processes' viewers share it on its node.
   */
  async closeRoom(roomId: string): Promise<void> {
    if (this.#edges.has(roomId)) return this.#forgetRoom(roomId);
    const rec = this.#origins.get(roomId) ?? (await this.#store.origin(roomId));
    if (!rec) return;
    const rooms = new Set([roomId]);
    if (roomId === rec.group) for (const r of await this.#store.groupRooms(rec.group)) rooms.add(r);
    for (const r of rooms) await this.#store.clearOrigin(r, '*');
    for (const r of rooms) this.#forgetRoom(r);
    if (roomId === rec.group) for (const id of this.#edgesOf(rec.group)) this.#forgetRoom(id);
    await Promise.all(this.#aliveIds().map((n) => this.#quietly(n, 'closeRoom', roomId)));
  }

  // ---- transports, producers, consumers ------------------------------------------------------

  async createWebRtcTransport(roomId: string, direction: TransportDirection): Promise<TransportParams> {
    const { nodeId, localId } = this.#where(roomId);
    const params = await this.#link(nodeId).call('createWebRtcTransport', localId, direction);
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
    const own = [...this.#producers].filter(([, tid]) => tid === transportId).map(([pid]) => pid);
    await Promise.all(own.map((pid) => this.closeProducer(pid)));
    // Closing on a node that is gone has nothing left to close.
    if (this.#nodes.has(t.nodeId)) await this.#quietly(t.nodeId, 'closeTransport', transportId);
  }

  async produce(transportId: string, kind: MediaKind, rtpParameters: types.RtpParameters): Promise<{ producerId: string }> {
    const t = this.#transport(transportId);
    const rec = this.#origin(t.roomId);
    const link = this.#link(t.nodeId);
    const res = await link.call('produce', transportId, kind, rtpParameters);
    this.#producers.set(res.producerId, transportId);
    await this.#store.addProducer({ id: res.producerId, node: t.nodeId, epoch: link.epoch, origin: rec.room, gen: rec.gen, transport: transportId, paused: false });
    return res;
  }

  /** A producer from the shared registry (published through any process). */
  async #producer(producerId: string) {
    const p = await this.#store.producer(producerId);
    if (!p) throw new SfuError('not_found', 'producer not found');
    return p;
  }

  /** Closes a producer at its origin and every replica, whoever published it and whoever made them. */
  async closeProducer(producerId: string): Promise<void> {
    this.#producers.delete(producerId);
    const p = await this.#store.producer(producerId);
    if (!p) return;
    const replicas = await this.#store.removeProducer(p);
    await Promise.all([p.node, ...replicas].filter((n) => this.#nodes.has(n)).map((n) => this.#quietly(n, 'closeProducer', producerId)));
  }

  /**
   * Pause and resume reach the origin and every replica (a replica does not follow by itself).
   * The flag is written first, and a replica made meanwhile reads it once recorded
   * (#ensureReplica), so none is left behind.
   */
  async #setPaused(producerId: string, paused: boolean): Promise<void> {
    const p = await this.#producer(producerId);
    const method = paused ? 'pauseProducer' : 'resumeProducer';
    await this.#store.setPaused(producerId, paused);
    await this.#link(p.node).call(method, producerId);
    const replicas = await this.#store.replicaNodes(p.origin, producerId);
    await Promise.all(replicas.filter((n) => this.#nodes.has(n)).map((n) => this.#quietly(n, method, producerId)));
  }

  pauseProducer(producerId: string): Promise<void> {
    return this.#setPaused(producerId, true);
  }

  resumeProducer(producerId: string): Promise<void> {
    return this.#setPaused(producerId, false);
  }

  async pipeProducer(producerId: string, toRoomId: string): Promise<string> {
    const p = await this.#producer(producerId);
    const rec = await this.#store.origin(p.origin);
    if (!rec || rec.gen !== p.gen) throw new SfuError('not_found', 'producer not found');
    if (!this.#origins.has(rec.room)) this.#origins.set(rec.room, rec);
    const to = this.#where(toRoomId);
    if (to.nodeId !== rec.node) await this.#ensureReplica(rec, to.nodeId, producerId);
    // Within the node, its own LocalSfu pipes from the origin (or replica) room to the edge.
    return this.#link(to.nodeId).call('pipeProducer', producerId, to.localId);
  }

  /**
   * Makes sure `nodeId` is in the shared tree and holds a replica of the producer: its parent
   * first, then a pipe consumer on the parent's end of the link and the replica on this end (both
   * idempotent on the nodes), then the record. Any process may do it, or finish it.
   */
  #ensureReplica(rec: OriginRecord, nodeId: string, producerId: string): Promise<void> {
    return this.#once(`rep:${rec.room}#${rec.gen}|${nodeId}|${producerId}`, async () => {
      const m = await this.#attach(rec, nodeId);
      if (await this.#store.hasReplica(rec.room, nodeId, producerId)) return;
      if (m.parent !== rec.node) await this.#ensureReplica(rec, m.parent, producerId);
      const piped = await this.#link(m.parent).call('pipeConsume', m.up!, producerId);
      await this.#link(nodeId).call('pipeProduce', m.down!, piped);
      const paused = await this.#store.addReplica(rec.room, nodeId, m.seq, producerId);
      if (paused === null) throw new SfuError('unavailable', 'relay link or producer gone');
      if (paused !== piped.paused) await this.#quietly(nodeId, paused ? 'pauseProducer' : 'resumeProducer', producerId);
      await this.#refreshMirror(rec.room);
    });
  }

  /**
   * The node's membership of the shared tree (TopologyStore.attach chooses the parent, once), and
   * its link: a replica room and a PipeTransport pair made with a key of the membership, so that
   * every process asking gets the same pair.
   */
  #attach(rec: OriginRecord, nodeId: string): Promise<MemberRecord & { up: string; down: string }> {
    return this.#once(`attach:${rec.room}#${rec.gen}|${nodeId}`, async () => {
      const attach = (): Promise<MemberRecord> => this.#store.attach(rec, nodeId, this.#link(nodeId).epoch, this.#options.fanout, this.#aliveEpochs());
      let m: MemberRecord;
      try {
        m = await attach();
      } catch (error) {
        if (error instanceof StaleMember) {
          // The node is in the tree from an earlier life: that member and its subtree go first.
          await this.#detach(rec, nodeId, error.epoch, false);
        } else if (!(error instanceof TreeFull && (await this.#settleDeaths(rec)))) {
          throw error;
        }
        m = await attach();
      }
      if (m.up && m.down) return { ...m, up: m.up, down: m.down };
      const up = this.#link(m.parent);
      const down = this.#link(nodeId);
      await Promise.all([up.call('openRoom', rec.room, rec.group), down.call('openRoom', rec.room, rec.group)]);
      const key = `${rec.room}#${rec.gen}>${nodeId}#${m.seq}`;
      const [a, b] = await Promise.all([
        up.call('createPipeTransport', rec.room, key),
        down.call('createPipeTransport', rec.room, key),
      ]);
      await Promise.all([up.call('connectPipeTransport', a.id, b), down.call('connectPipeTransport', b.id, a)]);
      if (!(await this.#store.setLink(rec.room, nodeId, m.seq, a.id, b.id))) {
        void this.#quietly(m.parent, 'closePipeTransport', a.id);
        void this.#quietly(nodeId, 'closePipeTransport', b.id);
        throw new SfuError('unavailable', 'relay link lost');
      }
      log.info({ origin: rec.room, node: nodeId, parent: m.parent, depth: m.depth }, 'node linked into the relay tree');
      await this.#refreshMirror(rec.room);
      return { ...m, up: a.id, down: b.id };
    });
  }

  /**
   * Members of the tree on nodes whose link this process lost keep their slots until their death
   * is confirmed and they are detached: waits for that (a few seconds). False if there are none.
   */
  async #settleDeaths(rec: OriginRecord): Promise<boolean> {
    const dying = (await this.#store.tree(rec.room)).filter((m) => this.#dead.has(`${m.node}@${m.epoch}`));
    for (const m of dying) if (await this.#dead.get(`${m.node}@${m.epoch}`)) await this.#detach(rec, m.node, m.epoch, false);
    return dying.length > 0;
  }

  async consume(transportId: string, producerId: string, rtpCapabilities: types.RtpCapabilities): Promise<ConsumerParams | null> {
    const t = this.#transport(transportId);
    const params = await this.#link(t.nodeId).call('consume', transportId, producerId, rtpCapabilities);
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
    return this.#consumerNode(consumerId).call('consumerStats', consumerId);
  }

  async setMaxOutgoingBitrate(transportId: string, bitrate: number): Promise<void> {
    await this.#link(this.#transport(transportId).nodeId).call('setMaxOutgoingBitrate', transportId, bitrate);
  }

  // ---- recorder taps: on the node holding the producer's origin -----------------------------

  async createRecorderTap(producerId: string, target: TapTarget): Promise<RecorderTap> {
    const { node: nodeId } = await this.#producer(producerId);
    const tap = await this.#link(nodeId).call('createRecorderTap', producerId, target);
    this.#taps.set(tap.id, nodeId);
    return tap;
  }

  async resumeRecorderTap(tapId: string): Promise<void> {
    const nodeId = this.#taps.get(tapId);
    if (!nodeId) throw new SfuError('not_found', 'recorder tap not found');
    await this.#link(nodeId).call('resumeRecorderTap', tapId);
  }

  async closeRecorderTap(tapId: string): Promise<ConsumerRtpStats | null> {
    const nodeId = this.#taps.get(tapId);
    this.#taps.delete(tapId);
    if (!nodeId || !this.#nodes.has(nodeId)) return null;
    return this.#link(nodeId).call('closeRecorderTap', tapId).catch(() => null);
  }

  // ---- observation ---------------------------------------------------------------------------

  async #refreshMirror(room: string, store = this.#store): Promise<void> {
    const rec = this.#origins.get(room);
    if (!rec) return;
    const [current, members, replicas] = await Promise.all([store.origin(room), store.tree(room), store.replicaCount(room)]);
    if (this.#origins.get(room) !== rec) return;
    if (!current || current.gen !== rec.gen) {
      // Closed (or lost and made anew) by another process: this view is over, and when the
      // meeting was closed, so are this process's edges of it.
      this.#mirror.delete(room);
      if (!current) {
        this.#origins.delete(room);
        if (room === rec.group) for (const id of this.#edgesOf(rec.group)) this.#forgetRoom(id);
      }
      return;
    }
    const tree = RelayTree.from(room, rec.group, members);
    if (tree) this.#mirror.set(room, { tree, replicas });
  }

  async #refreshMirrors(): Promise<void> {
    await Promise.all([...this.#origins.keys()].map((room) => this.#refreshMirror(room, this.#background)));
  }

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

  /** Producer pipes between nodes (shared): one per producer per tree member it reached, in the origins this process knows. */
  #nodePipes(): number {
    let n = 0;
    for (const { replicas } of this.#mirror.values()) n += replicas;
    return n;
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
      nodes: this.#aliveIds(),
      nodeDeaths: this.#nodeDeaths,
      nodePipes: this.#nodePipes(),
      repairs: this.#repairs,
      topologyRoundTrips: this.#store.roundTrips,
      trees: [...this.#mirror.values()].map(({ tree: t }) => ({ origin: t.originRoomId, root: t.root, members: t.members.size, depth: t.depth })),
    };
  }

  /** The node an origin or edge room is on (tests and operators). */
  nodeOf(roomId: string): string | undefined {
    return this.#edges.get(roomId)?.nodeId ?? this.#origins.get(roomId)?.node;
  }

  /** Each member of an origin's tree with its parent (as this process last read it). */
  treeOf(originRoomId: string): { nodeId: string; parent: string | null; depth: number }[] {
    const tree = this.#mirror.get(originRoomId)?.tree;
    return tree ? [...tree.members.values()].map((m) => ({ nodeId: m.nodeId, parent: m.parent, depth: m.depth })) : [];
  }

  /** The shared topology of an origin as it is in Redis now (tests and operators). */
  async sharedTopology(originRoomId: string): Promise<{ origin: OriginRecord | null; members: MemberRecord[]; replicas: number }> {
    const [origin, members, replicas] = await Promise.all([
      this.#store.origin(originRoomId),
      this.#store.tree(originRoomId),
      this.#store.replicaCount(originRoomId),
    ]);
    return { origin, members, replicas };
  }

  /** Per-node link figures from the nodes' load reports: pipe ends, pipe consumers, replica producers. */
  nodePipeStats(): Record<string, { transports: number; consumers: number; replicas: number }> {
    const out: Record<string, { transports: number; consumers: number; replicas: number }> = {};
    for (const [id, s] of this.#nodes) if (s.link.load?.nodePipes) out[id] = s.link.load.nodePipes;
    return out;
  }

  async workerCpu(): Promise<{ node?: string; index: number; cpuSeconds: number; udpReceiveDrops?: number }[]> {
    const all = await Promise.all(
      this.#aliveIds().map(async (nodeId) => {
        try {
          const list = await this.#link(nodeId).call('workerCpu');
          return list.map((w) => ({ ...w, node: nodeId }));
        } catch {
          return [];
        }
      }),
    );
    return all.flat();
  }

  /** Leaves the shared state as it is: other processes keep using the origins, trees and replicas. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const s of this.#nodes.values()) s.link.close();
    this.#nodes.clear();
    await this.#redis.quit().catch(() => undefined);
  }
}
