/**
 * The in-process implementation of SfuControl: the single-node default. A room is one router on
 * the least-loaded worker; transports use that worker's WebRtcServer. Ownership flows down
 * (router → transports → producers/consumers, all closed with their parent) and the maps here
 * drop each object on its observer's `close` event, so they never hold a dead object.
 */
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { TypedEmitter } from '../common/TypedEmitter';
import { logger } from '../common/log';
import { mediaCodecs } from './mediaCodecs';
import { WorkerPool, type PooledWorker } from './WorkerPool';
import type {
  ConsumerParams,
  MediaKind,
  SfuControl,
  SfuEvents,
  SfuOptions,
  SfuStats,
  TransportDirection,
  TransportParams,
  WorkerStats,
} from './types';
import { SfuError, withClientInput } from './errors';

const isUnsupported = (e: unknown): boolean => e instanceof mediasoup.types.UnsupportedError;
const clientInput = <T>(call: () => Promise<T>): Promise<T> => withClientInput(call, isUnsupported);

const log = logger('sfu');

interface Room {
  id: string;
  router: types.Router;
  pooled: PooledWorker;
  /** The router belongs to another room (single worker: see SfuControl.openRoom). */
  shared: boolean;
}

export class LocalSfu extends TypedEmitter<SfuEvents> implements SfuControl {
  readonly #options: SfuOptions;
  readonly #pool: WorkerPool;
  readonly #rooms = new Map<string, Room>();
  readonly #opening = new Map<string, Promise<Room>>();
  readonly #transports = new Map<string, { transport: types.WebRtcTransport; room: Room }>();
  readonly #producers = new Map<string, types.Producer>();
  /** Producer id → the room it was produced in. */
  readonly #producerRoom = new Map<string, Room>();
  /** `${producerId}>${roomId}` of every pipe made (or being made). */
  readonly #pipes = new Map<string, Promise<void>>();
  readonly #consumers = new Map<string, types.Consumer>();

  private constructor(options: SfuOptions, pool: WorkerPool) {
    super();
    this.#options = options;
    this.#pool = pool;
    pool.on('workerDied', ({ index, pid, error }) => this.safeEmit('workerDied', { index, pid, error }));
  }

  static async create(options: SfuOptions): Promise<LocalSfu> {
    const pool = await WorkerPool.create(options);
    return new LocalSfu(options, pool);
  }

  async openRoom(roomId: string, apartFrom?: string): Promise<types.RtpCapabilities> {
    const existing = this.#rooms.get(roomId);
    if (existing) return existing.router.rtpCapabilities;
    // Serialise: two simultaneous joins never create the same room twice.
    let pending = this.#opening.get(roomId);
    if (!pending) {
      pending = this.#createRoom(roomId, apartFrom).finally(() => this.#opening.delete(roomId));
      this.#opening.set(roomId, pending);
    }
    return (await pending).router.rtpCapabilities;
  }

  async #createRoom(roomId: string, apartFrom?: string): Promise<Room> {
    const other = apartFrom ? this.#room(apartFrom) : undefined;
    const pooled = this.#pool.leastLoaded(other?.pooled);
    if (!pooled && other) {
      const room: Room = { id: roomId, router: other.router, pooled: other.pooled, shared: true };
      this.#rooms.set(roomId, room);
      other.router.observer.once('close', () => {
        if (this.#rooms.get(roomId) === room) this.#rooms.delete(roomId);
      });
      log.info({ room: roomId, sharing: other.id }, 'room opened on a shared router (single worker)');
      return room;
    }
    if (!pooled) throw new Error('no mediasoup worker alive');
    const router = await pooled.worker.createRouter({ mediaCodecs, appData: { roomId } });
    const room: Room = { id: roomId, router, pooled, shared: false };
    pooled.routers += 1;
    this.#rooms.set(roomId, room);
    router.observer.once('close', () => {
      pooled.routers -= 1;
      if (this.#rooms.get(roomId) === room) this.#rooms.delete(roomId);
    });
    router.once('workerclose', () => {
      log.warn({ room: roomId, worker: pooled.index }, 'room lost with its worker');
      this.safeEmit('roomLost', { roomId, reason: 'worker_died' });
    });
    log.info({ room: roomId, worker: pooled.index }, 'room opened');
    return room;
  }

  async closeRoom(roomId: string): Promise<void> {
    const room = this.#rooms.get(roomId);
    if (!room) return;
    if (!room.shared) {
      room.router.close();
      return;
    }
    // A shared router stays; close what this room created on it.
    this.#rooms.delete(roomId);
    for (const { transport, room: r } of [...this.#transports.values()]) if (r === room) transport.close();
  }

  #room(roomId: string): Room {
    const room = this.#rooms.get(roomId);
    if (!room) throw new SfuError('not_found', `room ${roomId} not open`);
    return room;
  }

  #transport(transportId: string): { transport: types.WebRtcTransport; room: Room } {
    const entry = this.#transports.get(transportId);
    if (!entry) throw new SfuError('not_found', 'transport not found');
    return entry;
  }

  async createWebRtcTransport(roomId: string, direction: TransportDirection): Promise<TransportParams> {
    const room = this.#room(roomId);
    const transport = await room.router.createWebRtcTransport({
      webRtcServer: room.pooled.webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: this.#options.initialOutgoingBitrate,
      appData: { direction },
    });
    if (direction === 'send') await transport.setMaxIncomingBitrate(this.#options.maxIncomingBitrate);
    this.#transports.set(transport.id, { transport, room });
    transport.observer.once('close', () => this.#transports.delete(transport.id));
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  async connectTransport(transportId: string, dtlsParameters: types.DtlsParameters): Promise<void> {
    const { transport } = this.#transport(transportId);
    await clientInput(() => transport.connect({ dtlsParameters }));
  }

  async closeTransport(transportId: string): Promise<void> {
    this.#transports.get(transportId)?.transport.close();
  }

  async produce(transportId: string, kind: MediaKind, rtpParameters: types.RtpParameters): Promise<{ producerId: string }> {
    const { transport, room } = this.#transport(transportId);
    if (transport.appData.direction !== 'send') throw new SfuError('forbidden', 'not a send transport');
    const producer = await clientInput(() =>
      transport.produce({
        kind,
        rtpParameters,
        keyFrameRequestDelay: this.#options.keyFrameRequestDelayMs,
        appData: { workerIndex: room.pooled.index },
      }),
    );
    this.#producers.set(producer.id, producer);
    this.#producerRoom.set(producer.id, room);
    producer.observer.once('close', () => {
      this.#producers.delete(producer.id);
      this.#producerRoom.delete(producer.id);
      for (const key of this.#pipes.keys()) if (key.startsWith(`${producer.id}>`)) this.#pipes.delete(key);
    });
    return { producerId: producer.id };
  }

  #producer(producerId: string): types.Producer {
    const producer = this.#producers.get(producerId);
    if (!producer) throw new SfuError('not_found', 'producer not found');
    return producer;
  }

  async closeProducer(producerId: string): Promise<void> {
    this.#producers.get(producerId)?.close();
  }

  async pauseProducer(producerId: string): Promise<void> {
    await this.#producer(producerId).pause();
  }

  async resumeProducer(producerId: string): Promise<void> {
    await this.#producer(producerId).resume();
  }

  async consume(
    transportId: string,
    producerId: string,
    rtpCapabilities: types.RtpCapabilities,
  ): Promise<ConsumerParams | null> {
    const { transport, room } = this.#transport(transportId);
    if (transport.appData.direction !== 'recv') throw new SfuError('forbidden', 'not a receive transport');
    if (!this.#producers.has(producerId)) throw new SfuError('not_found', 'producer not found');
    const canConsume = await clientInput(async () => room.router.canConsume({ producerId, rtpCapabilities }));
    if (!canConsume) return null;
    const consumer = await transport.consume({
      producerId,
      rtpCapabilities,
      paused: true,
      appData: { workerIndex: room.pooled.index },
    });
    this.#consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => this.#consumers.delete(consumer.id));
    consumer.once('producerclose', () =>
      this.safeEmit('consumerClosed', { consumerId: consumer.id, producerId, transportId }),
    );
    return {
      id: consumer.id,
      producerId,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
      producerPaused: consumer.producerPaused,
    };
  }

  #consumer(consumerId: string): types.Consumer {
    const consumer = this.#consumers.get(consumerId);
    if (!consumer) throw new SfuError('not_found', 'consumer not found');
    return consumer;
  }

  async resumeConsumer(consumerId: string): Promise<void> {
    await this.#consumer(consumerId).resume();
  }

  async pauseConsumer(consumerId: string): Promise<void> {
    await this.#consumer(consumerId).pause();
  }

  async pipeProducer(producerId: string, toRoomId: string): Promise<void> {
    const from = this.#producerRoom.get(producerId);
    if (!from) throw new SfuError('not_found', 'producer not found');
    const to = this.#room(toRoomId);
    if (from.router === to.router) return;
    const key = `${producerId}>${toRoomId}`;
    let pending = this.#pipes.get(key);
    if (!pending) {
      pending = from.router.pipeToRouter({ producerId, router: to.router }).then(
        () => undefined,
        (error: unknown) => {
          this.#pipes.delete(key);
          throw error;
        },
      );
      this.#pipes.set(key, pending);
    }
    await pending;
  }

  async closeConsumer(consumerId: string): Promise<void> {
    this.#consumers.get(consumerId)?.close();
  }

  async setConsumerPreferredLayers(consumerId: string, spatialLayer: number): Promise<void> {
    const consumer = this.#consumer(consumerId);
    if (consumer.type !== 'simulcast') return;
    await consumer.setPreferredLayers({ spatialLayer });
  }

  stats(): SfuStats {
    const workers: WorkerStats[] = this.#pool.alive().map((w) => ({
      index: w.index,
      pid: w.worker.pid,
      routers: w.routers,
      transports: 0,
      producers: 0,
      consumers: 0,
    }));
    const byIndex = new Map(workers.map((w) => [w.index, w]));
    for (const { room } of this.#transports.values()) {
      const w = byIndex.get(room.pooled.index);
      if (w) w.transports += 1;
    }
    for (const p of this.#producers.values()) {
      const w = byIndex.get(p.appData.workerIndex as number);
      if (w) w.producers += 1;
    }
    for (const c of this.#consumers.values()) {
      const w = byIndex.get(c.appData.workerIndex as number);
      if (w) w.consumers += 1;
    }
    return {
      workersAlive: workers.length,
      workerDeaths: this.#pool.deaths,
      routers: this.#rooms.size,
      transports: this.#transports.size,
      producers: this.#producers.size,
      consumers: this.#consumers.size,
      workers,
    };
  }

  /** Worker pids, by index (tests kill them to exercise failover). */
  workerPids(): number[] {
    return this.#pool.alive().map((w) => w.worker.pid);
  }

  /** The pid of the worker hosting a room, or undefined. */
  roomWorkerPid(roomId: string): number | undefined {
    return this.#rooms.get(roomId)?.pooled.worker.pid;
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}
