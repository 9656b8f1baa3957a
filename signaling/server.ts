/**
 * One hoinghi node: express (health, metrics, demo sign-in, the web client) and socket.io (the
 * meeting protocol) on one HTTP server, driving an SFU through its control interface.
 */
import http from 'node:http';
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import express from 'express';
import helmet from 'helmet';
import type { AddressInfo } from 'node:net';
import { logger } from '../common/log';
import { LocalSfu } from '../sfu/LocalSfu';
import { ClusterSfu } from '../sfu/cluster/ClusterSfu';
import type { SfuControl } from '../sfu/types';
import type { Config } from './config';
import type { Admission } from './admission/types';
import { createAdmission } from './admission/createAdmission';
import { JoinGate } from './admission/JoinGate';
import type { ResumeTickets } from './admission/ResumeTickets';
import { Metrics } from './metrics';
import { SocketServer } from './socketServer';
import { apiRouter, errorHandler, metricsHandler } from './http/routes';
import { staticFiles } from './http/staticFiles';
import { TokenVerifier, issuedAtMs } from './auth/tokens';
import { createCaptionLog, createStore, type MeetingStore } from './store';
import { createAdapter } from './adapter';
import { connectRedis, type RedisClient } from '../common/redis';
import { RedisWatch } from '../common/redisWatch';
import { openRedisEndpoint, type RedisEndpoint } from '../common/redisEndpoint';
import { TrustedProxies } from './edge/clientAddress';
import { SocketGate, type GateRefusal } from './edge/socketGate';
import { Drain, type DrainOutcome } from './edge/drain';
import { readiness } from './edge/readiness';
import type { Db } from './db/Db';
import { openDb } from './db/openDb';
import { AttendanceWriter } from './attendance/AttendanceWriter';
import { QaWriter } from './qa/qaWriter';
import { NO_ATTENDANCE } from './attendance/AttendanceRecorder';
import { DatabaseBreakoutPlans } from './schedule/breakoutPlanSource';
import type { JoinAuthorizer } from './meeting/JoinAuthorizer';
import { DatabaseJoinAuthorizer, TokenListAuthorizer } from './schedule/joinAuthorizers';
import { meetingRouter } from './http/meetingRoutes';
import { staffRouter } from './http/staffRoutes';
import { signOutRouter } from './http/signOutRoutes';
import { Revocations } from './auth/revocations';
import { revocationRepo } from './auth/revocationRepo';
import { SignInEnds } from './signInEnds';
import { orgRouter } from './http/orgRoutes';
import { authRouter } from './http/authRoutes';
import { Sessions } from './auth/sessions';
import { OidcClient } from './auth/oidcClient';
import { seedDemo } from './demo/seedDemo';
import { Retention } from './schedule/retention';
import { MeetingRepo } from './schedule/meetingRepo';
import { MeetingEnder } from './meetingEnder';

/** The database and what hangs on it (absent on a node without a database). */
interface DataLayer {
  db: Db;
  authorizer: DatabaseJoinAuthorizer;
  attendance: AttendanceWriter;
  retention: Retention;
  /** Questions, votes, polls and reactions (qa/qaWriter.ts). */
  qa: QaWriter;
}
import { RecordingManager } from './recording/RecordingManager';
import { meetingSources } from './recording/recordingFlow';
import { recordingRouter } from './recording/routes';
import { transcriptRouter } from './http/transcriptRoutes';
import { HlsLinks } from './recording/hlsLinks';
import { LiveStreams } from './recording/LiveStreams';
import { ClipPlayer } from './clips/ClipPlayer';
import { MemoryHlsIndex, type HlsIndex, type HlsNode } from './recording/hlsIndex';
import { RedisHlsIndex } from './recording/redisHlsIndex';
import { QueueWatch } from '../common/SerialQueue';
import { AppError } from './protocol/errors';
import { TurnCredentials } from './edge/turnCredentials';
import { whipRouter } from './http/whipRoutes';
import { IngestTokens, ingestKey } from './whip/ingestTokens';
import { WhipIngest } from './whip/WhipIngest';
import { WhepPlayback } from './whip/WhepPlayback';

const log = logger('server');
const DEFAULT_WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../web/dist');

export class HoinghiServer {
  readonly config: Config;
  readonly sfu: SfuControl;
  readonly httpServer: http.Server;
  readonly sockets: SocketServer;
  readonly metrics: Metrics;
  readonly tokens: TokenVerifier;
  /** Join admission: local, or cluster-wide in Redis (chosen at start-up). */
  readonly admission: Admission;
  readonly joinGate: JoinGate;
  readonly recordings: RecordingManager;
  /** Live HLS, recorded or not (the delayed stream). */
  readonly live: LiveStreams;
  /** Clips played from the server into meetings (clips/). */
  readonly clips: ClipPlayer;
  /** Where each meeting's HLS lives: this node only, or the cluster's (Redis). */
  readonly hlsIndex: HlsIndex;
  /** Ends meetings live (their end or deletion), here and on the other signaling nodes. */
  readonly ender: MeetingEnder;
  /** Ended sign-ins (sign-out, revoke): refused tokens, and their sockets closed on every node. */
  readonly revocations: Revocations;
  readonly signInEnds: SignInEnds;
  /** Studio encoders publishing over WHIP, and WHEP playbacks (signaling/whip/). */
  readonly whip: WhipIngest;
  readonly whep: WhepPlayback;
  readonly ingestTokens: IngestTokens;
  /** The separate metrics listener (HOINGHI_METRICS_PORT set, or cluster mode). */
  readonly metricsServer: http.Server | null;
  readonly store: MeetingStore;
  readonly #closeAdapter: () => Promise<void>;
  /** The database, join decisions and attendance; null without a database. */
  readonly data: DataLayer | null;

  readonly gate: SocketGate;
  readonly drainer: Drain;
  /** Stalls and self-waits of this node's serial queues (hoinghi_queue_*_total). */
  readonly queueWatch: QueueWatch;
  /** Redis, when configured: readiness pings it. */
  readonly #redis: RedisClient | null;
  readonly #endpoint: RedisEndpoint | null;

  private constructor(
    config: Config,
    sfu: SfuControl,
    store: MeetingStore,
    adapter: Awaited<ReturnType<typeof createAdapter>>,
    redis: RedisClient | null,
    admission: { admission: Admission; tickets: ResumeTickets },
    data: DataLayer | null,
    queues: QueueWatch,
    endpoint: RedisEndpoint | null,
  ) {
    this.#endpoint = endpoint;
    this.config = config;
    this.queueWatch = queues;
    this.data = data;
    this.sfu = sfu;
    this.store = store;
    this.#closeAdapter = adapter.close;
    this.#redis = redis;
    this.admission = admission.admission;
    this.joinGate = new JoinGate(admission.admission, admission.tickets, {
      admitted: (lane) => this.metrics.admissions.inc({ lane, outcome: 'admitted' }),
      queued: (lane) => this.metrics.admissions.inc({ lane, outcome: 'queued' }),
    });
    this.tokens = new TokenVerifier(config.jwt);
    // A week: the longest a token of ours lives (HOINGHI_DEMO_TOKEN_TTL_S at most); older revocations change nothing.
    this.revocations = new Revocations({ store: data ? revocationRepo(data.db) : null, maxTokenAgeMs: 7 * 24 * 3600_000 });
    this.tokens.revoked = (claims) => this.revocations.isRevoked(claims.sub, issuedAtMs(claims));
    const trusted = new TrustedProxies(config.edge.trustedProxies);
    this.drainer = new Drain(config.drain);
    this.gate = new SocketGate({
      trusted,
      corsOrigins: config.corsOrigins,
      requireOrigin: config.edge.requireOrigin,
      maxPendingPerIp: config.edge.maxPendingPerIp,
      maxSocketsPerIp: config.edge.maxSocketsPerIp,
      onRefused: (reason: GateRefusal) => this.metrics.refusedHandshakes.inc({ reason }),
    });
    const app = express();
    app.disable('x-powered-by');
    // Origin-form request targets only ("/path"): an absolute-form ("http://host/...") or "//host"
    // target names another host, which no browser or balancer sends to an origin server.
    app.use((req, _res, next) => next(req.url.startsWith('/') && !req.url.startsWith('//') ? undefined : new AppError('bad_request', 'request target must be a path')));
    // The same rule as the socket layer: X-Forwarded-For only from HOINGHI_TRUSTED_PROXIES.
    app.set('trust proxy', trusted.expressTrust);
    app.use(
      helmet({
        contentSecurityPolicy: {
          useDefaults: false,
          directives: {
            defaultSrc: ["'self'"],
            scriptSrc: ["'self'"],
            styleSrc: ["'self'"],
            imgSrc: ["'self'", 'data:'],
            // The HLS cache tier, when it has its own host name (signed links point there).
            connectSrc: ["'self'", ...(config.hlsLinks?.baseUrl ? [new URL(config.hlsLinks.baseUrl).origin] : [])],
            mediaSrc: ["'self'", 'blob:'],
            fontSrc: ["'self'"],
            objectSrc: ["'none'"],
            baseUri: ["'none'"],
            formAction: ["'self'"],
            frameAncestors: ["'none'"],
          },
        },
        // Media must flow to other origins' pages never; same-origin is all the client needs.
        crossOriginEmbedderPolicy: false,
      }),
    );
    // WHIP/WHEP answer their own OPTIONS and CORS (encoders and players of any origin, bearer tokens only).
    const jwtSecret = config.jwt.keys.kind === 'secret' ? config.jwt.keys.secret : undefined;
    const ingestMaterial = ingestKey(jwtSecret ?? config.admission.secret);
    if (!ingestMaterial.shared) log.warn('no HOINGHI_JWT_SECRET nor HOINGHI_ADMISSION_SECRET: WHIP ingest tokens are valid on this node only, until it restarts');
    this.ingestTokens = new IngestTokens(ingestMaterial.key, config.jwt.issuer, config.jwt.audience);
    app.use(
      whipRouter({
        tokens: this.tokens,
        ingestTokens: this.ingestTokens,
        authorizer: data?.authorizer ?? new TokenListAuthorizer(),
        ingest: () => this.whip,
        playback: () => this.whep,
      }),
    );
    if (config.corsOrigins.length > 0) {
      const allowed = new Set(config.corsOrigins);
      app.use((req, res, next) => {
        const origin = req.headers.origin;
        if (origin && allowed.has(origin)) {
          res.setHeader('Access-Control-Allow-Origin', origin);
          res.setHeader('Vary', 'Origin');
          res.setHeader('Access-Control-Allow-Headers', 'content-type, authorization');
          res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
        }
        if (req.method === 'OPTIONS') res.status(204).end();
        else next();
      });
    }
    this.httpServer = http.createServer(app);
    const authorizer: JoinAuthorizer = data?.authorizer ?? new TokenListAuthorizer();
    const sources = meetingSources((id) => this.sockets.registry.get(id));
    const captionLog = createCaptionLog(store);
    this.recordings = new RecordingManager(config.recording, sfu, sources);
    this.hlsIndex = redis ? new RedisHlsIndex(redis) : new MemoryHlsIndex();
    const self = (): HlsNode => ({ id: store.nodeId, url: config.internalUrl ?? this.url });
    this.recordings.indexWith((info) => this.hlsIndex.putRecording({ node: self(), info }));
    this.recordings.on('deleted', ({ meetingId, id }) => void this.hlsIndex.dropRecording(meetingId, id).catch(() => undefined));
    this.recordings.withSubtitles(captionLog);
    const liveManager = new RecordingManager(
      {
        ...config.recording,
        dir: path.join(config.recording.dir, '.live', store.nodeId),
        retentionDays: 0,
        recorder: { ...config.recording.recorder, liveWindow: config.liveHls.window },
      },
      sfu,
      sources,
    );
    liveManager.withSubtitles(captionLog);
    this.live = new LiveStreams(config.liveHls, liveManager, this.hlsIndex, sources, self, () => this.sockets.registry.all().map((m) => m.id));
    this.clips = new ClipPlayer(config.clips, sfu, logger('clips'));
    this.sockets = new SocketServer(this.httpServer, {
      tokens: this.tokens,
      limits: config.limits,
      sfu,
      metrics: () => this.metrics,
      joinGate: this.joinGate,
      meeting: config.meeting,
      corsOrigins: config.corsOrigins.length > 0 ? config.corsOrigins : false,
      store,
      adapter: adapter.adapter,
      gate: this.gate,
      authTimeoutMs: config.edge.authTimeoutMs,
      drain: this.drainer,
      authorizer,
      attendance: data?.attendance ?? NO_ATTENDANCE,
      ...(data ? { plans: new DatabaseBreakoutPlans(data.db) } : {}),
      qaRecorder: data?.qa,
      qa: config.qa,
      recordings: this.recordings,
      live: this.live,
      hlsIndex: this.hlsIndex,
      clips: this.clips,
      queues: this.queueWatch,
      turn: config.turn ? new TurnCredentials(config.turn) : undefined,
      captions: captionLog,
    });
    this.metrics = new Metrics(
      sfu,
      () => this.sockets.io.engine.clientsCount,
      () => this.sockets.registry.all().reduce((n, m) => n + m.rehomes, 0),
      () => this.gate.pending,
      () => this.joinGate.waiting,
      () => this.recordings.stats(),
      () => ({ ...this.live.manager.stats(), proxied: this.live.proxied }),
      this.queueWatch,
      {
        ...(redis ? { redis: watchRedis(redis) } : {}),
        participants: () => this.sockets.registry.all().flatMap((m) => [...m.peers.values()].map((p) => p.claims)),
      },
    );
    const counted = { started: (kind: 'ingest' | 'playback') => this.metrics.whipSessions.inc({ kind }) };
    this.whip = new WhipIngest(this.sockets.registry, sfu, counted);
    this.whep = new WhepPlayback(this.sockets.registry, sfu, counted);
    this.metrics.whipLive = () => ({ ingest: this.whip.size, playback: this.whep.size });
    const repo = data ? new MeetingRepo(data.db) : null;
    this.ender = new MeetingEnder({
      io: this.sockets.io,
      registry: this.sockets.registry,
      recordings: this.recordings,
      live: this.live,
      index: this.hlsIndex,
      nodeId: store.nodeId,
      clustered: config.redis !== undefined,
      invalidate: (id) => data?.authorizer.invalidate(id),
      // With a database, every meeting served is in it: one gone from it was deleted. Only a
      // host's end counts (endedAt set): the clock's (an hour past the scheduled end) refuses
      // joins but does not cut off a meeting that runs long.
      ...(repo ? { isOver: async (id: string) => repo.get(id).then((m) => (!m ? 'deleted' : m.endedAt !== null ? 'ended' : null)) } : {}),
    });
    // Sign-in with the ministry's account, and sessions of this server (config.ts makes sure of a database).
    const sessions = data && config.oidc ? new Sessions(data.db, config.oidc.sessionTtlS) : null;
    this.signInEnds = new SignInEnds({
      io: this.sockets.io,
      revocations: this.revocations,
      clustered: config.redis !== undefined,
      ...(sessions ? { endSessions: (userId: string) => sessions.revokeUser(userId) } : {}),
    });
    app.use(signOutRouter({ tokens: this.tokens, end: (userId) => this.signInEnds.end(userId) }));
    if (data && config.oidc && sessions) {
      app.use(authRouter({ db: data.db, tokens: this.tokens, sessions, client: new OidcClient(config.oidc) }));
    }
    if (data) {
      // The staff directory (co-host picker) learns hosts as they open their meetings: before them.
      app.use(staffRouter({ db: data.db, tokens: this.tokens }));
      app.use(orgRouter({ db: data.db, tokens: this.tokens, endSignIns: (userId) => this.signInEnds.end(userId) }));
      // Before the API router: its 4 kB body limit is for sign-in, not for school audiences.
      app.use(
        meetingRouter({
          db: data.db,
          tokens: this.tokens,
          onChanged: (id) => data.authorizer.invalidate(id),
          onEnded: (id, reason) => this.ender.end(id, reason),
          quota: config.meetingQuota,
        }),
      );
    }
    app.use(
      apiRouter({
        sfu,
        metrics: this.metrics,
        tokens: this.tokens,
        demo: config.demo,
        oidc: Boolean(data && config.oidc),
        signInPerMin: config.limits.signInPerMin,
        signInPerIpPerMin: config.limits.signInPerIpPerMin,
        serveMetrics: config.metrics.port === undefined,
        trusted,
        readiness: () => readiness({ sfu, redis: this.#redis, draining: () => this.drainer.draining }),
      }),
    );
    app.use(
      recordingRouter({
        recordings: this.recordings,
        live: this.live,
        index: this.hlsIndex,
        self,
        aliveNodes: () => store.aliveNodes(),
        tokens: this.tokens,
        authorizer,
        ...(config.hlsLinks ? { links: new HlsLinks(config.hlsLinks) } : {}),
      }),
    );
    app.use(transcriptRouter({ captions: captionLog, tokens: this.tokens, authorizer }));
    if (config.metrics.port !== undefined) {
      const metricsApp = express();
      metricsApp.disable('x-powered-by');
      metricsApp.get('/metrics', metricsHandler(this.metrics));
      this.metricsServer = http.createServer(metricsApp);
    } else {
      this.metricsServer = null;
    }

    const webDist = config.webDist ?? DEFAULT_WEB_DIST;
    if (fs.existsSync(path.join(webDist, 'index.html'))) {
      // Precompressed, immutable hashed assets; index.html for the app's own paths (a single-page app).
      app.use(staticFiles(webDist, (p) => !/^\/(api\/|socket\.io\/|metrics$|healthz$|readyz$)/.test(p)));
    } else {
      log.warn({ webDist }, 'web client not built; serving the API only');
    }
    app.use(errorHandler);
  }

  static async create(config: Config, sfu?: SfuControl): Promise<HoinghiServer> {
    // Every Redis user below connects to this one URL (with sentinels: a router to the current primary).
    const endpoint = config.redis ? await openRedisEndpoint(config.redis, log) : null;
    const redisUrl = endpoint?.url;
    const control =
      sfu ??
      (config.cluster
        ? await ClusterSfu.create({ redisUrl: redisUrl!, secret: config.cluster.secret, fanout: config.cluster.fanout, controllerId: `${config.nodeId ?? 'signaling'}.${process.pid}.${Date.now().toString(36)}` })
        : await LocalSfu.create(config.sfu));
    const store = await createStore({ redisUrl, nodeId: config.nodeId, replicaAck: endpoint?.replicaAck });
    const adapter = await createAdapter(redisUrl);
    const redis = redisUrl ? await connectRedis(redisUrl, log) : null;
    const admission = await createAdmission(config.admission, redisUrl);
    const queues = new QueueWatch(config.queueStallMs);
    const data = config.database ? await HoinghiServer.#openData(config, queues) : null;
    const server = new HoinghiServer(config, control, store, adapter, redis, admission, data, queues, endpoint);
    // The revocations recorded so far (a restart refuses what was revoked before it).
    await server.revocations.start();
    await new Promise<void>((resolve, reject) => {
      server.httpServer.once('error', reject);
      server.httpServer.listen(config.http.port, config.http.host, () => resolve());
    });
    if (server.metricsServer) {
      await new Promise<void>((resolve, reject) => {
        server.metricsServer!.once('error', reject);
        server.metricsServer!.listen(config.metrics.port, config.metrics.host, () => resolve());
      });
    }
    return server;
  }

  static async #openData(config: Config, queues: QueueWatch): Promise<DataLayer> {
    const db = await openDb(config.database!);
    if (config.demo.enabled) await seedDemo(db, { ...config.demoData, meetingId: config.demo.meetingId });
    const attendance = new AttendanceWriter(db, {
      flushMs: config.attendance.flushMs,
      maxRows: config.attendance.batchRows,
      departureGraceMs: config.meeting.departureGraceMs,
      maxBuffered: 1_000_000,
      queues,
    });
    const retention = new Retention(db, config.retentionDays);
    retention.start();
    const qa = new QaWriter(db, { flushMs: config.attendance.flushMs, maxRows: config.attendance.batchRows, maxBuffered: 1_000_000, queues });
    return { db, authorizer: new DatabaseJoinAuthorizer(db), attendance, retention, qa };
  }

  get url(): string {
    const { port } = this.httpServer.address() as AddressInfo;
    const host = this.config.http.host.includes(':') ? `[${this.config.http.host}]` : this.config.http.host;
    return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  }

  /** URL of the metrics endpoint (its own port when configured). */
  get metricsUrl(): string {
    if (!this.metricsServer) return `${this.url}/metrics`;
    const { port } = this.metricsServer.address() as AddressInfo;
    return `http://${this.config.metrics.host}:${port}/metrics`;
  }

  /**
   * Drains this node (SIGTERM): not ready at once, new sockets and joins refused, clients asked
   * to move over the drain window. Resolves when empty or at the drain deadline; close() after.
   */
  drain(): Promise<DrainOutcome> {
    return this.drainer.start(this.sockets.io);
  }

  async close(): Promise<void> {
    if (this.metricsServer) await new Promise<void>((resolve) => this.metricsServer!.close(() => resolve()));
    this.ender.close();
    this.signInEnds.close();
    this.revocations.stop();
    await this.live.close();
    await this.live.manager.close();
    await this.recordings.close();
    // Encoders' producers leave the meeting store before this node's meetings close.
    await this.whip.close();
    await this.whep.close();
    await this.clips.close();
    await this.sockets.close();
    await new Promise<void>((resolve) => this.httpServer.close(() => resolve()));
    await this.#closeAdapter();
    await this.store.close();
    await this.admission.close();
    await this.sfu.close();
    if (this.data) {
      this.data.retention.stop();
      await this.data.attendance.close();
      await this.data.qa.close();
      await this.data.db.close();
    }
    // destroy, not quit: quit waits for a Redis that may be the reason we stop.
    if (this.#redis?.isOpen) this.#redis.destroy();
    await this.#endpoint?.close();
  }
}

/** The node's own Redis client (its readiness check) stands for all: they share the server and the network path. */
function watchRedis(client: RedisClient): RedisWatch {
  const watch = new RedisWatch();
  watch.watch(client);
  return watch;
}
