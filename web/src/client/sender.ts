/**
 * The sending side of the page (signaling/meeting/publishFlow.ts is the server side): the send
 * transport, made once however many events ask for it, the local capture tracks (camera,
 * microphone, screen) and one producer per source. Capture tracks outlive a rejoin, so that what
 * was live is published again on the new transport.
 */
import type { Device, types as msTypes } from 'mediasoup-client';
import type { MediaSource } from '../../../signaling/protocol/schemas';
import { useStore, type Source } from '../state/store';
import type { Connection } from './connection';
import { applyCameraProfile, cameraEncodings, micCodecOptions } from './massAudience';
import { transportOptions, wireRtpParameters } from './mediaWire';
import { OnAirWatch } from './onAirWatch';
import { wireTransport } from './wireTransport';
import { warn } from './warn';

/**
 * A screen share in two layers: half size at 5 fps and 150 kbps (data saver, a weak link's
 * ceiling), and full size at 10 fps. Without the lower one, data saver left a share at full size.
 */
const SCREEN_ENCODINGS: msTypes.RtpEncodingParameters[] = [
  { scaleResolutionDownBy: 2, maxBitrate: 150_000, maxFramerate: 5 },
  { scaleResolutionDownBy: 1, maxBitrate: 1_500_000, maxFramerate: 10 },
];

const isSource = (s: unknown): s is MediaSource => s === 'camera' || s === 'mic' || s === 'screen';

export class Sender {
  readonly #conn: Connection;
  /** The transport failed: the join flow runs again. */
  readonly #failed: () => void;
  #transport: msTypes.Transport | null = null;
  #setup: Promise<void> | null = null;
  readonly #producers = new Map<Source, msTypes.Producer>();
  /** Sources being produced right now (one producer per source: a click during a rejoin's republish must not make a second). */
  readonly #producing = new Set<Source>();
  /** Sources whose capture is being opened (a second click meanwhile opens nothing more). */
  readonly #opening = new Set<Source>();
  /** Local capture tracks, kept across rejoins so that a host republishes them. */
  readonly #localTracks = new Map<Source, MediaStreamTrack>();
  readonly #listeners = new Set<() => void>();
  readonly #onAir = new OnAirWatch(() => this.#producers.values());

  constructor(conn: Connection, failed: () => void) {
    this.#conn = conn;
    this.#failed = failed;
  }

  /** A send transport was made (it may have closed since: a rejoin makes a new one). */
  get hasTransport(): boolean {
    return this.#transport !== null;
  }

  /** This page captures `source` now. */
  capturing(source: Source): boolean {
    return this.#localTracks.has(source);
  }

  /** Creates the send transport once, however many events ask for it at the same time. */
  setUp(device: Device): Promise<void> {
    if (!this.#setup) {
      this.#setup = this.#create(device).finally(() => {
        this.#setup = null;
      });
    }
    return this.#setup;
  }

  async #create(device: Device): Promise<void> {
    if (this.#transport && !this.#transport.closed) return;
    const params = await this.#conn.request('createTransport', { direction: 'send' });
    const send = device.createSendTransport(transportOptions(params));
    this.#transport = send;
    wireTransport(this.#conn, send);
    send.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      const source = appData.source;
      // Always one of ours (#produce sets it); checked so that the request is typed.
      if (!isSource(source)) return errback(new Error(`unknown source ${String(source)}`));
      this.#conn
        .request('produce', { transportId: send.id, kind, rtpParameters: wireRtpParameters(rtpParameters), source })
        .then(({ producerId }) => callback({ id: producerId }), errback);
    });
    useStore.getState().setSendState('new');
    send.on('connectionstatechange', (state) => {
      if (this.#transport !== send) return;
      useStore.getState().setSendState(state);
      if (state === 'failed') this.#failed();
    });
    // Republish what was live before a rejoin (what starts meanwhile publishes itself).
    for (const [source, track] of [...this.#localTracks]) {
      if (track.readyState === 'live' && this.#localTracks.get(source) === track) await this.#produce(source, track);
    }
  }

  /** Starts capturing camera, microphone or screen, and publishes it if a send transport is up. */
  async start(source: Source): Promise<void> {
    if (this.#localTracks.has(source) || this.#opening.has(source)) return;
    const store = useStore.getState();
    store.setDeviceError(null);
    let track: MediaStreamTrack | undefined;
    this.#opening.add(source);
    try {
      if (source === 'camera') {
        const stream = await navigator.mediaDevices.getUserMedia({
          video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } },
        });
        track = stream.getVideoTracks()[0];
      } else if (source === 'mic') {
        const stream = await navigator.mediaDevices.getUserMedia({
          audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
        });
        track = stream.getAudioTracks()[0];
      } else {
        const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 10 } }, audio: false });
        track = stream.getVideoTracks()[0];
      }
    } catch (error) {
      store.setDeviceError(error instanceof Error ? error.name : 'Error');
      return;
    } finally {
      this.#opening.delete(source);
    }
    if (!track) return;
    this.#localTracks.set(source, track);
    // The browser's own "stop sharing" button ends the track.
    track.addEventListener('ended', () => void this.stop(source));
    store.setPublishing(source, true);
    this.#notify();
    if (this.#transport && !this.#transport.closed) await this.#produce(source, track);
  }

  async #produce(source: Source, track: MediaStreamTrack): Promise<void> {
    const transport = this.#transport;
    if (!transport || this.#producing.has(source) || this.#producers.get(source)?.closed === false) return;
    const large = useStore.getState().stats?.massAudience === true;
    this.#producing.add(source);
    let producer: msTypes.Producer;
    try {
      producer = await transport.produce({
        track,
        stopTracks: false,
        encodings: source === 'camera' ? cameraEncodings(large) : source === 'screen' ? SCREEN_ENCODINGS : undefined,
        codecOptions: source === 'mic' ? micCodecOptions(large) : { videoGoogleStartBitrate: 1000 },
        appData: { source },
      });
    } finally {
      this.#producing.delete(source);
    }
    // The transport was replaced meanwhile (a rejoin): the producer went with it, here and there.
    if (this.#transport !== transport) return void producer.close();
    // Stopped while it was being made: it goes too.
    if (this.#localTracks.get(source) !== track) {
      producer.close();
      await this.#conn.request('closeProducer', { producerId: producer.id }).catch((e) => warn('closeProducer', e));
      return;
    }
    this.#producers.set(source, producer);
    // The size may have changed while the producer was being made.
    if (source === 'camera' && (useStore.getState().stats?.massAudience === true) !== large) await this.applyCameraProfile(!large);
    this.#onAir.start();
  }

  /** The meeting became large (or small again): the live camera's middle layer follows. */
  async applyCameraProfile(large: boolean): Promise<void> {
    const sender = this.#producers.get('camera')?.rtpSender;
    if (!sender) return;
    await applyCameraProfile(sender, large).catch((error) => warn('the camera profile', error));
  }

  /** Stops camera, microphone or screen, here and on the server. */
  async stop(source: Source): Promise<void> {
    const producerId = await this.stopLocal(source);
    if (producerId) await this.#conn.request('closeProducer', { producerId }).catch((e) => warn('closeProducer', e));
  }

  /** Stops a local source and its producer here; returns the producer id it had. */
  async stopLocal(source: Source): Promise<string | undefined> {
    const producer = this.#producers.get(source);
    this.#producers.delete(source);
    const track = this.#localTracks.get(source);
    this.#localTracks.delete(source);
    track?.stop();
    useStore.getState().setPublishing(source, false);
    this.#notify();
    producer?.close();
    return producer?.id;
  }

  /** Stops every local source here (the server ended this participant's grant). */
  async stopAllLocal(): Promise<void> {
    for (const source of [...this.#localTracks.keys()]) await this.stopLocal(source);
  }

  /** Closes the producers and the send transport; the capture goes on (a rejoin publishes it again). */
  closeTransport(): void {
    for (const producer of this.#producers.values()) producer.close();
    this.#producers.clear();
    this.#transport?.close();
    this.#transport = null;
    useStore.getState().setSendState('closed');
  }

  stopOnAirWatch(): void {
    this.#onAir.stop();
  }

  /** Stops the capture (the camera light goes off). */
  stopCapture(): void {
    for (const t of this.#localTracks.values()) t.stop();
    this.#localTracks.clear();
  }

  localTrack(source: Source): MediaStreamTrack | undefined {
    return this.#localTracks.get(source);
  }

  /** Subscribe to changes of local tracks (for previews). */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(): void {
    for (const l of this.#listeners) l();
  }
}
