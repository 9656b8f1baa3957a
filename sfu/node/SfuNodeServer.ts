/**
 * An SFU node's control endpoint: a socket.io server through which cluster controllers (the
 * signaling tier) drive this node's LocalSfu. Both sides prove they hold the shared secret
 * without sending it (protocol.ts, `proof`); nothing secret is ever in a URL. It relays the node's events, reports its load every second, and
 * announces itself in Redis so that controllers find it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { closeRedis, connectRedis, lastWord, type RedisClient } from '../../common/redis';
import { logger } from '../../common/log';
import { SfuError } from '../errors';
import { ControllerTransports } from './ControllerTransports';
import type { LocalSfu } from '../LocalSfu';
import type { SfuEvents } from '../types';
import {
  ANNOUNCE_TTL_MS,
  PROOF_MAX_SKEW_MS,
  controllerAuth,
  proof,
  proofMatches,
  NODES_SET,
  isNodeMethod,
  nodeKey,
  parseArgs,
  type CallResult,
  type ControllerToNode,
  type NodeAnnouncement,
  type NodeArgs,
  type NodeLoad,
  type NodeMethod,
  type NodeResult,
  type NodeToController,
} from './protocol';

const log = logger('sfu-node');

export interface SfuNodeOptions {
  nodeId: string;
  host: string;
  port: number;
  secret: string;
  /** How controllers reach this endpoint; default http://host:port. */
  controlUrl?: string;
  redisUrl: string;
  /** Load reports and announcements, ms. Default 1000. */
  reportIntervalMs?: number;
  /**
   * With no controller connected for this long, every room is closed: the meetings' state died
   * with their signaling node, and nothing would ever close what they left here. Default 60000.
   */
  orphanGraceMs?: number;
  /** A controller gone for this long has its transports closed (ControllerTransports). Default 30000. */
  controllerGraceMs?: number;
}

/** What the node does for each method a controller calls: its LocalSfu's own, with the interface's types. */
type MethodTable = { readonly [M in NodeMethod]: (...args: NodeArgs<M>) => Promise<NodeResult<M>> };

function methodTable(sfu: LocalSfu) {
  return {
    openRoom: (...a) => sfu.openRoom(...a),
    placeViewer: (...a) => sfu.placeViewer(...a),
    closeRoom: (...a) => sfu.closeRoom(...a),
    createWebRtcTransport: (...a) => sfu.createWebRtcTransport(...a),
    createIngestTransport: (...a) => sfu.createIngestTransport(...a),
    connectTransport: (...a) => sfu.connectTransport(...a),
    closeTransport: (...a) => sfu.closeTransport(...a),
    produce: (...a) => sfu.produce(...a),
    closeProducer: (...a) => sfu.closeProducer(...a),
    pauseProducer: (...a) => sfu.pauseProducer(...a),
    resumeProducer: (...a) => sfu.resumeProducer(...a),
    consume: (...a) => sfu.consume(...a),
    resumeConsumer: (...a) => sfu.resumeConsumer(...a),
    pauseConsumer: (...a) => sfu.pauseConsumer(...a),
    closeConsumer: (...a) => sfu.closeConsumer(...a),
    pipeProducer: (...a) => sfu.pipeProducer(...a),
    setConsumerPreferredLayers: (...a) => sfu.setConsumerPreferredLayers(...a),
    setMaxOutgoingBitrate: (...a) => sfu.setMaxOutgoingBitrate(...a),
    consumerStats: (...a) => sfu.consumerStats(...a),
    workerCpu: (...a) => sfu.workerCpu(...a),
    createRecorderTap: (...a) => sfu.createRecorderTap(...a),
    resumeRecorderTap: (...a) => sfu.resumeRecorderTap(...a),
    closeRecorderTap: (...a) => sfu.closeRecorderTap(...a),
    createPipeTransport: (...a) => sfu.createPipeTransport(...a),
    connectPipeTransport: (...a) => sfu.connectPipeTransport(...a),
    closePipeTransport: (...a) => sfu.closePipeTransport(...a),
    pipeConsume: (...a) => sfu.pipeConsume(...a),
    pipeProduce: (...a) => sfu.pipeProduce(...a),
  } satisfies MethodTable;
}

export class SfuNodeServer {
  readonly epoch = `${Date.now().toString(36)}-${process.pid}`;
  readonly #sfu: LocalSfu;
  readonly #methods: MethodTable;
  readonly #options: SfuNodeOptions;
  readonly #http: http.Server;
  readonly #io: Server<ControllerToNode, NodeToController, Record<string, never>, { nonce?: string; ts?: number; controller?: string }>;
  readonly #redis: RedisClient;
  #timer: NodeJS.Timeout | undefined;
  #orphanTimer: NodeJS.Timeout | undefined;
  readonly #owners: ControllerTransports;
  #url = '';

  private constructor(sfu: LocalSfu, options: SfuNodeOptions, redis: RedisClient) {
    this.#sfu = sfu;
    this.#methods = methodTable(sfu);
    this.#options = options;
    this.#http = http.createServer((_req, res) => res.writeHead(404).end());
    this.#io = new Server(this.#http, {
      transports: ['websocket'],
      maxHttpBufferSize: 1_000_000,
      // A controller that dies closes its connection at once; the heartbeat is for one that hangs
      // or is cut off, noticed within 15 s (its transports wait 30 s for it: ControllerTransports).
      // Tighter, a controller merely starved of CPU was cut: the 150-teacher cluster rehearsal
      // measured event-loop delays of 6.7 s in signaling processes at load 22, every link to the
      // SFU nodes dropped at once, and every teacher was asked to rejoin.
      pingInterval: 5_000,
      pingTimeout: 10_000,
    });
    this.#redis = redis;
    this.#owners = new ControllerTransports({
      graceMs: options.controllerGraceMs ?? 30_000,
      closeTransport: (id) => sfu.closeTransport(id),
      hasTransport: (id) => sfu.hasTransport(id),
    });
  }

  static async start(sfu: LocalSfu, options: SfuNodeOptions): Promise<SfuNodeServer> {
    const node = new SfuNodeServer(sfu, options, await connectRedis(options.redisUrl, log));
    await node.#listen();
    return node;
  }

  get url(): string {
    return this.#url;
  }

  async #listen(): Promise<void> {
    this.#io.use((socket, next) => {
      const auth = controllerAuth.safeParse(socket.handshake.auth);
      const fresh = auth.success && Math.abs(Date.now() - auth.data.ts) <= PROOF_MAX_SKEW_MS;
      if (auth.success && fresh && proofMatches(proof(this.#options.secret, 'controller', auth.data.nonce, auth.data.ts), auth.data.mac)) {
        socket.data.nonce = auth.data.nonce;
        socket.data.ts = auth.data.ts;
        socket.data.controller = auth.data.controller;
        return next();
      }
      log.warn({ address: socket.handshake.address }, 'control connection refused: no valid proof of the secret');
      next(new Error('unauthorized'));
    });
    this.#io.on('connection', (socket) => {
      log.info({ address: socket.handshake.address }, 'controller connected');
      const { nonce, ts } = socket.data as { nonce: string; ts: number };
      socket.emit('hello', { nodeId: this.#options.nodeId, mac: proof(this.#options.secret, 'node', nonce, ts) });
      clearTimeout(this.#orphanTimer);
      this.#orphanTimer = undefined;
      const controller = socket.data.controller;
      if (controller) this.#owners.linked(controller);
      socket.on('disconnect', () => {
        if (controller) this.#owners.unlinked(controller);
        if (this.#io.of('/').sockets.size > 0 || this.#orphanTimer) return;
        this.#orphanTimer = setTimeout(() => {
          this.#orphanTimer = undefined;
          if (this.#io.of('/').sockets.size > 0) return;
          void this.#sfu.closeAllRooms().then((n) => n > 0 && log.warn({ rooms: n }, 'no controller for the grace period: rooms closed'));
        }, this.#options.orphanGraceMs ?? 60_000);
        this.#orphanTimer.unref();
      });
      socket.emit('load', this.load());
      socket.on('call', (method, args, ack) => {
        if (typeof ack !== 'function') return;
        void this.#call(method, args).then((result) => {
          if (controller && (method === 'createWebRtcTransport' || method === 'createIngestTransport') && result.ok) {
            this.#owners.created(controller, (result.result as NodeResult<'createWebRtcTransport' | 'createIngestTransport'>).id);
          }
          ack(result);
        });
      });
    });
    const relay = <K extends keyof SfuEvents>(name: K) =>
      this.#sfu.on(name, ((payload: SfuEvents[K][0]) => this.#io.emit('sfuEvent', name, payload)) as never);
    relay('consumerClosed');
    relay('roomsLost');
    relay('transportLost');
    relay('workerDied');

    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(this.#options.port, this.#options.host, () => resolve());
    });
    const { port } = this.#http.address() as AddressInfo;
    this.#url = this.#options.controlUrl ?? `http://${this.#options.host}:${port}`;
    await this.#announce();
    this.#timer = setInterval(() => {
      this.#io.emit('load', this.load());
      this.#announce().catch((err: unknown) => log.warn({ err: String(err) }, 'announce failed'));
    }, this.#options.reportIntervalMs ?? 1_000);
  }

  load(): NodeLoad {
    return { nodeId: this.#options.nodeId, epoch: this.epoch, ...this.#sfu.load(), stats: this.#sfu.stats(), nodePipes: this.#sfu.nodePipeStats(), goneControllerTransportsClosed: this.#owners.closedForGoneControllers };
  }

  async #announce(): Promise<void> {
    const { viewers, capacity } = this.#sfu.load();
    const a: NodeAnnouncement = { nodeId: this.#options.nodeId, epoch: this.epoch, controlUrl: this.#url, viewers, capacity, at: Date.now() };
    await this.#redis.multi().sAdd(NODES_SET, a.nodeId).set(nodeKey(a.nodeId), JSON.stringify(a), { PX: ANNOUNCE_TTL_MS }).exec();
  }

  async #call(method: unknown, args: unknown): Promise<CallResult> {
    if (!isNodeMethod(method)) return { ok: false, error: { code: 'bad_request', message: 'unknown method' } };
    return this.#run(method, args);
  }

  async #run<M extends NodeMethod>(method: M, args: unknown): Promise<CallResult> {
    const parsed = parseArgs(method, args);
    if (!parsed) return { ok: false, error: { code: 'bad_request', message: `invalid arguments for ${method}` } };
    try {
      const result = await this.#methods[method](...parsed);
      return { ok: true, result: result ?? null };
    } catch (error) {
      if (error instanceof SfuError) return { ok: false, error: { code: error.code, message: error.message } };
      log.warn({ method, err: String(error) }, 'control call failed');
      return { ok: false, error: { code: 'internal', message: error instanceof Error ? error.message : 'internal error' } };
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    clearTimeout(this.#orphanTimer);
    this.#owners.close();
    await lastWord(this.#redis, () => this.#redis.multi().sRem(NODES_SET, this.#options.nodeId).del(nodeKey(this.#options.nodeId)).exec());
    await closeRedis(this.#redis);
    this.#io.close();
    await new Promise<void>((r) => this.#http.close(() => r()));
  }
}
