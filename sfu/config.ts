/**
 * The settings an SFU needs, shared by the single-node default (signaling/config.ts embeds them)
 * and a stand-alone SFU node (sfu/node/config.ts adds its control endpoint).
 */
import os from 'node:os';
import { z } from 'zod';
import { bool, ipAddress, settingDocs } from '../common/env';
import type { SfuOptions } from './types';

const port = z.coerce.number().int().min(1).max(65535);

/** Environment variable → schema, default and doc (the operator's reference, docs/configuration.md). */
export const sfuEnvShape = {
  HOINGHI_WORKERS: z.coerce
    .number()
    .int()
    .min(1)
    .max(256)
    .default(os.availableParallelism())
    .register(settingDocs, { doc: 'Number of mediasoup workers (one per core is the intent).', shownDefault: 'the number of CPU cores' }),
  HOINGHI_RTC_LISTEN_IP: ipAddress.default('127.0.0.1').register(settingDocs, { doc: 'IP the media servers listen on.' }),
  HOINGHI_RTC_ANNOUNCED_IP: ipAddress.optional().register(settingDocs, {
    doc: 'Public IP put in ICE candidates and node-to-node pipes. Required when `HOINGHI_RTC_LISTEN_IP` is a wildcard (`0.0.0.0`, `::`).',
    shownDefault: 'unset: the listen IP',
  }),
  HOINGHI_RTC_BASE_PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(40000)
    .register(settingDocs, {
      doc:
        'Worker i takes viewers on UDP/TCP port base+i and publishers on base+workers+i, so a firewall opens 2×workers ports. ' +
        '0: any free port of `HOINGHI_RTC_MIN_PORT`–`HOINGHI_RTC_MAX_PORT`.',
    }),
  HOINGHI_RTC_MIN_PORT: port.default(41000).register(settingDocs, {
    doc: 'Lowest port for transports that do not use a WebRtcServer (node-to-node pipes, recording taps), and for WebRTC when `HOINGHI_RTC_BASE_PORT=0`.',
  }),
  HOINGHI_RTC_MAX_PORT: port.default(41999).register(settingDocs, { doc: 'Highest port of that range (at least `HOINGHI_RTC_MIN_PORT`).' }),
  HOINGHI_VIEWERS_PER_WORKER: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(200)
    .register(settingDocs, {
      doc:
        'Viewers (receiving transports) per worker before a meeting grows onto the next worker. Spilling onto another worker is ' +
        'cheap; an overloaded worker hurts everyone on it. The default is set from the measured CPU cost of a viewer with the ' +
        'full media profile, with headroom left on the core. Viewers with the mass-audience profile cost much less, so SFU ' +
        'nodes dedicated to one national meeting can take more (the cap does not weigh viewers by profile). The measured ' +
        'costs per viewer: docs/capacity.md.',
    }),
  HOINGHI_RTC_TCP: bool.default(true).register(settingDocs, {
    doc:
      'Whether the media servers also accept ICE over TCP, for networks that block UDP. Each TCP connection, even one that ' +
      'never completes ICE, holds memory in the worker until the peer closes it: turn TCP off where every school reaches the SFU over UDP.',
  }),
  HOINGHI_WORKER_SEND_BATCH: bool.default(true).register(settingDocs, {
    doc:
      'Batched sends in the patched worker (scripts/worker-patches): datagrams queued on one UDP socket during one event-loop ' +
      'iteration go out with one `sendmmsg`. `false` sends one datagram per system call, as upstream mediasoup does.',
  }),
  HOINGHI_WORKER_UDP_RECV_BUFFER: z.coerce
    .number()
    .int()
    .min(0)
    .max(1 << 30)
    .default(4 * 1024 * 1024)
    .register(settingDocs, {
      doc:
        'Receive buffer of each worker\'s UDP sockets, bytes (patched worker): a burst of viewers\' RTCP and transport-cc feedback ' +
        'must not push the host\'s media out of a full buffer. The kernel caps it at `net.core.rmem_max` (212,992 bytes unless ' +
        'raised: `sysctl -w net.core.rmem_max=8388608`). 0 leaves the system default.',
    }),
  HOINGHI_WORKER_UDP_SEND_BUFFER: z.coerce
    .number()
    .int()
    .min(0)
    .max(1 << 30)
    .default(4 * 1024 * 1024)
    .register(settingDocs, {
      doc: 'Send buffer of each worker\'s UDP sockets, bytes (patched worker; capped by `net.core.wmem_max`). 0 leaves the system default.',
    }),
  HOINGHI_KEYFRAME_DELAY_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(1000)
    .register(settingDocs, {
      doc: 'Keyframe requests are forwarded to a publisher at most once per this many ms, so a burst of joining viewers does not flood a host with them.',
    }),
  HOINGHI_TRANSPORT_LOST_GRACE_MS: z.coerce
    .number()
    .int()
    .min(500)
    .max(600_000)
    .default(10_000)
    .register(settingDocs, {
      doc:
        'A studio encoder (WHIP) or a WHEP player that receives or sends nothing for this long (not even an ICE consent check), ' +
        'or whose ICE stays disconnected this long, is gone: its source leaves the meeting, its playback ends.',
    }),
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
    transportLostGraceMs: e.HOINGHI_TRANSPORT_LOST_GRACE_MS,
    viewersPerWorker: e.HOINGHI_VIEWERS_PER_WORKER,
    workerLogLevel: 'warn',
    rtcTcp: e.HOINGHI_RTC_TCP,
    sendBatch: e.HOINGHI_WORKER_SEND_BATCH,
    udpRecvBuffer: e.HOINGHI_WORKER_UDP_RECV_BUFFER,
    udpSendBuffer: e.HOINGHI_WORKER_UDP_SEND_BUFFER,
  };
}
