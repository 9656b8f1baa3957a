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
import { chooseWorker, type WorkerLoad } from './placement';
import type {
  ConsumerParams,
  ConsumerRtpStats,
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
  WorkerStats,
} from './types';
import { SfuError, withClientInput } from './errors';
import { udpReceiveDrops } from './udpDrops';
import { rtpRoutingKeys, TransportRoutingKeys } from './rtpRoutingKeys';

const isUnsupported = (e: unknown): boolean => e instanceof mediasoup.types.UnsupportedError;
const clientInput = <T>(call: () => Promise<T>): Promise<T> => withClientInput(call, isUnsupported);

const log = logger('sfu');

/**
 * A meeting has at most one router per worker (its "group router" there): every room of the
 * meeting on that worker (the main origin, a breakout origin, the viewers' edge) is an alias of
 * it. Producers then only ever cross between workers, which pipeToRouter supports: mediasoup
 * 3.12.16 cannot pipe between two routers of one worker (a piped producer keeps its id, and ids
 * are unique per worker).
 */
interface GroupRouter {
  group: string;
  pooled: PooledWorker;
  router: types.Router;
  rooms: Set<string>;
}

interface Room {
  id: string;
  group: string;
  gr: GroupRouter;
}

export class LocalSfu extends TypedEmitter<SfuEvents> implements SfuNodeControl {
  readonly #options: SfuOptions;
  readonly #pool: WorkerPool;
  readonly #rooms = new Map<string, Room>();
  readonly #groups = new Map<string, Map<number, Promise<GroupRouter>>>();
  #placementRefusals = 0;
  readonly #opening = new Map<string, Promise<Room>>();
  readonly #transports = new Map<string, { transport: types.WebRtcTransport; room: Room }>();
  readonly #producers = new Map<string, types.Producer>();
  /** SSRCs, MIDs and RIDs held by the live producers of each send transport. */
  readonly #routingKeys = new TransportRoutingKeys();
  /** Producer id → the room it was produced in. */
  readonly #producerRoom = new Map<string, Room>();
  /** `${producerId}>${roomId}` of every pipe made (or being made). */
  readonly #pipes = new Map<string, Promise<string>>();
  /** Piped producers with an id of their own (same-worker pipes) → the original producer id. */
  readonly #localPipes = new Map<string, string>();
  readonly #pipePairs = new Map<string, Promise<[types.PipeTransport, types.PipeTransport]>>();
  readonly #consumers = new Map<string, types.Consumer>();
  /** Recorder taps: PlainTransport id → the transport and its one consumer. */
  readonly #taps = new Map<string, { transport: types.PlainTransport; consumer: types.Consumer }>();
  /** PipeTransports to other SFU nodes, with the room they belong to. */
  readonly #nodePipes = new Map<string, { transport: types.PipeTransport; room: Room }>();
  /**
   * Keyed node-pipe operations, so that several controllers (signaling processes) asking for the
   * same link, pipe consumer or replica get the one that exists: link key → its end here, end id →
   * the remote it is connected to, `${end}|${producerId}` → the pipe consumer, producer id → the
   * replica being recreated.
   */
  readonly #pipeKeys = new Map<string, Promise<PipeEndpoint>>();
  readonly #pipeConnects = new Map<string, { remote: string; done: Promise<void> }>();
  readonly #pipeConsumers = new Map<string, Promise<types.Consumer>>();
  readonly #pipeProduces = new Map<string, Promise<void>>();

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

  async openRoom(roomId: string, group: string = roomId): Promise<types.RtpCapabilities> {
    const existing = this.#rooms.get(roomId);
    if (existing) return existing.gr.router.rtpCapabilities;
    // Serialise: two simultaneous joins never create the same room twice.
    let pending = this.#opening.get(roomId);
    if (!pending) {
      pending = (async () => {
        // Origins spread over the workers with the fewest routers. The group's first room (the
        // main origin) is the group's router there; any other origin (a breakout) gets a router
        // of its own.
        const pooled = this.#pool.leastLoaded();
        return roomId === group ? this.#addRoom(roomId, group, pooled) : this.#addOwnRoom(roomId, group, pooled);
      })().finally(() => this.#opening.delete(roomId));
      this.#opening.set(roomId, pending);
    }
    return (await pending).gr.router.rtpCapabilities;
  }

  async placeViewer(originRoomId: string): Promise<string> {
    const origin = this.#room(originRoomId);
    const pooled = chooseWorker(this.#placementCandidates(origin.group), this.#options.viewersPerWorker);
    if (!pooled) {
      this.#placementRefusals += 1;
      throw new SfuError('unavailable', 'every media worker is at capacity');
    }
    const edgeId = `${origin.group}@${pooled.index}`;
    if (!this.#rooms.has(edgeId)) {
      let pending = this.#opening.get(edgeId);
      if (!pending) {
        pending = this.#addRoom(edgeId, origin.group, pooled).finally(() => this.#opening.delete(edgeId));
        this.#opening.set(edgeId, pending);
      }
      await pending;
    }
    return edgeId;
  }

  #placementCandidates(group: string): WorkerLoad[] {
    const routers = this.#groups.get(group);
    return this.#pool.alive().map((w) => ({ worker: w, viewers: w.viewers, hasRouter: routers?.has(w.index) ?? false }));
  }

  async #addRoom(roomId: string, group: string, pooled: PooledWorker): Promise<Room> {
    const gr = await this.#groupRouter(group, pooled);
    const room: Room = { id: roomId, group, gr };
    gr.rooms.add(roomId);
    this.#rooms.set(roomId, room);
    log.info({ room: roomId, worker: pooled.index }, 'room opened');
    return room;
  }

  /** A room with a router of its own (not shared with the rest of its group). */
  async #addOwnRoom(roomId: string, group: string, pooled: PooledWorker): Promise<Room> {
    const gr = await this.#newRouter(group, pooled, () => undefined);
    const room: Room = { id: roomId, group, gr };
    gr.rooms.add(roomId);
    this.#rooms.set(roomId, room);
    log.info({ room: roomId, worker: pooled.index }, 'room opened on its own router');
    return room;
  }

  /** The meeting's router on a worker, created once. */
  async #groupRouter(group: string, pooled: PooledWorker): Promise<GroupRouter> {
    let routers = this.#groups.get(group);
    if (!routers) {
      routers = new Map();
      this.#groups.set(group, routers);
    }
    const existing = routers.get(pooled.index);
    if (existing) return existing;
    const map = routers;
    const creating: Promise<GroupRouter> = this.#newRouter(group, pooled, () => {
      if (map.get(pooled.index) === creating) map.delete(pooled.index);
      if (map.size === 0 && this.#groups.get(group) === map) this.#groups.delete(group);
    });
    map.set(pooled.index, creating);
    try {
      return await creating;
    } catch (error) {
      map.delete(pooled.index);
      throw error;
    }
  }

  async #newRouter(group: string, pooled: PooledWorker, onClose: () => void): Promise<GroupRouter> {
    const router = await pooled.worker.createRouter({ mediaCodecs, appData: { group } });
    const gr: GroupRouter = { group, pooled, router, rooms: new Set() };
    pooled.routers += 1;
    router.observer.once('close', () => {
      pooled.routers -= 1;
      onClose();
      for (const id of gr.rooms) if (this.#rooms.get(id)?.gr === gr) this.#rooms.delete(id);
    });
    router.once('workerclose', () => {
      log.warn({ group, worker: pooled.index, rooms: [...gr.rooms] }, 'rooms lost with their worker');
      this.safeEmit('roomsLost', { roomIds: [...gr.rooms], reason: 'worker_died' });
    });
    return gr;
  }

  async closeRoom(roomId: string): Promise<void> {
    // Synchronous from here on: a request to open the same room that arrives while this one is
    // being handled must find it gone and open a new one, never the one being closed.
    const room = this.#rooms.get(roomId);
    // Closing a group's first room (a meeting's main origin) closes the whole group: its viewers'
    // edges and any other origin, even when the first room itself is already gone with its worker.
    if (!room || room.group === roomId) {
      for (const other of [...this.#rooms.values()]) if (other.group === roomId && other.id !== roomId) this.#closeRoomNow(other);
    }
    if (room) this.#closeRoomNow(room);
  }

  #closeRoomNow(room: Room): void {
    this.#rooms.delete(room.id);
    room.gr.rooms.delete(room.id);
    // Close what this room created; the router goes when no room of the meeting uses it.
    for (const { transport, room: r } of [...this.#transports.values()]) if (r === room) transport.close();
    for (const { transport, room: r } of [...this.#nodePipes.values()]) if (r === room) transport.close();
    if (room.gr.rooms.size === 0) room.gr.router.close();
  }

  /** Closes every room (an SFU node whose controllers are gone for good). Returns how many. */
  async closeAllRooms(): Promise<number> {
    const ids = [...this.#rooms.keys()];
    for (const id of ids) await this.closeRoom(id);
    return ids.length;
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
    const pooled = room.gr.pooled;
    const transport = await room.gr.router.createWebRtcTransport({
      // Publishers never share a socket with viewers (see PooledWorker.ingestServer).
      webRtcServer: direction === 'send' ? pooled.ingestServer : pooled.webRtcServer,
      enableUdp: true,
      enableTcp: this.#options.rtcTcp !== false,
      preferUdp: true,
      initialAvailableOutgoingBitrate: this.#options.initialOutgoingBitrate,
      appData: { direction },
    });
    if (direction === 'send') await transport.setMaxIncomingBitrate(this.#options.maxIncomingBitrate);
    this.#transports.set(transport.id, { transport, room });
    if (direction === 'recv') pooled.viewers += 1;
    transport.observer.once('close', () => {
      this.#transports.delete(transport.id);
      if (direction === 'recv') pooled.viewers -= 1;
    });
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  async connectTransport(transportId: string, dtlsParameters: types.DtlsParameters): Promise<void> {
    const { transport } = this.#transport(transportId);
    // A transport connects once (mediasoup would answer a second time with an untyped error).
    if (transport.appData.connecting === true) throw new SfuError('bad_request', 'transport already connected');
    transport.appData.connecting = true;
    try {
      await clientInput(() => transport.connect({ dtlsParameters }));
    } catch (error) {
      transport.appData.connecting = false;
      throw error;
    }
  }

  hasTransport(transportId: string): boolean {
    return this.#transports.has(transportId);
  }

  async closeTransport(transportId: string): Promise<void> {
    this.#transports.get(transportId)?.transport.close();
  }

  async produce(transportId: string, kind: MediaKind, rtpParameters: types.RtpParameters): Promise<{ producerId: string }> {
    const { transport, room } = this.#transport(transportId);
    if (transport.appData.direction !== 'send') throw new SfuError('forbidden', 'not a send transport');
    const keys = rtpRoutingKeys(rtpParameters);
    this.#routingKeys.claim(transport, keys);
    let producer: types.Producer;
    try {
      producer = await clientInput(() =>
        transport.produce({
          kind,
          rtpParameters,
          keyFrameRequestDelay: this.#options.keyFrameRequestDelayMs,
          appData: { workerIndex: room.gr.pooled.index },
        }),
      );
    } catch (error) {
      this.#routingKeys.release(transport, keys);
      throw error;
    }
    producer.observer.once('close', () => this.#routingKeys.release(transport, keys));
    this.#register(producer, room);
    return { producerId: producer.id };
  }

  /** Tracks a producer of a room (published here, or recreated from another node's pipe). */
  #register(producer: types.Producer, room: Room): void {
    this.#producers.set(producer.id, producer);
    this.#producerRoom.set(producer.id, room);
    producer.observer.once('close', () => {
      this.#producers.delete(producer.id);
      this.#producerRoom.delete(producer.id);
      for (const key of this.#pipes.keys()) if (key.startsWith(`${producer.id}>`)) this.#pipes.delete(key);
    });
  }

  /**
   * One end of a link to another node. With a `key`, the same key returns the same end while it
   * is open (idempotent: controllers that race to make one link share it).
   */
  async createPipeTransport(roomId: string, key?: string): Promise<PipeEndpoint> {
    if (key === undefined) return this.#createPipeTransport(roomId);
    let pending = this.#pipeKeys.get(key);
    if (!pending) {
      pending = this.#createPipeTransport(roomId, key).catch((error: unknown) => {
        this.#pipeKeys.delete(key);
        throw error;
      });
      this.#pipeKeys.set(key, pending);
    }
    return pending;
  }

  async #createPipeTransport(roomId: string, key?: string): Promise<PipeEndpoint> {
    const room = this.#room(roomId);
    const transport = await room.gr.router.createPipeTransport({
      listenIp: { ip: this.#options.listenIp, announcedIp: this.#options.announcedIp },
      enableRtx: true,
      enableSrtp: true,
    });
    this.#nodePipes.set(transport.id, { transport, room });
    transport.observer.once('close', () => {
      this.#nodePipes.delete(transport.id);
      this.#pipeConnects.delete(transport.id);
      if (key !== undefined) this.#pipeKeys.delete(key);
    });
    return {
      id: transport.id,
      ip: this.#options.announcedIp ?? transport.tuple.localIp,
      port: transport.tuple.localPort,
      srtpParameters: transport.srtpParameters,
    };
  }

  #nodePipe(pipeTransportId: string): { transport: types.PipeTransport; room: Room } {
    const entry = this.#nodePipes.get(pipeTransportId);
    if (!entry) throw new SfuError('not_found', 'pipe transport not found');
    return entry;
  }

  /** Connects an end to its remote; again with the same remote, nothing more (idempotent). */
  async connectPipeTransport(pipeTransportId: string, remote: PipeEndpoint): Promise<void> {
    const { transport } = this.#nodePipe(pipeTransportId);
    const to = `${remote.ip}:${remote.port}`;
    const existing = this.#pipeConnects.get(pipeTransportId);
    if (existing) {
      if (existing.remote !== to) throw new SfuError('bad_request', 'pipe transport already connected elsewhere');
      return existing.done;
    }
    const done = clientInput(() => transport.connect({ ip: remote.ip, port: remote.port, srtpParameters: remote.srtpParameters }));
    this.#pipeConnects.set(pipeTransportId, { remote: to, done });
    try {
      await done;
    } catch (error) {
      if (this.#pipeConnects.get(pipeTransportId)?.done === done) this.#pipeConnects.delete(pipeTransportId);
      throw error;
    }
  }

  async closePipeTransport(pipeTransportId: string): Promise<void> {
    this.#nodePipes.get(pipeTransportId)?.transport.close();
  }

  /** The pipe consumer of a producer on a link end, made once per end and producer (idempotent). */
  async pipeConsume(pipeTransportId: string, producerId: string): Promise<PipedProducer> {
    const { transport, room } = this.#nodePipe(pipeTransportId);
    if (this.#producerRoom.get(producerId)?.gr !== room.gr) throw new SfuError('not_found', 'producer not found');
    const key = `${pipeTransportId}|${producerId}`;
    let pending = this.#pipeConsumers.get(key);
    if (!pending) {
      pending = transport.consume({ producerId });
      this.#pipeConsumers.set(key, pending);
      pending.then(
        (consumer) => consumer.observer.once('close', () => this.#pipeConsumers.delete(key)),
        () => this.#pipeConsumers.delete(key),
      );
    }
    const consumer = await pending;
    return { producerId, kind: consumer.kind, rtpParameters: consumer.rtpParameters, paused: consumer.producerPaused };
  }

  /**
   * Recreates a producer, with its id, from a link end (idempotent: a replica already fed by this
   * end is kept; one left from an older link is replaced).
   */
  async pipeProduce(pipeTransportId: string, piped: PipedProducer): Promise<void> {
    const { transport, room } = this.#nodePipe(pipeTransportId);
    const pending = this.#pipeProduces.get(piped.producerId);
    if (pending) return pending;
    const existing = this.#producers.get(piped.producerId);
    if (existing) {
      if (existing.appData.pipeTransportId === pipeTransportId || existing.appData.replica !== true) return;
      existing.close();
    }
    const making = (async () => {
      const producer = await clientInput(() =>
        transport.produce({
          id: piped.producerId,
          kind: piped.kind,
          rtpParameters: piped.rtpParameters,
          paused: piped.paused,
          keyFrameRequestDelay: this.#options.keyFrameRequestDelayMs,
          appData: { workerIndex: room.gr.pooled.index, replica: true, pipeTransportId },
        }),
      );
      this.#register(producer, room);
    })().finally(() => this.#pipeProduces.delete(piped.producerId));
    this.#pipeProduces.set(piped.producerId, making);
    return making;
  }

  /** Pipe links to other nodes and the producers they carry (cluster figures). */
  nodePipeStats(): { transports: number; consumers: number; replicas: number } {
    let replicas = 0;
    for (const p of this.#producers.values()) if (p.appData.replica === true) replicas += 1;
    return { transports: this.#nodePipes.size, consumers: this.#pipeConsumers.size, replicas };
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
    const originalId = this.#localPipes.get(producerId) ?? producerId;
    if (!this.#producers.has(originalId)) throw new SfuError('not_found', 'producer not found');
    const canConsume = await clientInput(async () => room.gr.router.canConsume({ producerId, rtpCapabilities }));
    if (!canConsume) return null;
    const consumer = await transport.consume({
      producerId,
      rtpCapabilities,
      paused: true,
      appData: { workerIndex: room.gr.pooled.index },
    });
    this.#consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => this.#consumers.delete(consumer.id));
    consumer.once('producerclose', () =>
      this.safeEmit('consumerClosed', { consumerId: consumer.id, producerId: originalId, transportId }),
    );
    return {
      id: consumer.id,
      producerId: originalId,
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

  /**
   * Runs a request on a consumer. One that the worker closed meanwhile (its producer went) is
   * `not_found`, as it would have been a moment later, not a server failure: the worker refuses
   * the request, and its earlier "producerclose" notification, which mediasoup's channel delivers
   * on a later turn (setImmediate), has closed the consumer on this side one turn after.
   */
  async #onConsumer<T>(consumerId: string, request: (consumer: types.Consumer) => Promise<T>): Promise<T> {
    const consumer = this.#consumer(consumerId);
    try {
      return await request(consumer);
    } catch (error) {
      await new Promise((resolve) => setImmediate(resolve));
      if (consumer.closed || !this.#consumers.has(consumerId)) throw new SfuError('not_found', 'consumer closed');
      throw error;
    }
  }

  async resumeConsumer(consumerId: string): Promise<void> {
    await this.#onConsumer(consumerId, (c) => c.resume());
  }

  async pauseConsumer(consumerId: string): Promise<void> {
    await this.#onConsumer(consumerId, (c) => c.pause());
  }

  async pipeProducer(producerId: string, toRoomId: string): Promise<string> {
    const from = this.#producerRoom.get(producerId);
    if (!from) throw new SfuError('not_found', 'producer not found');
    const to = this.#room(toRoomId);
    if (from.gr === to.gr) return producerId;
    // One pipe per producer per target router, however many consumers.
    const key = `${producerId}>${to.gr.router.id}`;
    let pending = this.#pipes.get(key);
    if (!pending) {
      pending = (from.gr.pooled === to.gr.pooled ? this.#pipeWithinWorker(producerId, from, to) : this.#pipeAcross(producerId, from, to)).catch(
        (error: unknown) => {
          this.#pipes.delete(key);
          throw error;
        },
      );
      this.#pipes.set(key, pending);
    }
    return pending;
  }

  /** Between workers: mediasoup's pipeToRouter; the piped producer keeps its id. */
  async #pipeAcross(producerId: string, from: Room, to: Room): Promise<string> {
    await from.gr.router.pipeToRouter({ producerId, router: to.gr.router });
    return producerId;
  }

  /**
   * Within one worker, ids are unique per worker, so the piped producer gets a new id: a
   * PipeTransport pair between the two routers, a pipe consumer of the producer on one side and
   * a producer with a fresh id on the other, kept in step (pause, resume, close).
   */
  async #pipeWithinWorker(producerId: string, from: Room, to: Room): Promise<string> {
    const [local, remote] = await this.#pipePair(from.gr.router, to.gr.router);
    const pipeConsumer = await local.consume({ producerId });
    const pipeProducer = await remote.produce({
      kind: pipeConsumer.kind,
      rtpParameters: pipeConsumer.rtpParameters,
      paused: pipeConsumer.producerPaused,
      appData: { originalProducerId: producerId },
    });
    this.#localPipes.set(pipeProducer.id, producerId);
    pipeConsumer.on('producerpause', () => void pipeProducer.pause().catch(() => undefined));
    pipeConsumer.on('producerresume', () => void pipeProducer.resume().catch(() => undefined));
    pipeConsumer.observer.once('close', () => pipeProducer.close());
    pipeProducer.observer.once('close', () => {
      this.#localPipes.delete(pipeProducer.id);
      pipeConsumer.close();
    });
    return pipeProducer.id;
  }

  /** A connected PipeTransport pair between two routers of one worker, made once per pair. */
  #pipePair(a: types.Router, b: types.Router): Promise<[types.PipeTransport, types.PipeTransport]> {
    const key = `${a.id}|${b.id}`;
    let pair = this.#pipePairs.get(key);
    if (!pair) {
      pair = (async (): Promise<[types.PipeTransport, types.PipeTransport]> => {
        const ip = this.#options.listenIp;
        const [local, remote] = await Promise.all([a.createPipeTransport({ listenIp: ip }), b.createPipeTransport({ listenIp: ip })]);
        await Promise.all([
          local.connect({ ip: remote.tuple.localIp, port: remote.tuple.localPort }),
          remote.connect({ ip: local.tuple.localIp, port: local.tuple.localPort }),
        ]);
        const forget = (): void => {
          this.#pipePairs.delete(key);
          local.close();
          remote.close();
        };
        local.observer.once('close', forget);
        remote.observer.once('close', forget);
        return [local, remote];
      })().catch((error: unknown) => {
        this.#pipePairs.delete(key);
        throw error;
      });
      this.#pipePairs.set(key, pair);
    }
    return pair;
  }

  async closeConsumer(consumerId: string): Promise<void> {
    this.#consumers.get(consumerId)?.close();
  }

  async setConsumerPreferredLayers(consumerId: string, spatialLayer: number): Promise<void> {
    await this.#onConsumer(consumerId, async (consumer) => {
      if (consumer.type === 'simulcast') await consumer.setPreferredLayers({ spatialLayer });
    });
  }

  async consumerStats(consumerId: string): Promise<ConsumerRtpStats> {
    const consumer = this.#consumer(consumerId);
    const out = (await consumer.getStats()).filter((s) => s.type === 'outbound-rtp');
    return {
      kind: consumer.kind,
      packetCount: out.reduce((n, s) => n + s.packetCount, 0),
      byteCount: out.reduce((n, s) => n + s.byteCount, 0),
      score: consumer.score.score,
      paused: consumer.paused,
      preferredSpatialLayer: consumer.preferredLayers?.spatialLayer,
      currentSpatialLayer: consumer.currentLayers?.spatialLayer,
    };
  }

  async createRecorderTap(producerId: string, target: TapTarget): Promise<RecorderTap> {
    const room = this.#producerRoom.get(producerId);
    if (!room) throw new SfuError('not_found', 'producer not found');
    // No comedia: the recorder only listens, so the SFU is told where to send. RTCP goes to a
    // port of its own (what ffmpeg's RTP demuxer expects: RTP port + 1).
    const transport = await room.gr.router.createPlainTransport({
      listenIp: { ip: this.#options.listenIp, announcedIp: this.#options.announcedIp },
      rtcpMux: false,
      comedia: false,
      appData: { recorderTap: true },
    });
    try {
      await clientInput(() => transport.connect({ ip: target.ip, port: target.port, rtcpPort: target.rtcpPort }));
      const consumer = await transport.consume({ producerId, rtpCapabilities: room.gr.router.rtpCapabilities, paused: true });
      this.#taps.set(transport.id, { transport, consumer });
      transport.observer.once('close', () => this.#taps.delete(transport.id));
      // The producer went: nothing more will come through this tap.
      consumer.observer.once('close', () => transport.close());
      return { id: transport.id, consumerId: consumer.id, kind: consumer.kind, rtpParameters: consumer.rtpParameters };
    } catch (error) {
      transport.close();
      throw error;
    }
  }

  /**
   * A producer fed by plain RTP (an encoder such as ffmpeg sending to the returned ports; comedia:
   * the transport learns the sender's address from its first packet). Used by benchmarks and
   * tests that need real media without a browser; not part of SfuControl.
   */
  async ingestRtp(roomId: string, kind: MediaKind, rtpParameters: types.RtpParameters): Promise<{ producerId: string; port: number; rtcpPort: number }> {
    const room = this.#room(roomId);
    const transport = await room.gr.router.createPlainTransport({ listenIp: this.#options.listenIp, rtcpMux: false, comedia: true });
    const producer = await clientInput(() => transport.produce({ kind, rtpParameters, appData: { workerIndex: room.gr.pooled.index } }));
    producer.observer.once('close', () => transport.close());
    this.#register(producer, room);
    return { producerId: producer.id, port: transport.tuple.localPort, rtcpPort: transport.rtcpTuple!.localPort };
  }

  async resumeRecorderTap(tapId: string): Promise<void> {
    const tap = this.#taps.get(tapId);
    if (!tap) throw new SfuError('not_found', 'recorder tap not found');
    if (tap.consumer.paused) await tap.consumer.resume();
    if (tap.consumer.kind === 'video') await tap.consumer.requestKeyFrame();
  }

  async closeRecorderTap(tapId: string): Promise<ConsumerRtpStats | null> {
    const tap = this.#taps.get(tapId);
    if (!tap) return null;
    // Paused first, so nothing more is sent between the reading and the close.
    await tap.consumer.pause().catch(() => undefined);
    const out = tap.consumer.closed ? [] : (await tap.consumer.getStats().catch(() => [])).filter((s) => s.type === 'outbound-rtp');
    tap.transport.close();
    return {
      kind: tap.consumer.kind,
      packetCount: out.reduce((n, s) => n + s.packetCount, 0),
      byteCount: out.reduce((n, s) => n + s.byteCount, 0),
      score: tap.consumer.score.score,
      paused: true,
    };
  }

  async setMaxOutgoingBitrate(transportId: string, bitrate: number): Promise<void> {
    await clientInput(() => this.#transport(transportId).transport.setMaxOutgoingBitrate(bitrate));
  }

  stats(): SfuStats {
    const workers: WorkerStats[] = this.#pool.alive().map((w) => ({
      index: w.index,
      pid: w.worker.pid,
      routers: w.routers,
      transports: 0,
      viewers: w.viewers,
      producers: 0,
      consumers: 0,
    }));
    const byIndex = new Map(workers.map((w) => [w.index, w]));
    for (const { room } of this.#transports.values()) {
      const w = byIndex.get(room.gr.pooled.index);
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
      routers: this.#pool.alive().reduce((n, w) => n + w.routers, 0),
      placementRefusals: this.#placementRefusals,
      pipes: this.#pipes.size,
      transports: this.#transports.size,
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
    return this.#rooms.get(roomId)?.gr.router.id;
  }

  /** The pid of the worker hosting a room, or undefined. */
  roomWorkerPid(roomId: string): number | undefined {
    return this.#rooms.get(roomId)?.gr.pooled.worker.pid;
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}
