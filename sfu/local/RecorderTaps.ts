/**
 * Recorder taps: one producer sent as plain RTP to a recorder (ffmpeg) through a PlainTransport
 * in the producer's own room, with one consumer on it. A tap closes by itself when its producer
 * goes.
 */
import type { types } from 'mediasoup';
import type { ConsumerRtpStats, RecorderTap, SfuOptions, TapTarget } from '../types';
import { SfuError } from '../errors';
import { clientInput } from './clientInput';
import type { Producers } from './Producers';

export class RecorderTaps {
  readonly #options: SfuOptions;
  readonly #producers: Producers;
  /** PlainTransport id → the transport and its one consumer. */
  readonly #taps = new Map<string, { transport: types.PlainTransport; consumer: types.Consumer }>();

  constructor(options: SfuOptions, producers: Producers) {
    this.#options = options;
    this.#producers = producers;
  }

  async create(producerId: string, target: TapTarget): Promise<RecorderTap> {
    const room = this.#producers.roomOf(producerId);
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

  async resume(tapId: string): Promise<void> {
    const tap = this.#taps.get(tapId);
    if (!tap) throw new SfuError('not_found', 'recorder tap not found');
    if (tap.consumer.paused) await tap.consumer.resume();
    if (tap.consumer.kind === 'video') await tap.consumer.requestKeyFrame();
  }

  async close(tapId: string): Promise<ConsumerRtpStats | null> {
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
}
