/**
 * The settings an SFU needs, shared by the single-node default (signaling/config.ts embeds them)
 * and a stand-alone SFU node (sfu/node/config.ts adds its control endpoint).
 */
import os from 'node:os';
import { z } from 'zod';
import type { SfuOptions } from './types';

const port = z.coerce.number().int().min(1).max(65535);
const ip = z.union([z.ipv4(), z.ipv6()]);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** Environment variable → schema (with its default). The JSDoc is the operator's reference. */
export const sfuEnvShape = {
  /** Number of mediasoup workers. Default: the number of CPU cores. */
  HOINGHI_WORKERS: z.coerce.number().int().min(1).max(256).default(os.availableParallelism()),
  /** IP the media servers listen on. Default 127.0.0.1. */
  HOINGHI_RTC_LISTEN_IP: ip.default('127.0.0.1'),
  /** Public IP put in ICE candidates and node-to-node pipes. Required when listening on 0.0.0.0. */
  HOINGHI_RTC_ANNOUNCED_IP: ip.optional(),
  /**
   * Worker i takes viewers on UDP/TCP port base+i and publishers on base+workers+i (0: any free
   * port of the min–max range). Default 40000.
   */
  HOINGHI_RTC_BASE_PORT: z.coerce.number().int().min(0).max(65535).default(40000),
  HOINGHI_RTC_MIN_PORT: port.default(41000),
  HOINGHI_RTC_MAX_PORT: port.default(41999),
  /**
   * Viewers (receiving transports) per worker before a meeting grows onto the next. Default 200:
   * load-tests/viewerCost.ts measured 0.36–0.38% of a core per real WebRTC viewer (node-datachannel:
   * ICE/DTLS/SRTP, RTCP, transport-cc) with today's media profile, ~207 viewers at 80% of a core;
   * with the mass-audience profile as deployed (no bandwidth estimation, 20 fps middle layer, Opus
   * 60 ms + DTX) 0.091%, ~870: SFU nodes dedicated to one national meeting can run with ~800 (the
   * cap does not weigh viewers by profile). See README, "Measured", and docs/capacity.md.
   * Spilling onto another worker is cheap, an overloaded worker hurts everyone on it.
   */
  HOINGHI_VIEWERS_PER_WORKER: z.coerce.number().int().min(1).max(100_000).default(200),
  /**
   * Whether the media servers also accept ICE over TCP (for networks that block UDP). Default true.
   * Each TCP connection, even one that never completes ICE, holds ~4.4 kB in the worker until the
   * peer closes it; turn TCP off where every school reaches the SFU over UDP.
   */
  HOINGHI_RTC_TCP: bool.default(true),
  /**
   * Batched sends in the (patched) worker: datagrams queued on one UDP socket during one event-loop
   * iteration go out with one `sendmmsg` (scripts/worker-patches). Default true; `false` sends one
   * datagram per system call, as upstream mediasoup does.
   */
  HOINGHI_WORKER_SEND_BATCH: bool.default(true),
  /**
   * Receive buffer of each worker's UDP sockets, bytes (patched worker). Default 4 MiB: a burst of
   * viewers' RTCP and transport-cc feedback must not push the host's media out of a full buffer.
   * The kernel caps it at `net.core.rmem_max` (212,992 bytes unless raised: `sysctl -w
   * net.core.rmem_max=8388608`). 0 leaves the system default.
   */
  HOINGHI_WORKER_UDP_RECV_BUFFER: z.coerce.number().int().min(0).max(1 << 30).default(4 * 1024 * 1024),
  /** Send buffer of each worker's UDP sockets, bytes (capped by `net.core.wmem_max`). Default 4 MiB; 0: system default. */
  HOINGHI_WORKER_UDP_SEND_BUFFER: z.coerce.number().int().min(0).max(1 << 30).default(4 * 1024 * 1024),
  /** Keyframe requests forwarded to a publisher at most once per this many ms. Default 1000. */
  HOINGHI_KEYFRAME_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
};

const sfuEnvSchema = z.object(sfuEnvShape);
type SfuEnv = z.infer<typeof sfuEnvSchema>;

/** Cross-field checks; returns a message for the operator, or null. */
export function sfuEnvProblem(e: SfuEnv): string | null {
  if (e.HOINGHI_RTC_MIN_PORT > e.HOINGHI_RTC_MAX_PORT) return 'HOINGHI_RTC_MIN_PORT must not exceed HOINGHI_RTC_MAX_PORT';
  if ((e.HOINGHI_RTC_LISTEN_IP === '0.0.0.0' || e.HOINGHI_RTC_LISTEN_IP === '::') && !e.HOINGHI_RTC_ANNOUNCED_IP) {
    return 'HOINGHI_RTC_ANNOUNCED_IP is required when HOINGHI_RTC_LISTEN_IP is a wildcard address';
  }
  return null;
}

export function sfuOptionsFrom(e: SfuEnv): SfuOptions {
  return {
    numWorkers: e.HOINGHI_WORKERS,
    listenIp: e.HOINGHI_RTC_LISTEN_IP,
    announcedIp: e.HOINGHI_RTC_ANNOUNCED_IP,
    rtcBasePort: e.HOINGHI_RTC_BASE_PORT,
    rtcMinPort: e.HOINGHI_RTC_MIN_PORT,
    rtcMaxPort: e.HOINGHI_RTC_MAX_PORT,
    initialOutgoingBitrate: 600_000,
    maxIncomingBitrate: 4_000_000,
    keyFrameRequestDelayMs: e.HOINGHI_KEYFRAME_DELAY_MS,
    viewersPerWorker: e.HOINGHI_VIEWERS_PER_WORKER,
    workerLogLevel: 'warn',
    rtcTcp: e.HOINGHI_RTC_TCP,
    sendBatch: e.HOINGHI_WORKER_SEND_BATCH,
    udpRecvBuffer: e.HOINGHI_WORKER_UDP_RECV_BUFFER,
    udpSendBuffer: e.HOINGHI_WORKER_UDP_SEND_BUFFER,
  };
}
