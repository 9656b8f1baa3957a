/**
 * A pool of mediasoup workers, one per core by default, each with two WebRtcServers: viewers on
 * UDP (and TCP) port `rtcBasePort + index`, publishers on `rtcBasePort + numWorkers + index`.
 * A worker that dies is logged, counted and replaced on the same index and ports; listeners hear
 * `workerDied` once the replacement is up, or once it has failed to start a few times (the index
 * then stays empty, and with every index empty, callers get SfuError('unavailable')).
 */
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { TypedEmitter } from '../common/TypedEmitter';
import { logger } from '../common/log';
import type { SfuOptions } from './types';
import { SfuError } from './errors';

const log = logger('sfu:pool');

export interface PooledWorker {
  readonly index: number;
  readonly worker: types.Worker;
  /** Viewers' (receiving) transports: one UDP (and TCP) socket shared by every viewer of the worker. */
  readonly webRtcServer: types.WebRtcServer;
  /**
   * Publishers' (sending) transports: a socket of their own, `rtcBasePort + numWorkers + index`,
   * so that a flood of viewers' RTCP and transport-cc feedback that fills the viewers' socket
   * buffer never drops the host's media at the kernel.
   */
  readonly ingestServer: types.WebRtcServer;
  /** Routers currently on this worker. */
  routers: number;
  /** Receiving transports on this worker (the placement load). */
  viewers: number;
}

type PoolEvents = {
  workerDied: [{ index: number; pid: number; error: string; replacement: PooledWorker | null }];
};

export class WorkerPool extends TypedEmitter<PoolEvents> {
  readonly #options: SfuOptions;
  readonly #workers: (PooledWorker | null)[];
  #deaths = 0;
  #closed = false;

  private constructor(options: SfuOptions) {
    super();
    this.#options = options;
    this.#workers = new Array<PooledWorker | null>(options.numWorkers).fill(null);
  }

  static async create(options: SfuOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options);
    try {
      await Promise.all(pool.#workers.map((_, i) => pool.#start(i)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get deaths(): number {
    return this.#deaths;
  }

  get size(): number {
    return this.#workers.length;
  }

  alive(): PooledWorker[] {
    return this.#workers.filter((w): w is PooledWorker => w !== null && !w.worker.closed);
  }

  /**
   * The live worker with the fewest routers (ties: lowest index). With none alive (every worker
   * died and its replacement failed to start) it throws SfuError('unavailable'), which a client
   * sees as a retryable refusal.
   */
  leastLoaded(): PooledWorker {
    const alive = this.alive();
    if (alive.length === 0) throw new SfuError('unavailable', 'no media worker alive');
    return alive.reduce((best, w) => (w.routers < best.routers ? w : best));
  }

  async #start(index: number): Promise<PooledWorker> {
    const o = this.#options;
    // The patched worker reads this at start (scripts/worker-patches); mediasoup passes the
    // parent's environment to the worker process.
    process.env.MEDIASOUP_SEND_BATCH = o.sendBatch === false ? '0' : '1';
    process.env.MEDIASOUP_UDP_RECV_BUFFER = String(o.udpRecvBuffer ?? 0);
    process.env.MEDIASOUP_UDP_SEND_BUFFER = String(o.udpSendBuffer ?? 0);
    const worker = await mediasoup.createWorker({
      logLevel: o.workerLogLevel,
      rtcMinPort: o.rtcMinPort,
      rtcMaxPort: o.rtcMaxPort,
      appData: { index },
    });
    // Base port 0: any free port of the rtcMinPort–rtcMaxPort range (tests, ephemeral nodes).
    const port = o.rtcBasePort === 0 ? undefined : o.rtcBasePort + index;
    const ingestPort = o.rtcBasePort === 0 ? undefined : o.rtcBasePort + o.numWorkers + index;
    const listen = (p: number | undefined) =>
      worker.createWebRtcServer({
        listenInfos: [
          { protocol: 'udp', ip: o.listenIp, announcedIp: o.announcedIp, port: p },
          ...(o.rtcTcp === false ? [] : [{ protocol: 'tcp' as const, ip: o.listenIp, announcedIp: o.announcedIp, port: p }]),
        ],
      });
    let webRtcServer: types.WebRtcServer;
    let ingestServer: types.WebRtcServer;
    try {
      webRtcServer = await listen(port);
      ingestServer = await listen(ingestPort);
    } catch (error) {
      worker.close();
      throw new Error(`cannot listen on ${o.listenIp}:${port} and ${ingestPort} for worker ${index}: ${String(error)}`);
    }
    const pooled: PooledWorker = { index, worker, webRtcServer, ingestServer, routers: 0, viewers: 0 };
    this.#workers[index] = pooled;
    worker.on('died', (error) => void this.#onDied(pooled, error));
    log.info({ worker: index, pid: worker.pid, port }, 'worker started');
    return pooled;
  }

  async #onDied(dead: PooledWorker, error: Error): Promise<void> {
    this.#deaths += 1;
    const pid = dead.worker.pid;
    log.error({ worker: dead.index, pid, err: error.message }, 'worker died, replacing it');
    if (this.#workers[dead.index] === dead) this.#workers[dead.index] = null;
    let replacement: PooledWorker | null = null;
    // The dead process released its port; retry briefly in case the kernel has not yet.
    for (let attempt = 0; attempt < 5 && !this.#closed && !replacement; attempt++) {
      try {
        replacement = await this.#start(dead.index);
      } catch (startError) {
        log.error({ worker: dead.index, attempt, err: String(startError) }, 'worker replacement failed');
        await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
      }
    }
    this.safeEmit('workerDied', { index: dead.index, pid, error: error.message, replacement });
  }

  async close(): Promise<void> {
    this.#closed = true;
    // Close whole workers (never a WebRtcServer alone: mediasoup 3.12.16 crashes the worker when a
    // WebRtcServer closes while transports still use it).
    for (const w of this.#workers) w?.worker.close();
    this.#workers.fill(null);
  }
}
