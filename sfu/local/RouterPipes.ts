/**
 * Pipes between the routers of one node: what makes a producer of one room (an origin)
 * consumable in another (an edge on another worker, or a breakout). One pipe per producer per
 * target router, however many consumers, made once even when requests race.
 *
 * Across workers it is mediasoup's pipeToRouter, and the piped producer keeps its id. Within one
 * worker ids must be unique, so the producer is recreated with a fresh id through a PipeTransport
 * pair between the two routers, and kept in step with the original (pause, resume, close).
 */
import type { types } from 'mediasoup';
import { SfuError } from '../errors';
import type { Producers } from './Producers';
import type { Room, Rooms } from './Rooms';

export class RouterPipes {
  readonly #listenIp: string;
  readonly #rooms: Rooms;
  readonly #producers: Producers;
  /** `${producerId}>${routerId}` of every pipe made (or being made) → the id to consume it by. */
  readonly #pipes = new Map<string, Promise<string>>();
  /** Piped producers with an id of their own (same-worker pipes) → the original producer id. */
  readonly #localPipes = new Map<string, string>();
  readonly #pipePairs = new Map<string, Promise<[types.PipeTransport, types.PipeTransport]>>();

  constructor(listenIp: string, rooms: Rooms, producers: Producers) {
    this.#listenIp = listenIp;
    this.#rooms = rooms;
    this.#producers = producers;
  }

  /** Producer pipes made (or being made). */
  get size(): number {
    return this.#pipes.size;
  }

  /** The original producer behind an id a room consumes by (itself, unless a same-worker pipe). */
  originalId(producerId: string): string {
    return this.#localPipes.get(producerId) ?? producerId;
  }

  /** See SfuControl.pipeProducer. */
  async pipe(producerId: string, toRoomId: string): Promise<string> {
    const from = this.#producers.roomOf(producerId);
    if (!from) throw new SfuError('not_found', 'producer not found');
    const to = this.#rooms.get(toRoomId);
    if (from.gr === to.gr) return producerId;
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
      // A closed producer's pipes close with it; forget them.
      this.#producers.get(producerId).observer.once('close', () => this.#pipes.delete(key));
    }
    return pending;
  }

  /** Between workers: mediasoup's pipeToRouter; the piped producer keeps its id. */
  async #pipeAcross(producerId: string, from: Room, to: Room): Promise<string> {
    await from.gr.router.pipeToRouter({ producerId, router: to.gr.router });
    return producerId;
  }

  /**
   * Within one worker: a pipe consumer of the producer on one router's end of the pair and a
   * producer with a fresh id on the other's.
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
        const ip = this.#listenIp;
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
}
