/**
 * Links from this node's rooms to other SFU nodes (the SfuNodeControl part): one end of a
 * PipeTransport pair (SRTP and RTX, since the link leaves the machine), a pipe consumer of a
 * producer on it, and, on the receiving node, the same producer recreated with its id (a
 * replica that feeds the node's edges).
 *
 * Several controllers (signaling processes) may ask for the same link, pipe consumer or replica
 * at once; each operation is keyed so that they all get the one that exists.
 */
import type { types } from 'mediasoup';
import type { PipedProducer, PipeEndpoint, SfuOptions } from '../types';
import { SfuError } from '../errors';
import { clientInput } from './clientInput';
import type { Producers } from './Producers';
import type { Room, Rooms } from './Rooms';

export class NodePipes {
  readonly #options: SfuOptions;
  readonly #rooms: Rooms;
  readonly #producers: Producers;
  /** The ends here, with the room each belongs to. */
  readonly #nodePipes = new Map<string, { transport: types.PipeTransport; room: Room }>();
  /** Link key → its end here. */
  readonly #pipeKeys = new Map<string, Promise<PipeEndpoint>>();
  /** End id → the remote it is connected to. */
  readonly #pipeConnects = new Map<string, { remote: string; done: Promise<void> }>();
  /** `${end}|${producerId}` → the pipe consumer. */
  readonly #pipeConsumers = new Map<string, Promise<types.Consumer>>();
  /** Producer id → the replica being recreated. */
  readonly #pipeProduces = new Map<string, Promise<void>>();

  constructor(options: SfuOptions, rooms: Rooms, producers: Producers) {
    this.#options = options;
    this.#rooms = rooms;
    this.#producers = producers;
  }

  /**
   * One end of a link to another node. With a `key`, the same key returns the same end while it
   * is open (idempotent: controllers that race to make one link share it).
   */
  async create(roomId: string, key?: string): Promise<PipeEndpoint> {
    if (key === undefined) return this.#create(roomId);
    let pending = this.#pipeKeys.get(key);
    if (!pending) {
      pending = this.#create(roomId, key).catch((error: unknown) => {
        this.#pipeKeys.delete(key);
        throw error;
      });
      this.#pipeKeys.set(key, pending);
    }
    return pending;
  }

  async #create(roomId: string, key?: string): Promise<PipeEndpoint> {
    const room = this.#rooms.get(roomId);
    const transport = await room.gr.router.createPipeTransport({
      listenIp: { ip: this.#options.listenIp, announcedIp: this.#options.announcedIp },
      enableRtx: true,
      enableSrtp: true,
    });
    this.#nodePipes.set(transport.id, { transport, room });
    room.owned.add(transport);
    transport.observer.once('close', () => {
      this.#nodePipes.delete(transport.id);
      room.owned.delete(transport);
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
  async connect(pipeTransportId: string, remote: PipeEndpoint): Promise<void> {
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

  close(pipeTransportId: string): void {
    this.#nodePipes.get(pipeTransportId)?.transport.close();
  }

  /** The pipe consumer of a producer on a link end, made once per end and producer (idempotent). */
  async consume(pipeTransportId: string, producerId: string): Promise<PipedProducer> {
    const { transport, room } = this.#nodePipe(pipeTransportId);
    if (this.#producers.roomOf(producerId)?.gr !== room.gr) throw new SfuError('not_found', 'producer not found');
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
  async produce(pipeTransportId: string, piped: PipedProducer): Promise<void> {
    const { transport, room } = this.#nodePipe(pipeTransportId);
    const pending = this.#pipeProduces.get(piped.producerId);
    if (pending) return pending;
    const existing = this.#producers.find(piped.producerId);
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
      this.#producers.register(producer, room);
    })().finally(() => this.#pipeProduces.delete(piped.producerId));
    this.#pipeProduces.set(piped.producerId, making);
    return making;
  }

  /** Pipe links to other nodes and the producers they carry (cluster figures). */
  stats(): { transports: number; consumers: number; replicas: number } {
    let replicas = 0;
    for (const p of this.#producers.values()) if (p.appData.replica === true) replicas += 1;
    return { transports: this.#nodePipes.size, consumers: this.#pipeConsumers.size, replicas };
  }
}
