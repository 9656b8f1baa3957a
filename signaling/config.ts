/**
 * The one typed configuration of a signaling process: defaults → schema → environment overrides,
 * validated once at start-up, then shaped into the `Config` the server is built from. Every
 * variable is `HOINGHI_*`; an unknown `HOINGHI_*` name or an invalid value stops the process with a
 * message naming it. The settings themselves (type, default, doc) are declared in signaling/settings/
 * and the fragments it composes; docs/configuration.md is generated from them.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConfigError, parseEnv } from '../common/env';
import { optionalClusterSettings, redisTargetFrom, type RedisTarget } from '../common/clusterSettings';
import { loadQaOptions, qaEnvShape, type QaOptions } from './qa/qaConfig';
import type { SfuOptions } from '../sfu/types';
import { sfuEnvProblem, sfuEnvShape, sfuOptionsFrom } from '../sfu/config';
import type { MeetingOptions } from './meeting/Meeting';
import type { AdmissionSettings } from './admission/createAdmission';
import type { TokenKeySource, TokenSettings } from './auth/tokens';
import type { DbSettings } from './db/openDb';
import type { RecordingSettings } from './recording/recordingTypes';
import type { LiveHlsSettings } from './recording/LiveStreams';
import type { HlsLinkSettings } from './recording/hlsLinks';
import { serverSettings } from './settings/server';
import { authSettings } from './settings/auth';
import { oidcSettings } from './settings/oidc';
import type { OidcSettings } from './auth/oidcSettings';
import { edgeSettings } from './settings/edge';
import { admissionSettings } from './settings/admission';
import { meetingSettings } from './settings/meeting';
import { databaseSettings } from './settings/database';
import type { CreationQuota } from './schedule/meetingQuota';
import { recordingSettings } from './settings/recording';
import { clipSettings } from './settings/clips';
import type { ClipSettings } from './clips/clipTypes';
import { signalingClusterSettings } from './settings/cluster';
import { turnSettings } from './settings/turn';
import type { TurnSettings } from './edge/turnCredentials';

/**
 * Everything the signaling process reads (signaling/main.ts), composed from one fragment per
 * subject; each setting's type, default and doc are declared in its fragment.
 */
export const signalingSettingsSchema = z.object({
  ...serverSettings,
  ...authSettings,
  ...oidcSettings,
  ...edgeSettings,
  ...admissionSettings,
  ...meetingSettings,
  ...qaEnvShape,
  ...databaseSettings,
  ...recordingSettings,
  ...clipSettings,
  ...signalingClusterSettings,
  ...turnSettings,
  ...optionalClusterSettings,
  ...sfuEnvShape,
});

export interface Config {
  http: { host: string; port: number };
  sfu: SfuOptions;
  /** Set when signaling controls a cluster of SFU nodes instead of in-process workers (their directory is in `redis`). */
  cluster: { secret: string; fanout: number } | undefined;
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
  /** HOINGHI_REDIS_URL as given (with sentinels, only its credentials count: see `redis`). */
  redisUrl: string | undefined;
  /** The cluster's Redis (one, or behind sentinels); unset: a single node, state in memory. */
  redis: RedisTarget | undefined;
  nodeId: string | undefined;
  /** The database (unset: none; joins are then decided by the token's meeting list). */
  database: DbSettings | undefined;
  demoData: { schools: number; teachers: number };
  attendance: { flushMs: number; batchRows: number };
  retentionDays: number;
  /** Meetings one account may schedule an hour, and have not yet ended (0: no limit). */
  meetingQuota: CreationQuota;
  recording: RecordingSettings;
  /** The clip library and the programs that play it (clips/). */
  clips: ClipSettings;
  liveHls: LiveHlsSettings & { window: number };
  /** Signed HLS links for a cache tier; undefined without HOINGHI_HLS_LINK_SECRET. */
  hlsLinks: HlsLinkSettings | undefined;
  /** How other signaling nodes reach this one (unset: the listening address). */
  internalUrl: string | undefined;
  /** TURN relays offered to pages, with credentials per transport; undefined without HOINGHI_TURN_URLS. */
  turn: TurnSettings | undefined;
  /** Sign-in with the ministry's account and sessions of this server; undefined without HOINGHI_OIDC_ISSUER. */
  oidc: OidcSettings | undefined;
}

export { ConfigError };

type Env = z.infer<typeof signalingSettingsSchema>;

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

/** The OIDC sign-in, checked whole: what it needs is set, or the process stops naming it. */
function oidcFrom(e: Env, keys: TokenKeySource, database: boolean): OidcSettings | undefined {
  if (!e.HOINGHI_OIDC_ISSUER) {
    const stray = (['HOINGHI_OIDC_CLIENT_ID', 'HOINGHI_OIDC_CLIENT_SECRET'] as const).filter((k) => e[k] !== undefined);
    if (stray.length > 0) throw new ConfigError(`${stray.join(', ')} set without HOINGHI_OIDC_ISSUER`);
    return undefined;
  }
  if (!e.HOINGHI_OIDC_CLIENT_ID) throw new ConfigError('HOINGHI_OIDC_ISSUER needs HOINGHI_OIDC_CLIENT_ID');
  if (!e.HOINGHI_PUBLIC_URL) throw new ConfigError('HOINGHI_OIDC_ISSUER needs HOINGHI_PUBLIC_URL (the redirect URI is <public>/auth/callback)');
  if (keys.kind !== 'secret') throw new ConfigError('HOINGHI_OIDC_ISSUER issues HS256 access tokens: it needs HOINGHI_JWT_SECRET, not ES256/RS256 keys');
  if (!database) throw new ConfigError('HOINGHI_OIDC_ISSUER needs a database (HOINGHI_DATABASE_URL or HOINGHI_DATA_DIR): people are looked up in the organisation records');
  const issuer = new URL(e.HOINGHI_OIDC_ISSUER);
  if (issuer.protocol !== 'https:' && !isLoopback(issuer.hostname)) throw new ConfigError('HOINGHI_OIDC_ISSUER must be https (plain http only on this machine)');
  const publicUrl = new URL(e.HOINGHI_PUBLIC_URL);
  if (publicUrl.protocol !== 'https:' && publicUrl.protocol !== 'http:') throw new ConfigError('HOINGHI_PUBLIC_URL must be an http(s) origin');
  return {
    issuer,
    clientId: e.HOINGHI_OIDC_CLIENT_ID,
    clientSecret: e.HOINGHI_OIDC_CLIENT_SECRET,
    scopes: e.HOINGHI_OIDC_SCOPES,
    idClaim: e.HOINGHI_OIDC_ID_CLAIM,
    publicOrigin: publicUrl.origin,
    accessTokenTtlS: e.HOINGHI_ACCESS_TOKEN_TTL_S,
    sessionTtlS: e.HOINGHI_SESSION_TTL_S,
    askEveryTime: e.HOINGHI_OIDC_ASK_EVERY_TIME,
    cookieSecret: keys.secret,
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv(signalingSettingsSchema, env);
  const sfuProblem = sfuEnvProblem(e);
  if (sfuProblem) throw new ConfigError(sfuProblem);
  const redis = redisTargetFrom(e);
  if (e.HOINGHI_SFU === 'cluster' && (!redis || !e.HOINGHI_SFU_SECRET)) {
    throw new ConfigError('HOINGHI_SFU=cluster needs HOINGHI_REDIS_URL (or HOINGHI_REDIS_SENTINELS) and HOINGHI_SFU_SECRET');
  }
  const turnUrls = e.HOINGHI_TURN_URLS.split(',').map((u) => u.trim()).filter(Boolean);
  if (turnUrls.length > 0 && !e.HOINGHI_TURN_SECRET) throw new ConfigError('HOINGHI_TURN_URLS needs HOINGHI_TURN_SECRET (the secret the TURN servers check credentials with)');
  if (turnUrls.length === 0 && e.HOINGHI_TURN_SECRET) throw new ConfigError('HOINGHI_TURN_SECRET is set but HOINGHI_TURN_URLS is empty: name the TURN servers');
  if (e.HOINGHI_HLS_CACHE_URL && !e.HOINGHI_HLS_LINK_SECRET) throw new ConfigError('HOINGHI_HLS_CACHE_URL needs HOINGHI_HLS_LINK_SECRET (the cache checks signed links)');
  const keys = tokenKeys(e);
  if (e.HOINGHI_DRAIN_DEADLINE_MS < e.HOINGHI_DRAIN_WINDOW_MS) {
    throw new ConfigError('HOINGHI_DRAIN_DEADLINE_MS must be at least HOINGHI_DRAIN_WINDOW_MS');
  }
  const clusterMode = e.HOINGHI_SFU === 'cluster' || redis !== undefined;
  if (e.HOINGHI_DEMO_SIGNIN && keys.kind !== 'secret') {
    throw new ConfigError('demo sign-in issues HS256 tokens: it cannot be combined with ES256/RS256 keys');
  }
  return {
    http: { host: e.HOINGHI_HOST, port: e.HOINGHI_PORT },
    sfu: sfuOptionsFrom(e),
    cluster:
      e.HOINGHI_SFU === 'cluster'
        ? { secret: e.HOINGHI_SFU_SECRET!, fanout: e.HOINGHI_SFU_FANOUT }
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
    redis,
    nodeId: e.HOINGHI_NODE_ID,
    database: e.HOINGHI_DATABASE_URL
      ? { kind: 'postgres', url: e.HOINGHI_DATABASE_URL, maxConnections: e.HOINGHI_DB_MAX_CONNECTIONS }
      : e.HOINGHI_DATA_DIR
        ? { kind: 'pglite', dataDir: e.HOINGHI_DATA_DIR }
        : undefined,
    demoData: { schools: e.HOINGHI_DEMO_SCHOOLS, teachers: e.HOINGHI_DEMO_TEACHERS },
    attendance: { flushMs: e.HOINGHI_ATTENDANCE_FLUSH_MS, batchRows: e.HOINGHI_ATTENDANCE_BATCH_ROWS },
    retentionDays: e.HOINGHI_RETENTION_DAYS,
    meetingQuota: { perHour: e.HOINGHI_MEETINGS_PER_HOUR, notEnded: e.HOINGHI_MEETINGS_NOT_ENDED },
    recording: {
      dir: e.HOINGHI_RECORDINGS_DIR,
      rtpIp: e.HOINGHI_RECORDING_RTP_IP,
      minFreeBytes: e.HOINGHI_RECORDING_MIN_FREE_MB * 2 ** 20,
      retentionDays: e.HOINGHI_RECORDING_RETENTION_DAYS,
      diskCheckIntervalMs: 5_000,
      recorder: { ffmpegPath: e.HOINGHI_FFMPEG, segmentSeconds: e.HOINGHI_HLS_SEGMENT_S, restartBackoffMs: { min: 500, max: 5_000 } },
    },
    clips: { dir: e.HOINGHI_CLIPS_DIR, ffmpegPath: e.HOINGHI_FFMPEG, ffprobePath: e.HOINGHI_FFPROBE },
    liveHls: {
      mode: e.HOINGHI_LIVE_HLS,
      idleMs: e.HOINGHI_LIVE_HLS_IDLE_S * 1000,
      leaseMs: 15_000,
      keepAfterStopMs: 60_000,
      window: e.HOINGHI_LIVE_HLS_WINDOW,
    },
    hlsLinks: e.HOINGHI_HLS_LINK_SECRET
      ? { secret: e.HOINGHI_HLS_LINK_SECRET, ttlS: e.HOINGHI_HLS_LINK_TTL_S, baseUrl: (e.HOINGHI_HLS_CACHE_URL ?? '').replace(/\/+$/, '') }
      : undefined,
    internalUrl: e.HOINGHI_INTERNAL_URL?.replace(/\/+$/, ''),
    turn: turnUrls.length > 0 ? { urls: turnUrls, secret: e.HOINGHI_TURN_SECRET!, ttlS: e.HOINGHI_TURN_TTL_S } : undefined,
    oidc: oidcFrom(e, keys, Boolean(e.HOINGHI_DATABASE_URL || e.HOINGHI_DATA_DIR)),
  };
}
