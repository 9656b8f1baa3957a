/**
 * The receiving side of the page: the mediasoup-client Device (loaded at each join), the receive
 * transport and its consumers, each shown as a tile (the store's `remote`) and playing its track.
 * A consumer closed on the server, or whose track or transport ends, leaves no dead tile.
 */
import { Device, types as msTypes } from 'mediasoup-client';
import type { AckOf, ConsumerInfo } from '../../../signaling/protocol/events';
import { useStore } from '../state/store';
import type { Connection } from './connection';
import { LayerFlow } from './layerFlow';
import { consumerRtpParameters, routerCapabilities, transportOptions, wireRtpCapabilities } from './mediaWire';
import { wireTransport } from './wireTransport';
import type { WebRtcFallback } from './webrtcFallback';

export class Receiver {
  readonly #conn: Connection;
  readonly #fallback: WebRtcFallback;
  /** The transport failed: the join flow runs again. */
  readonly #failed: () => void;
  #device: Device | null = null;
  #transport: msTypes.Transport | null = null;
  readonly #consumers = new Map<string, msTypes.Consumer>();
  /** consumerClosed for consumers still being set up here: they are dropped once ready. */
  readonly #closedEarly = new Set<string>();
  readonly layers: LayerFlow;

  constructor(conn: Connection, fallback: WebRtcFallback, failed: () => void) {
    this.#conn = conn;
    this.#fallback = fallback;
    this.#failed = failed;
    this.layers = new LayerFlow(conn, this.#consumers);
  }

  /** The Device of this connection's join (null before the join's media side, or after it closed). */
  get device(): Device | null {
    return this.#device;
  }

  /** A receive transport exists (requests about what it receives may go). */
  get receiving(): boolean {
    return this.#transport !== null;
  }

  /** Loads the Device for the meeting's router and makes the receive transport. */
  async open(joined: AckOf<'join'>): Promise<{ device: Device; recv: msTypes.Transport }> {
    const device = new Device();
    await device.load({ routerRtpCapabilities: routerCapabilities(joined) });
    this.#device = device;

    const recvParams = await this.#conn.request('createTransport', { direction: 'recv' });
    const recv = device.createRecvTransport(transportOptions(recvParams));
    this.#transport = recv;
    wireTransport(this.#conn, recv);
    useStore.getState().setMediaState('new');
    if (!joined.self.canSend) this.#fallback.watch();
    recv.on('connectionstatechange', (state) => {
      if (this.#transport !== recv) return;
      useStore.getState().setMediaState(state);
      if (state === 'connected') this.#fallback.connected();
      if (state === 'failed') this.#failed();
    });
    return { device, recv };
  }

  /** Asks for everything published now (after this page's receive choices) and consumes it. */
  async startConsuming(device: Device, recv: msTypes.Transport): Promise<void> {
    // A weak connection's choice survives reconnects: ask before any video consumer is made.
    if (useStore.getState().audioOnly) await this.#conn.request('setAudioOnly', { on: true });
    if (useStore.getState().dataSaver) await this.#conn.request('setDataSaver', { on: true });
    // And a deaf teacher's choice to see the sign-language interpreter.
    if (useStore.getState().interpreterView) await this.#conn.request('setInterpreterView', { on: true });
    // So does the ceiling the page learnt of its link (the server keeps it if this connection has
    // no estimator either).
    const { consumers, massAudience, adaptsLayer } = await this.#conn.request('startConsuming', {
      rtpCapabilities: wireRtpCapabilities(device.rtpCapabilities),
      layerCeiling: this.layers.ceiling,
    });
    useStore.getState().setMassAudienceReceive(massAudience);
    this.layers.started(recv, adaptsLayer);
    await Promise.all(consumers.map((c) => this.consume(c)));
  }

  /** A consumer the server made (at startConsuming, or `newConsumer`): a tile, then resumed. */
  async consume(info: ConsumerInfo): Promise<void> {
    const transport = this.#transport;
    if (!transport || transport.closed) return;
    const consumer = await transport.consume({
      id: info.id,
      producerId: info.producerId,
      kind: info.kind,
      rtpParameters: consumerRtpParameters(info),
      appData: { source: info.source },
    });
    if (this.#transport !== transport || this.#closedEarly.delete(consumer.id)) {
      // Closed on the server (or the transport replaced) while it was being set up: no tile.
      consumer.close();
      return;
    }
    this.#consumers.set(consumer.id, consumer);
    // A track that ends (its transport or producer failed) leaves no dead tile behind.
    consumer.on('trackended', () => this.#drop(consumer.id));
    consumer.on('transportclose', () => this.#drop(consumer.id));
    useStore.getState().addRemote({
      consumerId: consumer.id,
      producerId: info.producerId,
      kind: info.kind,
      source: info.source,
      peerId: info.peerId,
      peerName: info.peerName,
      sessionKey: info.sessionKey,
      ...(info.stage ? { stage: info.stage } : {}),
    });
    try {
      await this.#conn.request('resumeConsumer', { consumerId: consumer.id });
    } catch (error) {
      // Its producer went away meanwhile (a failed or stopped publish): no orphan tile.
      this.#drop(consumer.id);
      throw error;
    }
  }

  /** `consumerClosed`: the server closed it (perhaps before it was ready here). */
  closedOnServer(consumerId: string): void {
    if (!this.#consumers.has(consumerId)) this.#closedEarly.add(consumerId);
    this.#drop(consumerId);
  }

  /** The track of a consumer, for a <video>/<audio> element. */
  track(consumerId: string): MediaStreamTrack | undefined {
    return this.#consumers.get(consumerId)?.track;
  }

  /** Closes the consumers, the receive transport and the Device (before a join, and at the end). */
  close(): void {
    this.layers.closed();
    for (const c of this.#consumers.values()) c.close();
    this.#consumers.clear();
    this.#transport?.close();
    this.#transport = null;
    this.#device = null;
    useStore.getState().clearRemote();
  }

  #drop(consumerId: string): void {
    this.layers.forget(consumerId);
    const consumer = this.#consumers.get(consumerId);
    consumer?.close();
    this.#consumers.delete(consumerId);
    useStore.getState().removeRemote(consumerId);
  }
}
