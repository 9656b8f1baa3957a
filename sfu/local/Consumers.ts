/**
 * The consumers of a node's viewers: created paused on a receive transport, then resumed,
 * paused, given a preferred layer or read by their owner. Tells its owner (`consumerClosed`)
 * when a consumer closes because its producer went, with the original producer id.
 */
import type { types } from 'mediasoup';
import { TypedEmitter } from '../../common/TypedEmitter';
import type { ConsumerParams, ConsumerRtpStats, SfuEvents } from '../types';
import { SfuError } from '../errors';
import { clientInput } from './clientInput';
import type { Producers } from './Producers';
import type { RouterPipes } from './RouterPipes';
import type { TransportEntry } from './WebRtcTransports';

type ConsumersEvents = Pick<SfuEvents, 'consumerClosed'>;

export class Consumers extends TypedEmitter<ConsumersEvents> {
  readonly #producers: Producers;
  readonly #pipes: RouterPipes;
  readonly #consumers = new Map<string, types.Consumer>();

  constructor(producers: Producers, pipes: RouterPipes) {
    super();
    this.#producers = producers;
    this.#pipes = pipes;
  }

  get size(): number {
    return this.#consumers.size;
  }

  values(): IterableIterator<types.Consumer> {
    return this.#consumers.values();
  }

  /** See SfuControl.consume. */
  async consume(
    { transport, room }: TransportEntry,
    producerId: string,
    rtpCapabilities: types.RtpCapabilities,
  ): Promise<ConsumerParams | null> {
    if (transport.appData.direction !== 'recv') throw new SfuError('forbidden', 'not a receive transport');
    const originalId = this.#pipes.originalId(producerId);
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
      this.safeEmit('consumerClosed', { consumerId: consumer.id, producerId: originalId, transportId: transport.id }),
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

  async resume(consumerId: string): Promise<void> {
    await this.#onConsumer(consumerId, (c) => c.resume());
  }

  async pause(consumerId: string): Promise<void> {
    await this.#onConsumer(consumerId, (c) => c.pause());
  }

  close(consumerId: string): void {
    this.#consumers.get(consumerId)?.close();
  }

  async setPreferredLayers(consumerId: string, spatialLayer: number): Promise<void> {
    await this.#onConsumer(consumerId, async (consumer) => {
      if (consumer.type === 'simulcast') await consumer.setPreferredLayers({ spatialLayer });
    });
  }

  async stats(consumerId: string): Promise<ConsumerRtpStats> {
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
}
