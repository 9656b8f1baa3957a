/**
 * The WebRTC transports of a node's rooms: a publisher's send transport on its worker's ingest
 * WebRtcServer, a viewer's receive transport on the viewers' one (see PooledWorker). A receive
 * transport counts as one viewer of its worker, the load that placement reads.
 */
import type { types } from 'mediasoup';
import type { SfuOptions, TransportDirection, TransportParams, WebRtcTransportOptions } from '../types';
import { SfuError } from '../errors';
import { clientInput } from './clientInput';
import type { Room } from './Rooms';
import type { TransportWatch } from './TransportWatch';

export interface TransportEntry {
  transport: types.WebRtcTransport;
  room: Room;
}

export class WebRtcTransports {
  readonly #options: SfuOptions;
  readonly #transports = new Map<string, TransportEntry>();
  readonly #watch: TransportWatch;

  constructor(options: SfuOptions, watch: TransportWatch) {
    this.#options = options;
    this.#watch = watch;
  }

  get size(): number {
    return this.#transports.size;
  }

  values(): IterableIterator<TransportEntry> {
    return this.#transports.values();
  }

  has(transportId: string): boolean {
    return this.#transports.has(transportId);
  }

  get(transportId: string): TransportEntry {
    const entry = this.#transports.get(transportId);
    if (!entry) throw new SfuError('not_found', 'transport not found');
    return entry;
  }

  async create(room: Room, direction: TransportDirection, options: WebRtcTransportOptions = {}): Promise<TransportParams> {
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
    room.owned.add(transport);
    if (direction === 'recv') pooled.viewers += 1;
    transport.observer.once('close', () => {
      this.#transports.delete(transport.id);
      room.owned.delete(transport);
      if (direction === 'recv') pooled.viewers -= 1;
    });
    if (options.watch === true) this.#watch.watch(transport);
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  async connect(transportId: string, dtlsParameters: types.DtlsParameters): Promise<void> {
    const { transport } = this.get(transportId);
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

  close(transportId: string): void {
    this.#transports.get(transportId)?.transport.close();
  }

  async setMaxOutgoingBitrate(transportId: string, bitrate: number): Promise<void> {
    await clientInput(() => this.get(transportId).transport.setMaxOutgoingBitrate(bitrate));
  }
}
