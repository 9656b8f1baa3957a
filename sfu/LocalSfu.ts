/**
 * The in-process SFU: SfuNodeControl over this process's mediasoup workers, the single-node
 * default and what each SFU node of a cluster runs. Thin: each concept lives in sfu/local/ and
 * this class wires them and forwards the calls.
 *
 * - Rooms: rooms and the routers behind them, viewer placement (a room is one router on the
 *   least-loaded worker; a meeting has one router per worker).
 * - WebRtcTransports, Producers, Consumers: what clients send and receive.
 * - RouterPipes: a producer of one room made consumable in another room of this node.
 * - NodePipes: links to other SFU nodes (cluster).
 * - RecorderTaps: a producer sent as plain RTP to a recorder.
 * - IngestTransports: plain RTP sent into a room by an encoder beside signaling (a clip).
 *
 * Ownership flows down (router → transports → producers/consumers, each closed with its parent)
 * and every map drops an object on its observer's `close` event, so none holds a dead object.
 */
import type { types } from 'mediasoup';
import { TypedEmitter } from '../common/TypedEmitter';
import { WorkerPool } from './WorkerPool';
import type {
  ConsumerParams,
  ConsumerRtpStats,
  IngestTransport,
  MediaKind,
  PipedProducer,
  PipeEndpoint,
  RecorderTap,
  SfuNodeControl,
  SfuEvents,
  SfuOptions,
  SfuStats,
  TapTarget,
  TransportDirection,
  TransportParams,
  WebRtcTransportOptions,
  WorkerStats,
} from './types';
import { udpReceiveDrops } from './udpDrops';
import { Rooms } from './local/Rooms';
import { WebRtcTransports } from './local/WebRtcTransports';
import { Producers } from './local/Producers';
import { Consumers } from './local/Consumers';
import { RouterPipes } from './local/RouterPipes';
import { NodePipes } from './local/NodePipes';
import { RecorderTaps } from './local/RecorderTaps';
import { IngestTransports } from './local/IngestTransports';
import { TransportWatch } from './local/TransportWatch';

/** How long a watched transport may stay silent or ICE-disconnected before it is reported lost, ms. */
export const DEFAULT_TRANSPORT_LOST_GRACE_MS = 10_000;

export class LocalSfu extends TypedEmitter<SfuEvents> implements SfuNodeControl {
  readonly #options: SfuOptions;
  readonly #pool: WorkerPool;
  readonly #rooms: Rooms;
  readonly #transports: WebRtcTransports;
  readonly #producers: Producers;
  readonly #consumers: Consumers;
  readonly #routerPipes: RouterPipes;
  readonly #nodePipes: NodePipes;
  readonly #taps: RecorderTaps;
  readonly #ingest: IngestTransports;
  readonly #watch: TransportWatch;

  private constructor(options: SfuOptions, pool: WorkerPool) {
    super();
    this.#options = options;
    this.#pool = pool;
    this.#rooms = new Rooms(pool, options.viewersPerWorker);
    this.#watch = new TransportWatch(options.transportLostGraceMs ?? DEFAULT_TRANSPORT_LOST_GRACE_MS);
    this.#transports = new WebRtcTransports(options, this.#watch);
    this.#producers = new Producers(options);
    this.#routerPipes = new RouterPipes(options.listenIp, this.#rooms, this.#producers);
    this.#consumers = new Consumers(this.#producers, this.#routerPipes);
    this.#nodePipes = new NodePipes(options, this.#rooms, this.#producers);
    this.#taps = new RecorderTaps(options, this.#producers);
    this.#ingest = new IngestTransports(options);
    pool.on('workerDied', ({ index, pid, error }) => this.safeEmit('workerDied', { index, pid, error }));
    this.#rooms.on('roomsLost', (e) => this.safeEmit('roomsLost', e));
    this.#consumers.on('consumerClosed', (e) => this.safeEmit('consumerClosed', e));
    this.#watch.on('transportLost', (e) => this.safeEmit('transportLost', e));
  }

  static async create(options: SfuOptions): Promise<LocalSfu> {
    const pool = await WorkerPool.create(options);
    return new LocalSfu(options, pool);
  }

  // Rooms

  async openRoom(roomId: string, group: string = roomId): Promise<types.RtpCapabilities> {
    return (await this.#rooms.open(roomId, group)).gr.router.rtpCapabilities;
  }

  async placeViewer(originRoomId: string): Promise<string> {
    return this.#rooms.placeViewer(originRoomId);
  }

  async closeRoom(roomId: string): Promise<void> {
    this.#rooms.close(roomId);
  }

  /** Closes every room (an SFU node whose controllers are gone for good). Returns how many. */
  async closeAllRooms(): Promise<number> {
    const ids = this.#rooms.ids();
    for (const id of ids) await this.closeRoom(id);
    return ids.length;
  }

  // WebRTC transports

  async createWebRtcTransport(roomId: string, direction: TransportDirection, options?: WebRtcTransportOptions): Promise<TransportParams> {
    return this.#transports.create(this.#rooms.get(roomId), direction, options);
  }

  async createIngestTransport(roomId: string): Promise<IngestTransport> {
    return this.#ingest.create(this.#rooms.get(roomId));
  }

  async connectTransport(transportId: string, dtlsParameters: types.DtlsParameters): Promise<void> {
    await this.#transports.connect(transportId, dtlsParameters);
  }

  hasTransport(transportId: string): boolean {
    return this.#transports.has(transportId) || this.#ingest.has(transportId);
  }

  async closeTransport(transportId: string): Promise<void> {
    this.#transports.close(transportId);
    this.#ingest.close(transportId);
  }

  async setMaxOutgoingBitrate(transportId: string, bitrate: number): Promise<void> {
    await this.#transports.setMaxOutgoingBitrate(transportId, bitrate);
  }

  // Producers

  async produce(transportId: string, kind: MediaKind, rtpParameters: types.RtpParameters): Promise<{ producerId: string }> {
    const entry = this.#ingest.find(transportId) ?? this.#transports.get(transportId);
    return this.#producers.produce(entry, kind, rtpParameters);
  }

  /**
   * A producer fed by plain RTP (an encoder such as ffmpeg sending to the returned ports). Used by
   * benchmarks and tests that need real media without a browser; not part of SfuControl.
   */
  async ingestRtp(roomId: string, kind: MediaKind, rtpParameters: types.RtpParameters): Promise<{ producerId: string; port: number; rtcpPort: number }> {
    return this.#producers.ingestRtp(this.#rooms.get(roomId), kind, rtpParameters);
  }

  async closeProducer(producerId: string): Promise<void> {
    this.#producers.close(producerId);
  }

  async pauseProducer(producerId: string): Promise<void> {
    await this.#producers.pause(producerId);
  }

  async resumeProducer(producerId: string): Promise<void> {
    await this.#producers.resume(producerId);
  }

  async pipeProducer(producerId: string, toRoomId: string): Promise<string> {
    return this.#routerPipes.pipe(producerId, toRoomId);
  }

  // Consumers

  async consume(transportId: string, producerId: string, rtpCapabilities: types.RtpCapabilities): Promise<ConsumerParams | null> {
    return this.#consumers.consume(this.#transports.get(transportId), producerId, rtpCapabilities);
  }

  async resumeConsumer(consumerId: string): Promise<void> {
    await this.#consumers.resume(consumerId);
  }

  async pauseConsumer(consumerId: string): Promise<void> {
    await this.#consumers.pause(consumerId);
  }

  async closeConsumer(consumerId: string): Promise<void> {
    this.#consumers.close(consumerId);
  }

  async setConsumerPreferredLayers(consumerId: string, spatialLayer: number): Promise<void> {
    await this.#consumers.setPreferredLayers(consumerId, spatialLayer);
  }

  async consumerStats(consumerId: string): Promise<ConsumerRtpStats> {
    return this.#consumers.stats(consumerId);
  }

  // Links to other SFU nodes

  async createPipeTransport(roomId: string, key?: string): Promise<PipeEndpoint> {
    return this.#nodePipes.create(roomId, key);
  }

  async connectPipeTransport(pipeTransportId: string, remote: PipeEndpoint): Promise<void> {
    await this.#nodePipes.connect(pipeTransportId, remote);
  }

  async closePipeTransport(pipeTransportId: string): Promise<void> {
    this.#nodePipes.close(pipeTransportId);
  }

  async pipeConsume(pipeTransportId: string, producerId: string): Promise<PipedProducer> {
    return this.#nodePipes.consume(pipeTransportId, producerId);
  }

  async pipeProduce(pipeTransportId: string, piped: PipedProducer): Promise<void> {
    await this.#nodePipes.produce(pipeTransportId, piped);
  }

  /** Pipe links to other nodes and the producers they carry (cluster figures). */
  nodePipeStats(): { transports: number; consumers: number; replicas: number } {
    return this.#nodePipes.stats();
  }

  // Recorder taps

  async createRecorderTap(producerId: string, target: TapTarget): Promise<RecorderTap> {
    return this.#taps.create(producerId, target);
  }

  async resumeRecorderTap(tapId: string): Promise<void> {
    await this.#taps.resume(tapId);
  }

  async closeRecorderTap(tapId: string): Promise<ConsumerRtpStats | null> {
    return this.#taps.close(tapId);
  }

  // Figures

  stats(): SfuStats {
    const alive = this.#pool.alive();
    const workers: WorkerStats[] = alive.map((w) => ({
      index: w.index,
      pid: w.worker.pid,
      routers: w.routers,
      transports: 0,
      viewers: w.viewers,
      producers: 0,
      consumers: 0,
      consumerScores: new Array<number>(11).fill(0),
    }));
    const byIndex = new Map(workers.map((w) => [w.index, w]));
    for (const { room } of [...this.#transports.values(), ...this.#ingest.values()]) {
      const w = byIndex.get(room.gr.pooled.index);
      if (w) w.transports += 1;
    }
    for (const p of this.#producers.values()) {
      const w = byIndex.get(p.appData.workerIndex as number);
      if (w) w.producers += 1;
    }
    for (const c of this.#consumers.values()) {
      const w = byIndex.get(c.appData.workerIndex as number);
      if (!w) continue;
      w.consumers += 1;
      // The last score the worker reported (no request to the worker): 10 until a receiver report says otherwise.
      if (!c.paused && !c.producerPaused) w.consumerScores![Math.max(0, Math.min(10, Math.round(c.score.score)))]! += 1;
    }
    return {
      workersAlive: workers.length,
      workerDeaths: this.#pool.deaths,
      routers: alive.reduce((n, w) => n + w.routers, 0),
      placementRefusals: this.#rooms.placementRefusals,
      pipes: this.#routerPipes.size,
      transports: this.#transports.size + this.#ingest.size,
      producers: this.#producers.size,
      consumers: this.#consumers.size,
      workers,
    };
  }

  async workerCpu(): Promise<{ index: number; cpuSeconds: number; udpReceiveDrops: number }[]> {
    return Promise.all(
      this.#pool.alive().map(async (w) => {
        const u = await w.worker.getResourceUsage();
        return { index: w.index, cpuSeconds: (u.ru_utime + u.ru_stime) / 1000, udpReceiveDrops: udpReceiveDrops(w.worker.pid) };
      }),
    );
  }

  /** Viewers on this SFU and how many it takes (alive workers × viewers per worker). */
  load(): { viewers: number; capacity: number } {
    const alive = this.#pool.alive();
    return { viewers: alive.reduce((n, w) => n + w.viewers, 0), capacity: alive.length * this.#options.viewersPerWorker };
  }

  /** Worker pids, by index (tests kill them to exercise failover). */
  workerPids(): number[] {
    return this.#pool.alive().map((w) => w.worker.pid);
  }

  /** The id of the router behind a room (tests check which rooms share one). */
  roomRouterId(roomId: string): string | undefined {
    return this.#rooms.find(roomId)?.gr.router.id;
  }

  /** The pid of the worker hosting a room, or undefined. */
  roomWorkerPid(roomId: string): number | undefined {
    return this.#rooms.find(roomId)?.gr.pooled.worker.pid;
  }

  async close(): Promise<void> {
    this.#watch.close();
    await this.#pool.close();
  }
}
