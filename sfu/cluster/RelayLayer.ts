/**
 * The relay layer between SFU nodes: for each origin, the tree of nodes that hold a replica of
 * it (origin → relays → edges, at most `fanout` children per node: RelayTree's rule, applied in
 * Redis by TopologyStore), the PipeTransport pair that links each member to its parent, and the
 * producers recreated along it, one pipe per producer per member whatever the number of viewers.
 *
 * Any signaling process may make a member or a replica, or finish what another began: the tree
 * is decided in Redis atomically, and what it implies on the nodes is done by idempotent keyed
 * calls. A member whose node dies is detached with its subtree, once, by the process whose
 * script removed it. Each process also keeps a view of the trees of the origins it knows,
 * refreshed every discovery round, for its figures.
 */
import { logger } from '../../common/log';
import { SfuError } from '../errors';
import type { NodeDirectory } from './NodeDirectory';
import { RelayTree } from './RelayTree';
import type { SharedCalls } from './SharedCalls';
import { StaleMember, TreeFull, type MemberRecord, type OriginRecord, type TopologyStore } from './TopologyStore';

const log = logger('sfu-cluster');

/** The origins this process knows, as ClusterSfu holds them. */
export interface KnownOrigins {
  get(room: string): OriginRecord | undefined;
  rooms(): string[];
  /** The origin's shared record is gone: another process closed it. */
  closedElsewhere(room: string, rec: OriginRecord): void;
}

export interface RelayLayerOptions {
  store: TopologyStore;
  /** The same store for the periodic refresh of this process's view (its round trips counted apart). */
  background: TopologyStore;
  nodes: NodeDirectory;
  calls: SharedCalls;
  origins: KnownOrigins;
  /** Nodes one node feeds directly before the tree grows a relay level. */
  fanout: number;
}

export class RelayLayer {
  readonly #o: RelayLayerOptions;
  /** This process's view of the shared trees, with their replica counts. */
  readonly #mirror = new Map<string, { tree: RelayTree; replicas: number }>();
  #repairs = 0;

  constructor(options: RelayLayerOptions) {
    this.#o = options;
  }

  /** Dead members' subtrees this process detached. */
  get repairs(): number {
    return this.#repairs;
  }

  /**
   * Makes sure `nodeId` is in the shared tree and holds a replica of the producer: its parent
   * first, then a pipe consumer on the parent's end of the link and the replica on this end (both
   * idempotent on the nodes), then the record. Any process may do it, or finish it.
   */
  ensureReplica(rec: OriginRecord, nodeId: string, producerId: string): Promise<void> {
    const { store, nodes } = this.#o;
    return this.#o.calls.run(`rep:${rec.room}#${rec.gen}|${nodeId}|${producerId}`, async () => {
      const m = await this.#attach(rec, nodeId);
      if (await store.hasReplica(rec.room, nodeId, producerId)) return;
      if (m.parent !== rec.node) await this.ensureReplica(rec, m.parent, producerId);
      const piped = await nodes.link(m.parent).call('pipeConsume', m.up, producerId);
      await nodes.link(nodeId).call('pipeProduce', m.down, piped);
      const paused = await store.addReplica(rec.room, nodeId, m.seq, producerId);
      if (paused === null) throw new SfuError('unavailable', 'relay link or producer gone');
      if (paused !== piped.paused) await nodes.quietly(nodeId, paused ? 'pauseProducer' : 'resumeProducer', producerId);
      await this.refresh(rec.room);
    });
  }

  /**
   * The node's membership of the shared tree (TopologyStore.attach chooses the parent, once), and
   * its link: a replica room and a PipeTransport pair made with a key of the membership, so that
   * every process asking gets the same pair.
   */
  #attach(rec: OriginRecord, nodeId: string): Promise<MemberRecord & { up: string; down: string }> {
    const { store, nodes } = this.#o;
    return this.#o.calls.run(`attach:${rec.room}#${rec.gen}|${nodeId}`, async () => {
      const attach = (): Promise<MemberRecord> => store.attach(rec, nodeId, nodes.link(nodeId).epoch, this.#o.fanout, nodes.aliveEpochs());
      let m: MemberRecord;
      try {
        m = await attach();
      } catch (error) {
        if (error instanceof StaleMember) {
          // The node is in the tree from an earlier life: that member and its subtree go first.
          await this.detach(rec, nodeId, error.epoch, false);
        } else if (!(error instanceof TreeFull && (await this.#settleDeaths(rec)))) {
          throw error;
        }
        m = await attach();
      }
      if (m.up && m.down) return { ...m, up: m.up, down: m.down };
      const up = nodes.link(m.parent);
      const down = nodes.link(nodeId);
      await Promise.all([up.call('openRoom', rec.room, rec.group), down.call('openRoom', rec.room, rec.group)]);
      const key = `${rec.room}#${rec.gen}>${nodeId}#${m.seq}`;
      const [a, b] = await Promise.all([up.call('createPipeTransport', rec.room, key), down.call('createPipeTransport', rec.room, key)]);
      await Promise.all([up.call('connectPipeTransport', a.id, b), down.call('connectPipeTransport', b.id, a)]);
      if (!(await store.setLink(rec.room, nodeId, m.seq, a.id, b.id))) {
        void nodes.quietly(m.parent, 'closePipeTransport', a.id);
        void nodes.quietly(nodeId, 'closePipeTransport', b.id);
        throw new SfuError('unavailable', 'relay link lost');
      }
      log.info({ origin: rec.room, node: nodeId, parent: m.parent, depth: m.depth }, 'node linked into the relay tree');
      await this.refresh(rec.room);
      return { ...m, up: a.id, down: b.id };
    });
  }

  /**
   * Members of the tree on nodes whose link this process lost keep their slots until their death
   * is confirmed and they are detached: waits for that (a few seconds). False if there are none.
   */
  async #settleDeaths(rec: OriginRecord): Promise<boolean> {
    const { store, nodes } = this.#o;
    const dying = (await store.tree(rec.room)).filter((m) => nodes.verdict(m.node, m.epoch) !== undefined);
    for (const m of dying) if (await nodes.verdict(m.node, m.epoch)) await this.detach(rec, m.node, m.epoch, false);
    return dying.length > 0;
  }

  /**
   * Takes a member and its subtree out of an origin's shared tree (once: only the process whose
   * script removed them gets them), and closes the survivors' pipe ends: the members below lose
   * their replicas, so their viewers' consumers close; the meeting offers those producers again
   * and they re-attach through a live parent. Never throws (failures are logged).
   */
  async detach(rec: OriginRecord, nodeId: string, epoch: string, nodeAlive: boolean, seq: number | '*' = '*'): Promise<void> {
    const { store, nodes } = this.#o;
    try {
      const removed = await store.detach(rec.room, nodeId, epoch, seq);
      if (removed.length === 0) return;
      this.#repairs += 1;
      for (const m of removed) {
        if (!m.up || !m.down) continue;
        if (nodes.has(m.parent)) void nodes.quietly(m.parent, 'closePipeTransport', m.up);
        if (nodeAlive || m.node !== nodeId) void nodes.quietly(m.node, 'closePipeTransport', m.down);
      }
      log.info({ origin: rec.room, node: nodeId, detached: removed.length }, 'relay subtree detached');
      await this.refresh(rec.room);
    } catch (error) {
      log.warn({ origin: rec.room, node: nodeId, err: String(error) }, 'relay repair failed');
    }
  }

  // ---- this process's view ---------------------------------------------------------------------

  /** Reads an origin's shared tree again (an origin this process no longer knows is skipped). */
  async refresh(room: string, store = this.#o.store): Promise<void> {
    const rec = this.#o.origins.get(room);
    if (!rec) return;
    const [current, members, replicas] = await Promise.all([store.origin(room), store.tree(room), store.replicaCount(room)]);
    if (this.#o.origins.get(room) !== rec) return;
    if (!current || current.gen !== rec.gen) {
      // Closed (or lost and made anew) by another process: this view is over.
      this.#mirror.delete(room);
      if (!current) this.#o.origins.closedElsewhere(room, rec);
      return;
    }
    const tree = RelayTree.from(room, rec.group, members);
    if (tree) this.#mirror.set(room, { tree, replicas });
  }

  /** Every known origin's tree read again (each discovery round, on the background store). */
  async refreshAll(): Promise<void> {
    await Promise.all(this.#o.origins.rooms().map((room) => this.refresh(room, this.#o.background)));
  }

  /** Whether this process has a view of the origin's tree. */
  has(room: string): boolean {
    return this.#mirror.has(room);
  }

  forget(room: string): void {
    this.#mirror.delete(room);
  }

  /** Producer pipes between nodes (shared): one per producer per tree member it reached, in the origins this process knows. */
  nodePipes(): number {
    let n = 0;
    for (const { replicas } of this.#mirror.values()) n += replicas;
    return n;
  }

  /** Each known origin's tree in figures. */
  trees(): { origin: string; root: string; members: number; depth: number }[] {
    return [...this.#mirror.values()].map(({ tree: t }) => ({ origin: t.originRoomId, root: t.root, members: t.members.size, depth: t.depth }));
  }

  /** Each member of an origin's tree with its parent (as this process last read it). */
  treeOf(originRoomId: string): { nodeId: string; parent: string | null; depth: number }[] {
    const tree = this.#mirror.get(originRoomId)?.tree;
    return tree ? [...tree.members.values()].map((m) => ({ nodeId: m.nodeId, parent: m.parent, depth: m.depth })) : [];
  }

  /** The shared topology of an origin as it is in Redis now. */
  async sharedTopology(originRoomId: string): Promise<{ origin: OriginRecord | null; members: MemberRecord[]; replicas: number }> {
    const { store } = this.#o;
    const [origin, members, replicas] = await Promise.all([store.origin(originRoomId), store.tree(originRoomId), store.replicaCount(originRoomId)]);
    return { origin, members, replicas };
  }
}
