/**
 * The producers of a node, each with the room it was produced in: published by a client on a
 * send transport, fed by plain RTP (benchmarks and tests), or recreated from another node's pipe
 * (NodePipes registers those). A send transport's producers must not share an SSRC, MID or RID
 * (rtpRoutingKeys.ts), which is checked here before the worker sees them.
 */
import type { types } from 'mediasoup';
import type { MediaKind, SfuOptions } from '../types';
import { SfuError } from '../errors';
import { rtpRoutingKeys, TransportRoutingKeys } from '../rtpRoutingKeys';
import { clientInput } from './clientInput';
import type { Room } from './Rooms';

export class Producers {
  readonly #options: SfuOptions;
  readonly #producers = new Map<string, types.Producer>();
  /** Producer id → the room it was produced in. */
  readonly #producerRoom = new Map<string, Room>();
  /** SSRCs, MIDs and RIDs held by the live producers of each send transport. */
  readonly #routingKeys = new TransportRoutingKeys();

  constructor(options: SfuOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#producers.size;
  }

  values(): IterableIterator<types.Producer> {
    return this.#producers.values();
  }

  has(producerId: string): boolean {
    return this.#producers.has(producerId);
  }

  find(producerId: string): types.Producer | undefined {
    return this.#producers.get(producerId);
  }

  get(producerId: string): types.Producer {
    const producer = this.#producers.get(producerId);
    if (!producer) throw new SfuError('not_found', 'producer not found');
    return producer;
  }

  roomOf(producerId: string): Room | undefined {
    return this.#producerRoom.get(producerId);
  }

  async produce({ transport, room }: { transport: types.Transport; room: Room }, kind: MediaKind, rtpParameters: types.RtpParameters): Promise<{ producerId: string }> {
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
    this.register(producer, room);
    return { producerId: producer.id };
  }

  /**
   * A producer fed by plain RTP (an encoder such as ffmpeg sending to the returned ports; comedia:
   * the transport learns the sender's address from its first packet).
   */
  async ingestRtp(room: Room, kind: MediaKind, rtpParameters: types.RtpParameters): Promise<{ producerId: string; port: number; rtcpPort: number }> {
    const transport = await room.gr.router.createPlainTransport({ listenIp: this.#options.listenIp, rtcpMux: false, comedia: true });
    const producer = await clientInput(() => transport.produce({ kind, rtpParameters, appData: { workerIndex: room.gr.pooled.index } }));
    producer.observer.once('close', () => transport.close());
    this.register(producer, room);
    return { producerId: producer.id, port: transport.tuple.localPort, rtcpPort: transport.rtcpTuple!.localPort };
  }

  /** Tracks a producer of a room (published here, or recreated from another node's pipe). */
  register(producer: types.Producer, room: Room): void {
    this.#producers.set(producer.id, producer);
    this.#producerRoom.set(producer.id, room);
    producer.observer.once('close', () => {
      this.#producers.delete(producer.id);
      this.#producerRoom.delete(producer.id);
    });
  }

  close(producerId: string): void {
    this.#producers.get(producerId)?.close();
  }

  async pause(producerId: string): Promise<void> {
    await this.get(producerId).pause();
  }

  async resume(producerId: string): Promise<void> {
    await this.get(producerId).resume();
  }
}
