/**
 * The placement policy: where a new viewer of a meeting receives (and where an origin goes).
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
