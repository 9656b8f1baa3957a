/**
 * Prometheus metrics of one node, on its own registry (no module-level globals, so that several
 * servers in one test process do not share counters). Gauges read live state at scrape time.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { SfuControl, SfuStats } from '../sfu/types';
import type { RecordingStats } from './recording/recordingTypes';
import type { QueueWatch } from '../common/SerialQueue';
import type { RedisWatch } from '../common/redisWatch';
import { hostUdpErrors } from '../common/hostUdp';
import { PROVINCES } from './data/provinces';

/** Sources of the operators' figures (docs/operations.md#alerts-and-dashboard). */
export interface OperatorSources {
  /** This node's Redis connections (cluster mode); without it no `hoinghi_redis_*` metric is served. */
  redis?: RedisWatch;
  /** The participants joined on this node now. */
  participants?: () => Iterable<{ role: string; province: string | null }>;
}

const PROVINCE_NAMES = new Map(PROVINCES.map((p) => [p.code, p.name]));

export class Metrics {
  readonly registry = new Registry();
  readonly joins: Counter;
  readonly workerDeaths: Counter;
  readonly rejectedEvents: Counter<'code'>;
  readonly refusedHandshakes: Counter<'reason'>;
  readonly admissions: Counter<'lane' | 'outcome'>;
  /** WHIP ingest and WHEP playback resources started, by kind (ingest | playback). */
  readonly whipSessions: Counter<'kind'>;
  /** Live WHIP ingest and WHEP playback resources on this node (server.ts sets the reader). */
  whipLive: () => { ingest: number; playback: number } = () => ({ ingest: 0, playback: 0 });

  constructor(
    sfu: SfuControl,
    connectedSockets: () => number,
    rehomes: () => number,
    unauthenticatedSockets: () => number = () => 0,
    waitingJoins: () => number = () => 0,
    recordings?: () => RecordingStats,
    live?: () => RecordingStats & { proxied: number },
    queues?: QueueWatch,
    operators: OperatorSources = {},
  ) {
    const registers = [this.registry];
    // 1 ms resolution: the default 10 ms would floor every event-loop delay reading at 10 ms.
    collectDefaultMetrics({ register: this.registry, prefix: 'hoinghi_process_', eventLoopMonitoringPrecision: 1 });
    this.joins = new Counter({ name: 'hoinghi_joins_total', help: 'Meeting joins accepted', registers });
    this.workerDeaths = new Counter({ name: 'hoinghi_worker_deaths_total', help: 'mediasoup workers that died', registers });
    this.rejectedEvents = new Counter({
      name: 'hoinghi_rejected_events_total',
      help: 'Client events answered with an error, by code',
      labelNames: ['code'],
      registers,
    });
    this.refusedHandshakes = new Counter({
      name: 'hoinghi_refused_handshakes_total',
      help: 'WebSocket handshakes refused before authentication: foreign origin, or an address over its socket caps',
      labelNames: ['reason'],
      registers,
    });
    this.admissions = new Counter({
      name: 'hoinghi_admissions_total',
      help: 'Teacher joins admitted, or first queued, by lane (rejoin | new)',
      labelNames: ['lane', 'outcome'],
      registers,
    });
    this.whipSessions = new Counter({
      name: 'hoinghi_whip_sessions_total',
      help: 'Studio encoders that started publishing over WHIP (kind=ingest), and WHEP playbacks started (kind=playback)',
      labelNames: ['kind'],
      registers,
    });
    const whipLive = (): { ingest: number; playback: number } => this.whipLive();
    new Gauge({
      name: 'hoinghi_whip_live',
      help: 'WHIP ingest (kind=ingest) and WHEP playback (kind=playback) resources live on this node',
      labelNames: ['kind'],
      registers,
      collect() {
        const live = whipLive();
        this.set({ kind: 'ingest' }, live.ingest);
        this.set({ kind: 'playback' }, live.playback);
      },
    });
    // One SFU snapshot serves every gauge of a scrape (stats() walks every consumer).
    let cached: { at: number; stats: SfuStats } | null = null;
    const stats = (): SfuStats => {
      if (!cached || Date.now() - cached.at > 50) cached = { at: Date.now(), stats: sfu.stats() };
      return cached.stats;
    };
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({ name, help, registers, collect() { this.set(read()); } });
    };
    gauge('hoinghi_workers_alive', 'mediasoup workers alive', () => stats().workersAlive);
    gauge('hoinghi_routers', 'mediasoup routers', () => stats().routers);
    gauge('hoinghi_transports', 'WebRTC transports', () => stats().transports);
    gauge('hoinghi_producers', 'producers', () => stats().producers);
    gauge('hoinghi_consumers', 'consumers', () => stats().consumers);
    gauge('hoinghi_connected_sockets', 'connected socket.io clients', connectedSockets);
    gauge('hoinghi_unauthenticated_sockets', 'connections that have not authenticated yet', unauthenticatedSockets);
    gauge('hoinghi_join_waiting', 'sockets of this node waiting in the join queue', waitingJoins);
    gauge('hoinghi_pipes', 'producer pipes between routers', () => stats().pipes);
    gauge('hoinghi_placement_refusals_total', 'viewers refused because every worker was full', () => stats().placementRefusals);
    gauge('hoinghi_rehomes_total', 'participants re-homed after their edge worker died', rehomes);
    new Gauge({
      name: 'hoinghi_worker_cpu_seconds_total',
      help: 'CPU seconds used by each mediasoup worker process',
      labelNames: ['node', 'worker'],
      registers,
      async collect() {
        this.reset();
        for (const w of await sfu.workerCpu()) this.set({ node: w.node ?? 'local', worker: String(w.index) }, w.cpuSeconds);
      },
    });
    new Gauge({
      name: 'hoinghi_worker_udp_receive_drops_total',
      help: 'datagrams the kernel dropped at each worker\'s full UDP receive buffers (host media and viewers\' RTCP alike)',
      labelNames: ['node', 'worker'],
      registers,
      async collect() {
        this.reset();
        for (const w of await sfu.workerCpu()) this.set({ node: w.node ?? 'local', worker: String(w.index) }, w.udpReceiveDrops ?? 0);
      },
    });
    new Gauge({
      name: 'hoinghi_worker_consumers',
      help: 'consumers per mediasoup worker',
      labelNames: ['node', 'worker'],
      registers,
      collect() {
        this.reset();
        for (const w of stats().workers) this.set({ node: w.node ?? 'local', worker: String(w.index) }, w.consumers);
      },
    });
    // Per SFU node ("local" for in-process workers), summed from the per-worker figures.
    const perNode = (name: string, help: string, field: 'consumers' | 'viewers'): void => {
      new Gauge({
        name,
        help,
        labelNames: ['node'],
        registers,
        collect() {
          this.reset();
          const byNode = new Map<string, number>();
          for (const w of stats().workers) byNode.set(w.node ?? 'local', (byNode.get(w.node ?? 'local') ?? 0) + w[field]);
          for (const [node, n] of byNode) this.set({ node }, n);
        },
      });
    };
    perNode('hoinghi_node_consumers', 'consumers per SFU node', 'consumers');
    perNode('hoinghi_node_viewers', 'viewers (receiving transports) per SFU node', 'viewers');
    if (recordings) {
      gauge('hoinghi_recordings_active', 'sessions being recorded on this node', () => recordings().active);
      gauge('hoinghi_recording_ffmpeg_restarts_total', 'ffmpeg processes restarted after dying mid-recording', () => recordings().ffmpegRestarts);
      gauge('hoinghi_hls_segments_total', 'HLS segments written', () => recordings().segmentsWritten);
      gauge('hoinghi_hls_segment_age_seconds', 'seconds since the stalest live recording added a segment (the live lag; ~segment length when healthy)', () => recordings().maxSegmentAgeS);
    }
    if (live) {
      gauge('hoinghi_live_hls_active', 'live streams (the delayed stream, recorded or not) this node makes', () => live().active);
      gauge('hoinghi_live_hls_ffmpeg_restarts_total', 'live-stream ffmpeg processes restarted after dying', () => live().ffmpegRestarts);
      gauge('hoinghi_live_hls_segments_total', 'live-stream HLS segments written', () => live().segmentsWritten);
      gauge('hoinghi_live_hls_segment_age_seconds', "seconds since the stalest live stream added a segment (its lag; ~segment length when healthy)", () => live().maxSegmentAgeS);
      gauge('hoinghi_hls_proxied_total', 'HLS requests passed to the node that has the files (cluster)', () => live().proxied);
    }
    if (queues) {
      const byQueue = (name: string, help: string, counts: Map<string, number>): void => {
        new Counter({
          name,
          help,
          labelNames: ['queue'],
          registers,
          collect() {
            this.reset();
            for (const [queue, n] of counts) this.inc({ queue }, n);
          },
        });
      };
      byQueue('hoinghi_queue_stalls_total', 'serial-queue tasks left behind by the watchdog after running past HOINGHI_QUEUE_STALL_MS (the meeting then reloads from its store), by queue', queues.stalls);
      byQueue('hoinghi_queue_late_ends_total', 'serial-queue tasks left behind that ended at last (the meeting then reloads from its store once more), by queue', queues.lateEnds);
      byQueue('hoinghi_queue_self_waits_total', 'serial-queue tasks refused for waiting on their own queue (a bug: the wait would never end), by queue', queues.selfWaits);
    }
    // Per SFU node, how many sending consumers have each score (0–10); see WorkerStats.consumerScores.
    new Gauge({
      name: 'hoinghi_node_consumer_scores',
      help: "sending consumers per SFU node by mediasoup's score of their stream (0-10; it falls with the loss their viewers report)",
      labelNames: ['node', 'score'],
      registers,
      collect() {
        this.reset();
        const byNode = new Map<string, number[]>();
        for (const w of stats().workers) {
          const node = w.node ?? 'local';
          const sum = byNode.get(node) ?? new Array<number>(11).fill(0);
          w.consumerScores?.forEach((n, score) => (sum[score] = (sum[score] ?? 0) + n));
          byNode.set(node, sum);
        }
        for (const [node, sum] of byNode) sum.forEach((n, score) => this.set({ node, score: String(score) }, n));
      },
    });
    // Whole-host kernel counters (this signaling process's machine: its in-process workers and its ffmpeg recorders).
    gauge('hoinghi_host_udp_receive_buffer_errors_total', "datagrams the kernel of this node's host dropped at any full UDP receive buffer (/proc/net/snmp RcvbufErrors, IPv4 + IPv6)", () => hostUdpErrors().receiveBufferErrors);
    gauge('hoinghi_host_udp_in_errors_total', "datagrams the kernel of this node's host could not deliver to any UDP socket (/proc/net/snmp InErrors, IPv4 + IPv6)", () => hostUdpErrors().inErrors);
    if (operators.redis) {
      const redis = operators.redis;
      gauge('hoinghi_redis_up', "1 when every Redis connection of this node is up and ready, else 0", () => redis.up);
      gauge('hoinghi_redis_connection_losses_total', 'Redis connections of this node that were up and dropped (a Redis restart, a failover, a network cut)', () => redis.losses);
    }
    const participants = operators.participants;
    if (participants) {
      // Bounded labels: role is one of three, province one of the known codes, else "none" (national
      // roles) or "other" (a code the province table does not know): never a free-form value.
      new Gauge({
        name: 'hoinghi_participants',
        help: 'participants joined on this node, by role and province (teachers are the viewers)',
        labelNames: ['role', 'province', 'province_name'],
        registers,
        collect() {
          this.reset();
          const counts = new Map<string, { role: string; province: string; n: number }>();
          for (const p of participants()) {
            const role = p.role === 'host' || p.role === 'province_host' || p.role === 'teacher' ? p.role : 'other';
            const province = p.province === null ? 'none' : PROVINCE_NAMES.has(p.province) ? p.province : 'other';
            const key = `${role}/${province}`;
            const c = counts.get(key) ?? { role, province, n: 0 };
            c.n += 1;
            counts.set(key, c);
          }
          for (const { role, province, n } of counts.values()) {
            this.set({ role, province, province_name: PROVINCE_NAMES.get(province) ?? province }, n);
          }
        },
      });
    }
    sfu.on('workerDied', () => this.workerDeaths.inc());
    // Cluster mode: nodes alive and lost (ClusterSfu); a single node reports 1 and 0.
    const cluster = (): { nodes: string[]; nodeDeaths: number } | null =>
      'clusterStats' in sfu ? (sfu as unknown as { clusterStats(): { nodes: string[]; nodeDeaths: number } }).clusterStats() : null;
    gauge('hoinghi_sfu_nodes', 'SFU nodes alive', () => cluster()?.nodes.length ?? 1);
    gauge('hoinghi_sfu_node_deaths_total', 'SFU nodes lost', () => cluster()?.nodeDeaths ?? 0);
  }
}
