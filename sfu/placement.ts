/**
 * The placement policy: where a new viewer of a meeting receives. (An origin goes to the worker
 * with the fewest routers: WorkerPool.leastLoaded.)
 *
 * Take the least-loaded worker, under the capacity, among those where the meeting already has a
 * router (no new pipes needed); when all of those are full, open on the least-loaded worker under
 * the capacity elsewhere (the meeting grows onto the next worker). Null when every worker is full.
 * Load is counted in receiving transports (viewers) per worker.
 */
import type { PooledWorker } from './WorkerPool';

export interface WorkerLoad {
  worker: PooledWorker;
  /** Receiving transports on this worker, all meetings. */
  viewers: number;
  /** The meeting already has a router on this worker. */
  hasRouter: boolean;
}

export function chooseWorker(candidates: WorkerLoad[], capacity: number): PooledWorker | null {
  const open = candidates.filter((c) => c.viewers < capacity);
  const pick = (list: WorkerLoad[]): WorkerLoad | undefined =>
    list.reduce<WorkerLoad | undefined>((best, c) => (!best || c.viewers < best.viewers ? c : best), undefined);
  return (pick(open.filter((c) => c.hasRouter)) ?? pick(open))?.worker ?? null;
}

export interface NodeLoadView {
  nodeId: string;
  /** Receiving transports on the node (its last report, plus placements since). */
  viewers: number;
  /** Alive workers × viewers per worker. */
  capacity: number;
  /** The meeting already has routers on this node (an origin, a replica or an edge). */
  hasMeeting: boolean;
}

/**
 * The same policy one level up, across SFU nodes: the order in which to try nodes for a new
 * viewer. Nodes already serving the meeting with room to spare come first (no new pipe between
 * machines), least loaded by fill ratio first; then the other nodes with room; nodes that looked
 * full at their last report come last, since reports lag (a node's own worker placement has the
 * last word, and refuses when it is really full).
 */
export function orderNodes(candidates: NodeLoadView[]): string[] {
  const fill = (n: NodeLoadView): number => (n.capacity > 0 ? n.viewers / n.capacity : 1);
  const open = candidates.filter((n) => n.viewers < n.capacity).sort((a, b) => fill(a) - fill(b));
  const full = candidates.filter((n) => n.viewers >= n.capacity).sort((a, b) => fill(a) - fill(b));
  return [...open.filter((n) => n.hasMeeting), ...open.filter((n) => !n.hasMeeting), ...full].map((n) => n.nodeId);
}
