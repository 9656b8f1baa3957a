/**
 * The one typed configuration of a hoinghi node: defaults → schema → environment overrides,
 * validated once at start-up. Every variable is `HOINGHI_*`; an unknown `HOINGHI_*` name or an
 * invalid value stops the process with a message naming it.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConfigError, parseEnv, pathSetting, programSetting } from '../common/env';
import { loadQaOptions, qaEnvShape, type QaOptions } from './qa/qaConfig';
import type { SfuOptions } from '../sfu/types';
import { sfuEnvProblem, sfuEnvShape, sfuOptionsFrom } from '../sfu/config';
import type { MeetingOptions } from './meeting/Meeting';
import type { AdmissionSettings } from './admission/createAdmission';
import type { TokenKeySource, TokenSettings } from './auth/tokens';
import { isCidr } from './edge/clientAddress';
import type { DbSettings } from './db/openDb';
import type { RecordingSettings } from './recording/RecordingManager';
import type { LiveHlsSettings } from './recording/LiveStreams';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const port = z.coerce.number().int().min(1).max(65535);
const ip = z.union([z.ipv4(), z.ipv6()]);

/** Environment variable → schema (with its default). The JSDoc is the operator's reference. */
const envSchema = z.object({
  ...qaEnvShape,
  /** HTTP and socket.io listen address. Default 127.0.0.1. */
  HOINGHI_HOST: z.string().min(1).default('127.0.0.1'),
  /** HTTP and socket.io port. Default 3000 (0 = any free port). */
  HOINGHI_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  ...sfuEnvShape,
  /** Token algorithm: ES256 or RS256 (with a public key or JWKS file), or HS256 (with a secret). */
  HOINGHI_JWT_ALG: z.enum(['HS256', 'ES256', 'RS256']).optional(),
  /** PEM public key file for ES256/RS256 tokens. */
  HOINGHI_JWT_PUBLIC_KEY_FILE: pathSetting().optional(),
  /** JWKS file (keys chosen by the token's kid; ES256/RS256). */
  HOINGHI_JWT_JWKS_FILE: pathSetting().optional(),
  /** HS256 key for tokens. Default with demo sign-in: random per start (tokens die with the process). */
  HOINGHI_JWT_SECRET: z.string().min(32, 'HOINGHI_JWT_SECRET must be at least 32 characters').optional(),
  HOINGHI_JWT_ISSUER: z.string().min(1).default('hoinghi'),
  HOINGHI_JWT_AUDIENCE: z.string().min(1).default('hoinghi'),
  /** Accepted clock skew for exp/nbf, seconds. Default 30. */
  HOINGHI_JWT_CLOCK_SKEW_S: z.coerce.number().int().min(0).max(300).default(30),
  /** Lifetime of demo tokens, seconds. Default 12 h. */
  HOINGHI_DEMO_TOKEN_TTL_S: z.coerce.number().int().min(60).max(7 * 24 * 3600).default(12 * 3600),
  /** Enables the demo sign-in (demo accounts, self-issued tokens). Default false. */
  HOINGHI_DEMO_SIGNIN: bool.default(false),
  /** The meeting the demo accounts may join. */
  HOINGHI_DEMO_MEETING: z.string().regex(/^[a-z0-9-]{1,64}$/).default('hoi-nghi-toan-quoc'),
  /**
   * Admission: teacher joins admitted per second, and the burst. Per node on a single node;
   * for the whole cluster when HOINGHI_REDIS_URL is set (give every node the same values).
   * Refused joins wait in a first-come queue. Defaults 200 and 400.
   */
  HOINGHI_JOIN_RATE: z.coerce.number().positive().max(100_000).default(200),
  HOINGHI_JOIN_BURST: z.coerce.number().int().positive().max(1_000_000).default(400),
  /**
   * While joins wait, unused admissions are kept up to this long of the rate (beyond the burst),
   * since waiting clients poll about once a second. 0: never beyond the burst (strict arrival order
   * with a burst of 1, at the cost of rate). Default 2000.
   */
  HOINGHI_JOIN_HOLD_MS: z.coerce.number().int().min(0).max(60_000).default(2_000),
  /** Waiting joins at most (both lanes); beyond, joins get `unavailable`. Default 2000000. */
  HOINGHI_JOIN_QUEUE_MAX: z.coerce.number().int().positive().max(100_000_000).default(2_000_000),
  /** A waiting join that has not polled for this long leaves the queue, ms. Default 30000. */
  HOINGHI_JOIN_TICKET_TTL_MS: z.coerce.number().int().min(25_000).max(600_000).default(30_000),
  /** How long after a join coming back counts as a rejoin (ahead of new joins), s. Default 900. */
  HOINGHI_RESUME_TICKET_TTL_S: z.coerce.number().int().min(10).max(86_400).default(900),
  /**
   * Key material of resume tickets (shared by all signaling nodes). Default: with Redis, a random
   * key the first node stores there; on one node, derived from HOINGHI_JWT_SECRET (or random).
   */
  HOINGHI_ADMISSION_SECRET: z.string().min(32, 'HOINGHI_ADMISSION_SECRET must be at least 32 characters').optional(),
  /**
   * A task of a serial queue (a meeting's event queue, a socket's events, a batch writer) still
   * running after this long is logged, counted (hoinghi_queue_stalls_total) and left behind, and
   * the meeting reloads its state from the store, ms. Default 10000.
   */
  HOINGHI_QUEUE_STALL_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** How often hosts receive attendance numbers, ms. Default 1000. */
  HOINGHI_STATS_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
  /** Concurrent teacher speakers (invited or speaking). Default 2. */
  HOINGHI_MAX_SPEAKERS: z.coerce.number().int().min(0).max(50).default(2),
  /** Hosts get hand-queue summaries at most this often, ms. Default 500. */
  HOINGHI_HAND_SUMMARY_MS: z.coerce.number().int().min(50).max(10_000).default(500),
  /** A disconnected participant's hand and speaking grant survive this long, ms. Default 60000. */
  HOINGHI_DEPARTURE_GRACE_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  /** Browser origins allowed to call this node cross-origin (comma-separated). Default: none. */
  HOINGHI_CORS_ORIGINS: z.string().optional(),
  /**
   * Serve /metrics on this port (on HOINGHI_METRICS_HOST) instead of the public port. Default:
   * unset, which means the public port on a single node, but in cluster mode (HOINGHI_SFU=cluster
   * or HOINGHI_REDIS_URL set) a listener of its own on a free port (0), printed at start-up: a
   * cluster sits behind a public load balancer, and /metrics stays off it.
   */
  HOINGHI_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  HOINGHI_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** Events per second per socket (sustained), and the burst. Defaults 50 and 100. */
  HOINGHI_SOCKET_EVENTS_PER_S: z.coerce.number().positive().max(100_000).default(50),
  HOINGHI_SOCKET_EVENT_BURST: z.coerce.number().int().positive().max(1_000_000).default(100),
  /** Participants per meeting on this node. Default 100000. */
  HOINGHI_MAX_PARTICIPANTS: z.coerce.number().int().positive().max(10_000_000).default(100_000),
  /** Consumers per participant. Default 24. */
  HOINGHI_MAX_CONSUMERS_PER_PEER: z.coerce.number().int().min(1).max(1000).default(24),
  /**
   * Viewers (cluster-wide) from which a meeting is "large" and gets the mass-audience media profile:
   * receive-only viewers who start consuming get the middle simulcast layer by default and no
   * transport-cc (HOINGHI_MASS_AUDIENCE_BWE), and hosts' microphones Opus 60 ms + DTX (README,
   * "Mass-audience profile"). Default 300; 0 = never.
   */
  HOINGHI_MASS_AUDIENCE_VIEWERS: z.coerce.number().int().min(0).max(100_000_000).default(300),
  /**
   * Bandwidth estimation for mass-audience viewers: `none` (default: no estimator at all, ×0.61 the
   * CPU per viewer of REMB; the viewer's page lowers its own layers on loss and raises them when
   * the link is quiet, `setLayerCeiling`, README "Mass-audience profile") or `remb` (the SFU follows
   * each viewer's REMB, switching layers down on a weak link by itself).
   */
  HOINGHI_MASS_AUDIENCE_BWE: z.enum(['remb', 'none']).default('none'),
  /**
   * Sign-in requests per minute per account from one IP address. Default 30. Keyed on the account
   * and the IP together, so a school whose teachers share one public IP is not locked out.
   */
  HOINGHI_SIGNIN_PER_MIN: z.coerce.number().int().positive().max(100_000).default(30),
  /**
   * Sign-in requests per minute from one IP address, whatever the account: the ceiling against
   * brute force and account enumeration. Default 600 (a large school signing in at once).
   */
  HOINGHI_SIGNIN_PER_IP_PER_MIN: z.coerce.number().int().positive().max(1_000_000).default(600),
  /** Directory of the built web client (relative: to the working directory). Default: the checkout's web/dist. */
  HOINGHI_WEB_DIST: pathSetting().optional(),
  /** This signaling node's id in the meeting store (cluster). Default: host name, pid and a random suffix. */
  HOINGHI_NODE_ID: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).optional(),
  /** Redis URL for meeting state, socket.io's adapter and SFU node discovery (unset: single node, state in memory). */
  HOINGHI_REDIS_URL: z.string().url().optional(),
  /** `local`: mediasoup workers in this process (default). `cluster`: control the SFU nodes found in Redis. */
  HOINGHI_SFU: z.enum(['local', 'cluster']).default('local'),
  /** Shared secret of the SFU nodes' control endpoints (cluster); proved by HMAC, never sent. */
  HOINGHI_SFU_SECRET: z.string().min(32, 'HOINGHI_SFU_SECRET must be at least 32 characters').optional(),
  /** PostgreSQL server for organisation, meetings and attendance (postgres://…). Wins over HOINGHI_DATA_DIR. */
  HOINGHI_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'HOINGHI_DATABASE_URL must be a postgres:// URL').optional(),
  /** Folder of the embedded database (PGlite), or `memory://`. Unset with no URL: no database (meetings from token lists). scripts/start.sh sets `data`. */
  HOINGHI_DATA_DIR: pathSetting('memory://').optional(),
  /** Connections in the PostgreSQL pool. Default 10. */
  HOINGHI_DB_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(200).default(10),
  /** Size of the generated demo organisation loaded by the demo start. Defaults 340 schools, 3400 teachers. */
  HOINGHI_DEMO_SCHOOLS: z.coerce.number().int().min(34).max(100_000).default(340),
  HOINGHI_DEMO_TEACHERS: z.coerce.number().int().min(0).max(2_000_000).default(3_400),
  /** Attendance rows are written every this many ms, or sooner when HOINGHI_ATTENDANCE_BATCH_ROWS are waiting. Defaults 1000 and 2000. */
  HOINGHI_ATTENDANCE_FLUSH_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  HOINGHI_ATTENDANCE_BATCH_ROWS: z.coerce.number().int().min(1).max(100_000).default(2000),
  /** Days that ended meetings and their attendance are kept; then really deleted. 0 = forever. Default 365. */
  HOINGHI_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(365),
  /** Nodes one node feeds directly before the tree grows a relay level (cluster). Default 8. */
  HOINGHI_SFU_FANOUT: z.coerce.number().int().min(1).max(1000).default(8),
  /**
   * Proxies whose X-Forwarded-For is believed (the load balancer), as a comma-separated list of
   * addresses or CIDR blocks (`127.0.0.1,10.0.0.0/8`). Default: none, so the socket's peer address
   * is the client. Used by express (`trust proxy`) and by the per-IP limits of the socket layer.
   */
  HOINGHI_TRUSTED_PROXIES: z
    .string()
    .default('')
    .refine((v) => v.split(',').map((c) => c.trim()).filter(Boolean).every(isCidr), 'a comma-separated list of IP addresses or CIDR blocks'),
  /** A socket that has not authenticated (socket.io CONNECT with a valid token) within this is closed, ms. Default 5000. */
  HOINGHI_AUTH_TIMEOUT_MS: z.coerce.number().int().min(200).max(60_000).default(5_000),
  /**
   * Sockets not yet authenticated, per client IP, at one time. Default 100: a school or a mobile
   * carrier's NAT puts many teachers behind one address, but each stays unauthenticated only for a
   * round trip; a refused browser retries with back-off.
   */
  HOINGHI_MAX_PENDING_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(100),
  /** Sockets (authenticated or not) per client IP. Default 5000 (carrier-grade NAT). */
  HOINGHI_MAX_SOCKETS_PER_IP: z.coerce.number().int().min(1).max(10_000_000).default(5_000),
  /**
   * Refuse WebSocket handshakes that carry no Origin header. Default false: every browser sends
   * Origin on a WebSocket handshake, so a missing one means a non-browser client, which cannot
   * carry a victim's session (cross-site WebSocket hijacking needs a browser) and must present a
   * token anyway. A foreign Origin is always refused.
   */
  HOINGHI_REQUIRE_ORIGIN: bool.default(false),
  /** On SIGTERM, connected clients are asked to move to another node over this window, ms. Default 30000. */
  HOINGHI_DRAIN_WINDOW_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /**
   * On SIGTERM the process exits when its last client has left, or at this deadline, ms (at least
   * the window). Default 45000: set the orchestrator's grace period above it.
   */
  HOINGHI_DRAIN_DEADLINE_MS: z.coerce.number().int().min(0).max(3_600_000).default(45_000),
  /** Folder of the recordings (HLS playlists and segments, one folder per meeting). Default `recordings` in the working directory; a relative folder is made absolute at start-up. */
  HOINGHI_RECORDINGS_DIR: pathSetting().prefault('recordings'),
  /** Delete recordings this many days after they ended (0: keep forever). Default 30. */
  HOINGHI_RECORDING_RETENTION_DAYS: z.coerce.number().min(0).max(36_500).default(30),
  /** Refuse to start a recording with less free disk than this, MiB; every recording stops cleanly under a quarter of it. Default 2048. */
  HOINGHI_RECORDING_MIN_FREE_MB: z.coerce.number().int().min(0).max(100_000_000).default(2048),
  /** Address ffmpeg receives the SFU's plain RTP on (an SFU node must reach it in a cluster). Default 127.0.0.1. */
  HOINGHI_RECORDING_RTP_IP: ip.default('127.0.0.1'),
  /** HLS segment length, seconds (the live delay is ~3 segments). Default 2. */
  HOINGHI_HLS_SEGMENT_S: z.coerce.number().min(0.5).max(10).default(2),
  /** The ffmpeg binary: a name looked up on PATH, or a path. Default `ffmpeg` (Debian's, from PATH). */
  HOINGHI_FFMPEG: programSetting().prefault('ffmpeg'),
  /**
   * Live HLS (the delayed stream for teachers WebRTC cannot reach), recorded or not:
   * `on_demand` (default) runs it from the first teacher who asks until nobody has watched for
   * HOINGHI_LIVE_HLS_IDLE_S; `always` whenever the main session's host is on air; `off` never.
   */
  HOINGHI_LIVE_HLS: z.enum(['on_demand', 'always', 'off']).default('on_demand'),
  /** An on-demand live stream stops after this many seconds without a request. Default 60. */
  HOINGHI_LIVE_HLS_IDLE_S: z.coerce.number().min(5).max(86_400).default(60),
  /** Segments a live playlist lists (older ones are deleted). Default 6 (12 s at 2 s segments). */
  HOINGHI_LIVE_HLS_WINDOW: z.coerce.number().int().min(3).max(100).default(6),
  /**
   * How other signaling nodes reach this node's HTTP listener (a cluster passes HLS requests to
   * the node that has the files), e.g. `http://10.0.0.12:3000`. Default: the listening address.
   */
  HOINGHI_INTERNAL_URL: z.string().url().optional(),
});

export interface Config {
  http: { host: string; port: number };
  sfu: SfuOptions;
  /** Set when signaling controls a cluster of SFU nodes instead of in-process workers. */
  cluster: { redisUrl: string; secret: string; fanout: number } | undefined;
  jwt: TokenSettings & { secretWasGenerated: boolean };
  corsOrigins: string[];
  /** `port` undefined: /metrics on the public port. */
  metrics: { port: number | undefined; host: string };
  /** The socket layer's defences against hostile clients, and who the client is. */
  edge: {
    trustedProxies: string[];
    authTimeoutMs: number;
    maxPendingPerIp: number;
    maxSocketsPerIp: number;
    requireOrigin: boolean;
  };
  drain: { windowMs: number; deadlineMs: number };
  limits: { socketEventsPerS: number; socketEventBurst: number; maxParticipants: number; maxConsumersPerPeer: number; signInPerMin: number; signInPerIpPerMin: number };
  demo: { enabled: boolean; meetingId: string; tokenTtlS: number };
  admission: AdmissionSettings;
  meeting: MeetingOptions;
  /** Questions, polls and reactions (qa/qaConfig.ts). */
  qa: QaOptions;
  /** A serial queue's task still running after this long is left behind (common/SerialQueue.ts), ms. */
  queueStallMs: number;
  webDist: string | undefined;
  redisUrl: string | undefined;
  nodeId: string | undefined;
  /** The database (unset: none; joins are then decided by the token's meeting list). */
  database: DbSettings | undefined;
  demoData: { schools: number; teachers: number };
  attendance: { flushMs: number; batchRows: number };
  retentionDays: number;
  recording: RecordingSettings;
  liveHls: LiveHlsSettings & { window: number };
  /** How other signaling nodes reach this one (unset: the listening address). */
  internalUrl: string | undefined;
}

export { ConfigError };

type Env = z.infer<typeof envSchema>;

/** Which keys verify tokens: exactly one source, with its algorithm pinned. */
function tokenKeys(e: Env): TokenKeySource {
  const sources = [e.HOINGHI_JWT_JWKS_FILE, e.HOINGHI_JWT_PUBLIC_KEY_FILE, e.HOINGHI_JWT_SECRET].filter(Boolean).length;
  if (sources > 1) throw new ConfigError('set only one of HOINGHI_JWT_JWKS_FILE, HOINGHI_JWT_PUBLIC_KEY_FILE, HOINGHI_JWT_SECRET');
  if (e.HOINGHI_JWT_JWKS_FILE) {
    if (e.HOINGHI_JWT_ALG === 'HS256') throw new ConfigError('HOINGHI_JWT_JWKS_FILE holds ES256/RS256 keys, not HS256');
    return { kind: 'jwksFile', path: e.HOINGHI_JWT_JWKS_FILE };
  }
  if (e.HOINGHI_JWT_PUBLIC_KEY_FILE) {
    if (e.HOINGHI_JWT_ALG !== 'ES256' && e.HOINGHI_JWT_ALG !== 'RS256') {
      throw new ConfigError('HOINGHI_JWT_PUBLIC_KEY_FILE needs HOINGHI_JWT_ALG=ES256 or RS256');
    }
    return { kind: 'publicKeyFile', path: e.HOINGHI_JWT_PUBLIC_KEY_FILE, algorithm: e.HOINGHI_JWT_ALG };
  }
  if (e.HOINGHI_JWT_ALG && e.HOINGHI_JWT_ALG !== 'HS256') {
    throw new ConfigError(`HOINGHI_JWT_ALG=${e.HOINGHI_JWT_ALG} needs HOINGHI_JWT_PUBLIC_KEY_FILE or HOINGHI_JWT_JWKS_FILE`);
  }
  if (e.HOINGHI_JWT_SECRET) return { kind: 'secret', secret: e.HOINGHI_JWT_SECRET };
  if (e.HOINGHI_DEMO_SIGNIN) return { kind: 'secret', secret: randomBytes(32).toString('base64url') };
  throw new ConfigError('token keys are required: HOINGHI_JWT_JWKS_FILE, HOINGHI_JWT_PUBLIC_KEY_FILE or HOINGHI_JWT_SECRET (or HOINGHI_DEMO_SIGNIN=true)');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv(envSchema, env);
  const sfuProblem = sfuEnvProblem(e);
  if (sfuProblem) throw new ConfigError(sfuProblem);
  if (e.HOINGHI_SFU === 'cluster' && (!e.HOINGHI_REDIS_URL || !e.HOINGHI_SFU_SECRET)) {
    throw new ConfigError('HOINGHI_SFU=cluster needs HOINGHI_REDIS_URL and HOINGHI_SFU_SECRET');
  }
  const keys = tokenKeys(e);
  if (e.HOINGHI_DRAIN_DEADLINE_MS < e.HOINGHI_DRAIN_WINDOW_MS) {
    throw new ConfigError('HOINGHI_DRAIN_DEADLINE_MS must be at least HOINGHI_DRAIN_WINDOW_MS');
  }
  const clusterMode = e.HOINGHI_SFU === 'cluster' || e.HOINGHI_REDIS_URL !== undefined;
  if (e.HOINGHI_DEMO_SIGNIN && keys.kind !== 'secret') {
    throw new ConfigError('demo sign-in issues HS256 tokens: it cannot be combined with ES256/RS256 keys');
  }
  return {
    http: { host: e.HOINGHI_HOST, port: e.HOINGHI_PORT },
    sfu: sfuOptionsFrom(e),
    cluster:
      e.HOINGHI_SFU === 'cluster'
        ? { redisUrl: e.HOINGHI_REDIS_URL!, secret: e.HOINGHI_SFU_SECRET!, fanout: e.HOINGHI_SFU_FANOUT }
        : undefined,
    jwt: {
      keys,
      secretWasGenerated: keys.kind === 'secret' && !e.HOINGHI_JWT_SECRET,
      issuer: e.HOINGHI_JWT_ISSUER,
      audience: e.HOINGHI_JWT_AUDIENCE,
      clockSkewS: e.HOINGHI_JWT_CLOCK_SKEW_S,
    },
    corsOrigins: (e.HOINGHI_CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean),
    metrics: { port: e.HOINGHI_METRICS_PORT ?? (clusterMode ? 0 : undefined), host: e.HOINGHI_METRICS_HOST },
    edge: {
      trustedProxies: e.HOINGHI_TRUSTED_PROXIES.split(',').map((c) => c.trim()).filter(Boolean),
      authTimeoutMs: e.HOINGHI_AUTH_TIMEOUT_MS,
      maxPendingPerIp: e.HOINGHI_MAX_PENDING_PER_IP,
      maxSocketsPerIp: e.HOINGHI_MAX_SOCKETS_PER_IP,
      requireOrigin: e.HOINGHI_REQUIRE_ORIGIN,
    },
    drain: { windowMs: e.HOINGHI_DRAIN_WINDOW_MS, deadlineMs: e.HOINGHI_DRAIN_DEADLINE_MS },
    limits: {
      socketEventsPerS: e.HOINGHI_SOCKET_EVENTS_PER_S,
      socketEventBurst: e.HOINGHI_SOCKET_EVENT_BURST,
      maxParticipants: e.HOINGHI_MAX_PARTICIPANTS,
      maxConsumersPerPeer: e.HOINGHI_MAX_CONSUMERS_PER_PEER,
      signInPerMin: e.HOINGHI_SIGNIN_PER_MIN,
      signInPerIpPerMin: e.HOINGHI_SIGNIN_PER_IP_PER_MIN,
    },
    demo: { enabled: e.HOINGHI_DEMO_SIGNIN, meetingId: e.HOINGHI_DEMO_MEETING, tokenTtlS: e.HOINGHI_DEMO_TOKEN_TTL_S },
    admission: {
      joinsPerSecond: e.HOINGHI_JOIN_RATE,
      burst: e.HOINGHI_JOIN_BURST,
      holdMs: e.HOINGHI_JOIN_HOLD_MS,
      maxQueue: e.HOINGHI_JOIN_QUEUE_MAX,
      ticketTtlMs: e.HOINGHI_JOIN_TICKET_TTL_MS,
      resumeTicketTtlMs: e.HOINGHI_RESUME_TICKET_TTL_S * 1000,
      secret: e.HOINGHI_ADMISSION_SECRET,
      tokenSecret: keys.kind === 'secret' ? keys.secret : undefined,
    },
    meeting: {
      statsIntervalMs: e.HOINGHI_STATS_INTERVAL_MS,
      handSummaryIntervalMs: e.HOINGHI_HAND_SUMMARY_MS,
      handSummaryHead: 50,
      maxSpeakers: e.HOINGHI_MAX_SPEAKERS,
      departureGraceMs: e.HOINGHI_DEPARTURE_GRACE_MS,
      handTogglesPerSecond: 0.5,
      handToggleBurst: 4,
      maxConsumersPerPeer: e.HOINGHI_MAX_CONSUMERS_PER_PEER,
      rejoinsPerSecond: e.HOINGHI_JOIN_RATE,
      massAudienceViewers: e.HOINGHI_MASS_AUDIENCE_VIEWERS,
      massAudienceBwe: e.HOINGHI_MASS_AUDIENCE_BWE,
    },
    qa: loadQaOptions(env),
    queueStallMs: e.HOINGHI_QUEUE_STALL_MS,
    webDist: e.HOINGHI_WEB_DIST,
    redisUrl: e.HOINGHI_REDIS_URL,
    nodeId: e.HOINGHI_NODE_ID,
    database: e.HOINGHI_DATABASE_URL
      ? { kind: 'postgres', url: e.HOINGHI_DATABASE_URL, maxConnections: e.HOINGHI_DB_MAX_CONNECTIONS }
      : e.HOINGHI_DATA_DIR
        ? { kind: 'pglite', dataDir: e.HOINGHI_DATA_DIR }
        : undefined,
    demoData: { schools: e.HOINGHI_DEMO_SCHOOLS, teachers: e.HOINGHI_DEMO_TEACHERS },
    attendance: { flushMs: e.HOINGHI_ATTENDANCE_FLUSH_MS, batchRows: e.HOINGHI_ATTENDANCE_BATCH_ROWS },
    retentionDays: e.HOINGHI_RETENTION_DAYS,
    recording: {
      dir: e.HOINGHI_RECORDINGS_DIR,
      rtpIp: e.HOINGHI_RECORDING_RTP_IP,
      minFreeBytes: e.HOINGHI_RECORDING_MIN_FREE_MB * 2 ** 20,
      retentionDays: e.HOINGHI_RECORDING_RETENTION_DAYS,
      diskCheckIntervalMs: 5_000,
      recorder: { ffmpegPath: e.HOINGHI_FFMPEG, segmentSeconds: e.HOINGHI_HLS_SEGMENT_S, restartBackoffMs: { min: 500, max: 5_000 } },
    },
    liveHls: {
      mode: e.HOINGHI_LIVE_HLS,
      idleMs: e.HOINGHI_LIVE_HLS_IDLE_S * 1000,
      leaseMs: 15_000,
      keepAfterStopMs: 60_000,
      window: e.HOINGHI_LIVE_HLS_WINDOW,
    },
    internalUrl: e.HOINGHI_INTERNAL_URL?.replace(/\/+$/, ''),
  };
}
