/**
 * The typed control interface that signaling uses to drive the SFU. Everything is addressed by
 * id and every argument and result is plain JSON, so the same interface works in-process
 * (LocalSfu) and, for a cluster, over the network.
 */
import type { types } from 'mediasoup';
import type { TypedEmitter } from '../common/TypedEmitter';

export type MediaKind = 'audio' | 'video';
export type TransportDirection = 'send' | 'recv';

export interface SfuOptions {
  /** Number of mediasoup workers. Default: one per CPU core. */
  numWorkers: number;
  /** IP the WebRtcServers listen on. Default `127.0.0.1`. */
  listenIp: string;
  /** IP announced in ICE candidates (the public address). Default: `listenIp`. */
  announcedIp: string | undefined;
  /** Worker i takes viewers on UDP/TCP port `rtcBasePort + i`, publishers on `rtcBasePort + numWorkers + i` (0: any free port of the range). Default 40000. */
  rtcBasePort: number;
  /** Port range for transports that do not use a WebRtcServer (pipes). Default 41000–41999. */
  rtcMinPort: number;
  rtcMaxPort: number;
  /** Initial outgoing bitrate estimate for viewer transports, bps. Default 600 000. */
  initialOutgoingBitrate: number;
  /** Cap on a publisher's incoming bitrate, bps. Default 4 000 000. */
  maxIncomingBitrate: number;
  /**
   * Minimum delay between two keyframe requests a producer forwards to its publisher, ms. A join
   * burst of viewers then costs the host one keyframe per interval, not one per viewer. Default 1000.
   */
  keyFrameRequestDelayMs: number;
  /**
   * Placement capacity: receiving transports (viewers) per worker. A meeting grows onto the next
   * worker when its workers are full. Default 200 (from the fan-out benchmarks).
   */
  viewersPerWorker: number;
  /**
   * A watched WebRTC transport (createWebRtcTransport's `watch`) is reported lost after this long
   * without receiving anything, or with its ICE disconnected, ms. Default 10 000.
   */
  transportLostGraceMs?: number;
  /** mediasoup worker log level. Default `warn`. */
  workerLogLevel: types.WorkerLogLevel;
  /** WebRtcServers also listen on TCP, and transports offer TCP candidates. Default true. */
  rtcTcp?: boolean;
  /** Batched UDP sends (sendmmsg) in the patched worker. Default true. */
  sendBatch?: boolean;
  /** UDP socket receive / send buffer sizes of the patched worker, bytes (0: system default). */
  udpRecvBuffer?: number;
  udpSendBuffer?: number;
}

export interface WebRtcTransportOptions {
  /** Report `transportLost` for this transport (see SfuEvents). */
  watch?: boolean;
}

export interface TransportParams {
  id: string;
  iceParameters: types.IceParameters;
  iceCandidates: types.IceCandidate[];
  dtlsParameters: types.DtlsParameters;
}

export interface ConsumerParams {
  id: string;
  producerId: string;
  kind: MediaKind;
  rtpParameters: types.RtpParameters;
  producerPaused: boolean;
}

export interface ConsumerRtpStats {
  kind: MediaKind;
  packetCount: number;
  byteCount: number;
  score: number;
  /** Paused by its owner (the client, or a hold: national audio in a breakout); a paused producer is not counted. */
  paused: boolean;
  /** Simulcast video: the spatial layer the consumer prefers and the one it sends now (if any yet). */
  preferredSpatialLayer?: number;
  currentSpatialLayer?: number;
}

export interface WorkerStats {
  /** The SFU node (cluster) the worker belongs to; absent in the single-node default. */
  node?: string;
  index: number;
  pid: number;
  routers: number;
  transports: number;
  /** Receiving transports (the placement load). */
  viewers: number;
  producers: number;
  consumers: number;
  /**
   * Consumers that are sending (neither side paused), counted by mediasoup's score of their
   * stream (index 0–10): the score falls with the packet loss the viewer reports in its RTCP
   * receiver reports, so the low end is the viewers who lose media. Absent from nodes that
   * predate it.
   */
  consumerScores?: number[];
}

export interface SfuStats {
  workersAlive: number;
  workerDeaths: number;
  /** Viewers refused because every worker was at capacity. */
  placementRefusals: number;
  /** Producer pipes between routers (one per producer per target router). */
  pipes: number;
  routers: number;
  transports: number;
  producers: number;
  consumers: number;
  workers: WorkerStats[];
}

export type SfuEvents = {
  /** A consumer closed on its own (its producer went away). */
  consumerClosed: [{ consumerId: string; producerId: string; transportId: string }];
  /** Rooms lost together (their worker or SFU node died); every transport and producer in them is gone. */
  roomsLost: [{ roomIds: string[]; reason: 'worker_died' | 'node_died' }];
  /**
   * A watched WebRTC transport (created with `watch`) lost its client: nothing received (not even
   * an ICE consent check) or ICE disconnected for longer than the grace, or DTLS failed or was
   * closed. Raised once; the transport stays open until its owner closes it.
   */
  transportLost: [{ transportId: string; reason: 'silent' | 'ice_disconnected' | 'dtls_failed' | 'dtls_closed' }];
  /** A worker died; it has already been replaced when this fires. */
  workerDied: [{ index: number; pid: number; error: string }];
};

/** One end of a PipeTransport pair between two SFU nodes. */
export interface PipeEndpoint {
  id: string;
  ip: string;
  port: number;
  srtpParameters?: types.SrtpParameters;
}

/** A producer as it crosses a node-to-node pipe: the receiving node recreates it with the same id. */
export interface PipedProducer {
  producerId: string;
  kind: MediaKind;
  rtpParameters: types.RtpParameters;
  paused: boolean;
}

/** Where a recorder listens for one stream's plain RTP (and its RTCP, on a port of its own). */
export interface TapTarget {
  ip: string;
  port: number;
  rtcpPort: number;
}

/**
 * One producer sent as plain RTP (no SRTP, no ICE) to a recorder: a PlainTransport in the
 * producer's own room and a paused consumer on it. Close it with `closeRecorderTap`.
 */
export interface RecorderTap {
  /** The PlainTransport's id: the tap's handle. */
  id: string;
  consumerId: string;
  kind: MediaKind;
  /** What the recorder must expect (payload type, codec, clock rate, SSRC): the SDP it reads. */
  rtpParameters: types.RtpParameters;
}

/**
 * Where an encoder on a machine of the platform (a clip's ffmpeg) sends one stream of plain RTP
 * into a room: a PlainTransport with comedia (the SFU learns the sender from its first packet),
 * RTCP on a port of its own. Produce on it with `produce`, close it with `closeTransport`.
 */
export interface IngestTransport {
  id: string;
  /** The SFU's address to send to. */
  ip: string;
  port: number;
  rtcpPort: number;
}

export interface SfuControl extends TypedEmitter<SfuEvents> {
  /**
   * Opens a room (idempotent, race-free) and returns its router's capabilities. A `group` is a
   * meeting: its first room (the main origin) and its viewers' edges share one router per worker
   * (see sfu/placement.ts); any other origin of the group (a breakout) gets a router of its own.
   * Fails with `SfuError('unavailable')` (retry later) when no media worker is alive.
   */
  openRoom(roomId: string, group?: string): Promise<types.RtpCapabilities>;
  /**
   * Where a new viewer of the origin's meeting should receive: the id of an edge room, chosen by
   * the placement policy. Throws SfuError('unavailable') when every worker is at capacity.
   */
  placeViewer(originRoomId: string): Promise<string>;
  /** Closes a room; closing a group's first room closes every room of the group. */
  closeRoom(roomId: string): Promise<void>;
  /**
   * A client's WebRTC transport. With `watch`, the SFU reports `transportLost` when its client goes
   * silent (for clients without a socket of their own: WHIP encoders, WHEP players).
   */
  createWebRtcTransport(roomId: string, direction: TransportDirection, options?: WebRtcTransportOptions): Promise<TransportParams>;
  /**
   * A plain-RTP transport in an origin room for an encoder beside signaling (see IngestTransport):
   * one per stream. `produce` on it with the RTP parameters the encoder sends (its SSRC and
   * payload type); it closes with `closeTransport`, with its room, or when its last producer closes.
   */
  createIngestTransport(roomId: string): Promise<IngestTransport>;
  connectTransport(transportId: string, dtlsParameters: types.DtlsParameters): Promise<void>;
  closeTransport(transportId: string): Promise<void>;
  /** A producer on a send transport (a client's WebRTC one, or an ingest transport). */
  produce(
    transportId: string,
    kind: MediaKind,
    rtpParameters: types.RtpParameters,
  ): Promise<{ producerId: string }>;
  closeProducer(producerId: string): Promise<void>;
  pauseProducer(producerId: string): Promise<void>;
  resumeProducer(producerId: string): Promise<void>;
  /**
   * Creates a paused consumer of a producer present in the transport's room (an original id, or
   * the id `pipeProducer` returned); resume it with `resumeConsumer` when the client is ready.
   * The result and the `consumerClosed` event carry the original producer id.
   */
  consume(
    transportId: string,
    producerId: string,
    rtpCapabilities: types.RtpCapabilities,
  ): Promise<ConsumerParams | null>;
  resumeConsumer(consumerId: string): Promise<void>;
  pauseConsumer(consumerId: string): Promise<void>;
  /**
   * Makes a producer of one room consumable in another: one pipe per producer per target router,
   * however many consumers. Idempotent. Returns the id to consume it by in the target room (the
   * same id across workers; a fresh one within a worker, where ids must be unique). The piped
   * producer pauses, resumes and closes with the original.
   */
  pipeProducer(producerId: string, toRoomId: string): Promise<string>;
  closeConsumer(consumerId: string): Promise<void>;
  setConsumerPreferredLayers(consumerId: string, spatialLayer: number): Promise<void>;
  /**
   * Caps what a receiving transport sends, bps (0: no cap beyond the bandwidth estimate). The
   * transport's simulcast consumers then pick layers within min(estimate, cap).
   */
  setMaxOutgoingBitrate(transportId: string, bitrate: number): Promise<void>;
  /** RTP counters of what a consumer has sent to its viewer, and the SFU's score of the stream (0–10). */
  consumerStats(consumerId: string): Promise<ConsumerRtpStats>;
  /**
   * Sends a producer, as plain RTP, to a recorder at `target` (the recorder must be reachable
   * from the SFU that holds the producer's origin). The consumer starts paused: resume it with
   * `resumeRecorderTap` once the recorder listens. Closes by itself when the producer closes.
   */
  createRecorderTap(producerId: string, target: TapTarget): Promise<RecorderTap>;
  /** Resumes a tap's consumer and asks the publisher for a keyframe (start, or a recorder restart). */
  resumeRecorderTap(tapId: string): Promise<void>;
  /** Closes a tap; returns what it sent (read just before closing), null for an unknown tap. */
  closeRecorderTap(tapId: string): Promise<ConsumerRtpStats | null>;
  stats(): SfuStats;
  /** Per live worker: CPU seconds (user + system) used, and datagrams the kernel dropped at its full UDP receive buffers. */
  workerCpu(): Promise<{ node?: string; index: number; cpuSeconds: number; udpReceiveDrops?: number }[]>;
  close(): Promise<void>;
}

/**
 * What one SFU node offers a cluster controller on top of SfuControl: the two ends of a
 * PipeTransport pair between nodes (with SRTP and RTX, since the link leaves the machine), a
 * pipe consumer of a producer on one end, and the same producer recreated, with its id, on the
 * other. The room that receives becomes a replica of the origin and feeds its node's edges.
 */
export interface SfuNodeControl extends SfuControl {
  /** With a `key`, idempotent: the same key returns the same open end (controllers racing for one link share it). */
  createPipeTransport(roomId: string, key?: string): Promise<PipeEndpoint>;
  connectPipeTransport(pipeTransportId: string, remote: PipeEndpoint): Promise<void>;
  closePipeTransport(pipeTransportId: string): Promise<void>;
  pipeConsume(pipeTransportId: string, producerId: string): Promise<PipedProducer>;
  pipeProduce(pipeTransportId: string, producer: PipedProducer): Promise<void>;
}
