/**
 * Ingest transports: a PlainTransport in a room that an encoder on a machine of the platform (a
 * clip's ffmpeg beside signaling) sends plain RTP to, one transport per stream. comedia: the SFU
 * learns the sender's address from its first packet, so nothing needs to be told where ffmpeg
 * sends from; RTCP comes on a port of its own (ffmpeg's RTP muxer sends it from its RTP port + 1).
 * Producers are made on it with SfuControl.produce (Producers.produce), and it closes with its
 * room, with `close`, or when its last producer closes.
 */
import type { types } from 'mediasoup';
import type { IngestTransport, SfuOptions } from '../types';
import { SfuError } from '../errors';
import type { Room } from './Rooms';

export interface IngestEntry {
  transport: types.PlainTransport;
  room: Room;
}

/** Where the encoder sends: the listening address, or (listening on every address) the announced one, else loopback. */
export function ingestAddress(options: Pick<SfuOptions, 'listenIp' | 'announcedIp'>): string {
  const unspecified = options.listenIp === '0.0.0.0' || options.listenIp === '::';
  return unspecified ? (options.announcedIp ?? '127.0.0.1') : options.listenIp;
}

export class IngestTransports {
  readonly #options: SfuOptions;
  readonly #transports = new Map<string, IngestEntry>();

  constructor(options: SfuOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#transports.size;
  }

  values(): IterableIterator<IngestEntry> {
    return this.#transports.values();
  }

  has(transportId: string): boolean {
    return this.#transports.has(transportId);
  }

  find(transportId: string): IngestEntry | undefined {
    return this.#transports.get(transportId);
  }

  async create(room: Room): Promise<IngestTransport> {
    const transport = await room.gr.router.createPlainTransport({
      listenIp: { ip: this.#options.listenIp, announcedIp: this.#options.announcedIp },
      rtcpMux: false,
      comedia: true,
      // Producers.produce takes a sending transport.
      appData: { direction: 'send', ingest: true },
    });
    this.#transports.set(transport.id, { transport, room });
    room.owned.add(transport);
    transport.observer.once('close', () => {
      this.#transports.delete(transport.id);
      room.owned.delete(transport);
    });
    // Its producers are its reason to be: when the last one goes (closed at its origin from any
    // signaling process), the port is given back.
    let producers = 0;
    transport.observer.on('newproducer', (producer: types.Producer) => {
      producers += 1;
      producer.observer.once('close', () => {
        producers -= 1;
        if (producers === 0 && !transport.closed) transport.close();
      });
    });
    const rtcpPort = transport.rtcpTuple?.localPort;
    if (rtcpPort === undefined) {
      transport.close();
      throw new SfuError('unavailable', 'no RTCP port for the ingest transport');
    }
    return { id: transport.id, ip: ingestAddress(this.#options), port: transport.tuple.localPort, rtcpPort };
  }

  close(transportId: string): void {
    this.#transports.get(transportId)?.transport.close();
  }
}
