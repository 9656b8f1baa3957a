/**
 * The SFU nodes one signaling process knows: found in Redis (each node announces itself there
 * every second), reached through a NodeLink each, and judged alive or dead.
 *
 * A node is lost for this process when its link drops or misses its heartbeats, or when it
 * announces a new epoch (it restarted: nothing of its old life survives). Whether it is really
 * dead is confirmed from its announcement (`nodeLost` carries that verdict as a promise): a
 * node that keeps refreshing it only lost this process's link, and is connected again at the
 * next discovery. The shared state is repaired only on a confirmed death.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClient } from '../../common/redis';
import { TypedEmitter } from '../../common/TypedEmitter';
import { logger } from '../../common/log';
import { SfuError } from '../errors';
import type { SfuEvents, SfuStats, WorkerStats } from '../types';
import { NODES_SET, nodeKey, type NodeAnnouncement } from '../node/protocol';
import { NodeLink } from './NodeLink';

const log = logger('sfu-cluster');

/** A node whose link dropped is dead once its announcement is gone, or has not been refreshed for this long. */
const CONFIRM_DEAD_MS = 3_000;

/** Calls made best-effort (cleanup, replicas): one id each; failures are logged, never thrown. */
export type QuietMethod = 'closeRoom' | 'closePipeTransport' | 'closeTransport' | 'closeProducer' | 'closeConsumer' | 'pauseProducer' | 'resumeProducer';

export interface NodeLost {
  nodeId: string;
  epoch: string;
  /** Settles true when the node is confirmed dead, false when it still announces itself. */
  confirmed: Promise<boolean>;
}

type DirectoryEvents = {
  /** A node is gone for this process (process died, link dropped, heartbeat missed, restarted). */
  nodeLost: [NodeLost];
  /** An event of a node's LocalSfu. */
  nodeEvent: [string, keyof SfuEvents, unknown];
};

interface NodeState {
  link: NodeLink;
  /** Viewers placed since the node's last load report (so that a burst does not pile on one node). */
  placedSinceReport: number;
}

export class NodeDirectory extends TypedEmitter<DirectoryEvents> {
  readonly #redis: RedisClient;
  readonly #secret: string;
  readonly #controllerId: string;
  readonly #nodes = new Map<string, NodeState>();
  readonly #connecting = new Map<string, Promise<void>>();
  /**
   * `${nodeId}@${epoch}` of nodes whose link dropped → whether they are confirmed dead (their
   * announcements may outlive them by a few seconds; a node that only lost this process's link is
   * alive and is connected again).
   */
  readonly #dead = new Map<string, Promise<boolean>>();
  #deaths = 0;
  #closed = false;

  constructor(redis: RedisClient, secret: string, controllerId: string) {
    super();
    this.#redis = redis;
    this.#secret = secret;
    this.#controllerId = controllerId;
  }

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
        if (known) this.#lost(id, 'restarted');
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
          const link = await NodeLink.connect(a.controlUrl, a.nodeId, a.epoch, this.#secret, undefined, this.#controllerId);
          if (this.#closed) return link.close();
          this.#nodes.set(a.nodeId, { link, placedSinceReport: 0 });
          link.on('load', () => {
            const s = this.#nodes.get(a.nodeId);
            if (s?.link === link) s.placedSinceReport = 0;
          });
          link.on('sfuEvent', (name, payload) => this.safeEmit('nodeEvent', a.nodeId, name, payload));
          link.on('down', (reason) => {
            if (this.#nodes.get(a.nodeId)?.link === link) this.#lost(a.nodeId, reason);
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

  /** Nodes whose death this process has seen. */
  get deaths(): number {
    return this.#deaths;
  }

  aliveIds(): string[] {
    return [...this.#nodes.entries()].filter(([, s]) => !s.link.down).map(([id]) => id);
  }

  /** node → epoch of the nodes this process reaches. */
  aliveEpochs(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [id, s] of this.#nodes) if (!s.link.down) out[id] = s.link.epoch;
    return out;
  }

  /** Whether the node is known (its link may be down: then it is about to be lost). */
  has(nodeId: string): boolean {
    return this.#nodes.has(nodeId);
  }

  /** The epoch of a known node. */
  epochOf(nodeId: string): string | undefined {
    return this.#nodes.get(nodeId)?.link.epoch;
  }

  link(nodeId: string): NodeLink {
    const s = this.#nodes.get(nodeId);
    if (!s || s.link.down) throw new SfuError('unavailable', `SFU node ${nodeId} is not available`);
    return s.link;
  }

  /** A best-effort call (cleanup, replicas): failures are logged, never thrown. */
  async quietly(nodeId: string, method: QuietMethod, id: string): Promise<void> {
    try {
      await this.link(nodeId).call(method, id);
    } catch (error) {
      log.debug({ node: nodeId, method, err: String(error) }, 'best-effort call failed');
    }
  }

  /** A known node's load: its last report, plus the viewers placed on it since. */
  load(nodeId: string): { viewers: number; capacity: number } {
    const s = this.#nodes.get(nodeId)!;
    const l = s.link.load;
    return { viewers: (l?.viewers ?? 0) + s.placedSinceReport, capacity: l?.capacity ?? 0 };
  }

  /** Counts a viewer placed on the node until its next load report. */
  placed(nodeId: string): void {
    const state = this.#nodes.get(nodeId);
    if (state) state.placedSinceReport += 1;
  }

  /**
   * Whether a node of a given epoch (as a shared record names it) is alive for this process,
   * dead (confirmed), or not known yet (announced but not reached, or being confirmed).
   */
  async liveness(nodeId: string, epoch: string): Promise<'alive' | 'dead' | 'unknown'> {
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

  /** For a node of an epoch this process lost: the verdict on its death (see NodeLost), else undefined. */
  verdict(nodeId: string, epoch: string): Promise<boolean> | undefined {
    return this.#dead.get(`${nodeId}@${epoch}`);
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

  /** A node is gone for this process (process died, link dropped or heartbeat missed): nothing on it survives. */
  #lost(nodeId: string, reason: string): void {
    const state = this.#nodes.get(nodeId);
    if (!state) return;
    const epoch = state.link.epoch;
    this.#nodes.delete(nodeId);
    state.link.close();
    const key = `${nodeId}@${epoch}`;
    const confirmed = this.#confirmDead(nodeId, epoch);
    this.#dead.set(key, confirmed);
    this.#deaths += 1;
    log.warn({ node: nodeId, reason }, 'SFU node lost');
    void confirmed.then((dead) => {
      if (dead) return;
      log.warn({ node: nodeId }, 'SFU node still announces itself: only this link was lost; connecting again');
      this.#dead.delete(key);
    });
    this.safeEmit('nodeLost', { nodeId, epoch, confirmed });
  }

  /** The nodes' own figures, summed from their last load reports (workers named by node). */
  nodeStats(): Omit<SfuStats, 'workersAlive' | 'placementRefusals'> {
    const workers: WorkerStats[] = [];
    const sum = { routers: 0, transports: 0, producers: 0, consumers: 0, pipes: 0, deaths: 0 };
    for (const [nodeId, s] of this.#nodes) {
      const st = s.link.load?.stats;
      if (!st) continue;
      for (const w of st.workers) workers.push({ ...w, node: nodeId });
      sum.routers += st.routers;
      sum.transports += st.transports;
      sum.producers += st.producers;
      sum.consumers += st.consumers;
      sum.pipes += st.pipes;
      sum.deaths += st.workerDeaths;
    }
    return { workerDeaths: sum.deaths, pipes: sum.pipes, routers: sum.routers, transports: sum.transports, producers: sum.producers, consumers: sum.consumers, workers };
  }

  /** Per-node link figures from the nodes' load reports: pipe ends, pipe consumers, replica producers. */
  nodePipeStats(): Record<string, { transports: number; consumers: number; replicas: number }> {
    const out: Record<string, { transports: number; consumers: number; replicas: number }> = {};
    for (const [id, s] of this.#nodes) if (s.link.load?.nodePipes) out[id] = s.link.load.nodePipes;
    return out;
  }

  async workerCpu(): Promise<{ node?: string; index: number; cpuSeconds: number; udpReceiveDrops?: number }[]> {
    const all = await Promise.all(
      this.aliveIds().map(async (nodeId) => {
        try {
          const list = await this.link(nodeId).call('workerCpu');
          return list.map((w) => ({ ...w, node: nodeId }));
        } catch {
          return [];
        }
      }),
    );
    return all.flat();
  }

  close(): void {
    this.#closed = true;
    for (const s of this.#nodes.values()) s.link.close();
    this.#nodes.clear();
  }
}
