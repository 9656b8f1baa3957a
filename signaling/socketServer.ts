/**
 * The socket.io side of a node: authenticates every socket with its JWT at connect, then routes
 * each client event through one dispatcher that bounds its size, rate-limits it, validates it
 * with zod, runs it (in order, per socket) and answers a typed ack. Nothing a client sends can
 * throw out of here.
 */
import { endSignIn } from './signInEnds';
import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { logger } from '../common/log';
import type { SfuControl } from '../sfu/types';
import { SfuError } from '../sfu/errors';
import type { TokenVerifier } from './auth/tokens';
import { TokenBucket } from './rateLimit';
import type { JoinGate } from './admission/JoinGate';
import { AppError, type WireError } from './protocol/errors';
import { clientEventSchemas, type ClientEventName } from './protocol/schemas';
import type { Ack } from './protocol/events';
import type { TypedServer, TypedSocket } from './socketTypes';
import { MeetingRegistry } from './meeting/MeetingRegistry';
import { Session } from './meeting/Session';
import * as joinFlow from './meeting/joinFlow';
import * as layerFlow from './meeting/layerFlow';
import * as publishFlow from './meeting/publishFlow';
import * as handFlow from './meeting/handFlow';
import * as speakFlow from './meeting/speakFlow';
import * as rosterFlow from './meeting/rosterFlow';
import * as breakoutFlow from './meeting/breakoutFlow';
import * as productionFlow from './meeting/productionFlow';
import * as recordingFlow from './recording/recordingFlow';
import * as clipFlow from './clips/clipFlow';
import type { ClipPlayer } from './clips/ClipPlayer';
import type { RecordingManager } from './recording/RecordingManager';
import type { LiveStreams } from './recording/LiveStreams';
import type { HlsIndex } from './recording/hlsIndex';
import type { MeetingOptions } from './meeting/Meeting';
import type { Metrics } from './metrics';
import type { MeetingStore } from './store/types';
import { SocketNotifier } from './socketNotifier';
import type { SocketGate } from './edge/socketGate';
import type { Drain } from './edge/drain';
import type { JoinAuthorizer } from './meeting/JoinAuthorizer';
import type { AttendanceRecorder } from './attendance/AttendanceRecorder';
import type { BreakoutPlans } from './meeting/BreakoutPlans';
import { QA_HANDLERS } from './qa/qaEvents';
import { CLASS_BUDGET, EVENT_CLASS, STRIKES_PER_SECOND, STRIKE_BURST } from './eventBudgets';
import { fail, parsePayload, toWireError } from './wireReplies';
import { openQa } from './qa/QaRuntime';
import type { QaRecorder } from './qa/QaRecorder';
import type { QaOptions } from './qa/qaConfig';
import { QueueStallError, SerialQueue, type QueueWatch } from '../common/SerialQueue';
import { NO_RELAY, recordingRelay } from './recording/recordingRelay';
import type { TurnCredentials } from './edge/turnCredentials';
import { CaptionChannel } from './captions/CaptionChannel';
import { captionHandlers } from './captions/captionFlow';
import { MemoryCaptionLog } from './store/captionMemory';
import type { CaptionLog } from './store/captionTypes';
import { MAIN, MeetingSession } from './meeting/MeetingSession';

const log = logger('signaling');

/** socket.io's cap on one message; larger frames close the connection. */
export const MAX_HTTP_BUFFER_BYTES = 64 * 1024;
type Handler = (session: Session, payload: never) => Promise<unknown>;

export interface SocketServerOptions {
  tokens: TokenVerifier;
  limits: { socketEventsPerS: number; socketEventBurst: number; maxParticipants: number; maxConsumersPerPeer: number };
  sfu: SfuControl;
  metrics: () => Metrics;
  /** Admission of joins (cluster-wide with Redis) and the waiting queue. */
  joinGate: JoinGate;
  meeting: MeetingOptions;
  corsOrigins: string[] | false;
  store: MeetingStore;
  /** socket.io's adapter (the Redis adapter in a cluster); default: in memory. */
  adapter?: Parameters<TypedServer['adapter']>[0];
  /** Origin check and per-IP caps before the handshake (edge/socketGate.ts). */
  gate: SocketGate;
  /** A connection that has not authenticated within this is closed, ms. */
  authTimeoutMs: number;
  /** While draining, new sockets and joins are refused with `draining`. */
  drain: Drain;
  authorizer: JoinAuthorizer;
  attendance: AttendanceRecorder;
  /** The scheduled meetings' breakout plans (none without a database). */
  plans?: BreakoutPlans;
  /** Where questions, votes, polls and reactions are kept (default: nowhere). */
  qaRecorder?: QaRecorder;
  /** Limits of questions, polls and reactions (defaults when absent). */
  qa?: QaOptions;
  recordings: RecordingManager;
  live: LiveStreams;
  hlsIndex: HlsIndex;
  /** Clips played from the server into meetings. */
  clips: ClipPlayer;
  /** Counts stalls of every serial queue (each socket's events, each meeting's event queue). */
  queues: QueueWatch;
  /** TURN relays: every transport made comes with credentials of its own (none: no relay offered). */
  turn?: TurnCredentials;
  /** Where final caption lines are kept (default: in memory, this node only). */
  captions?: CaptionLog;
  /** Interim captions: at most one delivery per meeting per this many ms (default 250). */
  captionInterimMs?: number;
}

export class SocketServer {
  readonly io: TypedServer;
  readonly registry: MeetingRegistry;
  /** Live captions: the one channel every caption source publishes to (captions/CaptionChannel.ts). */
  readonly captions: CaptionChannel;
  readonly #opts: SocketServerOptions;
  readonly #handlers: Record<ClientEventName, Handler>;
  /** Per-user budgets by event class, shared by all of a user's sockets. */
  readonly #userBudgets = new Map<string, { sockets: number; buckets: Map<string, TokenBucket> }>();
  /** Sockets disconnected for flooding (for metrics and tests). */
  floodDisconnects = 0;

  constructor(httpServer: HttpServer, opts: SocketServerOptions) {
    this.#opts = opts;
    this.io = new Server(httpServer, {
      transports: ['websocket'],
      maxHttpBufferSize: MAX_HTTP_BUFFER_BYTES,
      pingInterval: 10_000,
      pingTimeout: 8_000,
      cors: opts.corsOrigins ? { origin: opts.corsOrigins, credentials: false } : undefined,
      serveClient: false,
      ...(opts.adapter ? { adapter: opts.adapter } : {}),
      // Browsers apply no CORS to WebSockets: the gate checks Origin (and per-IP caps) itself.
      allowRequest: opts.gate.allowRequest,
      // socket.io closes a connection that has not joined the namespace (authenticated) by then.
      connectTimeout: opts.authTimeoutMs,
    });
    this.io.engine.on('connection', (raw: Parameters<SocketGate['opened']>[0]) => opts.gate.opened(raw));
    const notify = new SocketNotifier(this.io);
    // Captions go to the main session's room: one broadcast, every node's sockets (the adapter).
    this.captions = new CaptionChannel(
      opts.captions ?? new MemoryCaptionLog(),
      { toAudience: (meetingId, cues) => notify.toRoom(new MeetingSession(meetingId, MAIN).roomName, 'captions', cues) },
      { interimIntervalMs: opts.captionInterimMs },
    );
    this.registry = new MeetingRegistry({
      sfu: opts.sfu,
      notify,
      store: opts.store,
      options: opts.meeting,
      attendance: opts.attendance,
      plans: opts.plans,
      queues: opts.queues,
      onOpen: (meeting) => {
        meeting.onBreakoutTimer = async () => void (await breakoutFlow.recall(meeting));
        openQa(meeting, opts.qaRecorder, opts.qa);
        // The meeting's view here closes (ended, or nobody left here): its clip stops with it.
        meeting.onClose.push(() => void opts.clips.stop(meeting.id, 'meeting_closed'));
      },
    });
    const joinDeps: joinFlow.JoinDeps = {
      registry: this.registry,
      admit: (session, meetingId, ticket) => opts.joinGate.admit(session, meetingId, ticket),
      resumeTicket: (session, meetingId) => opts.joinGate.resumeTicket(session, meetingId),
      maxParticipants: opts.limits.maxParticipants,
      // Wherever that socket is connected (another signaling node, through the adapter).
      disconnectSocket: (id) => {
        // Say why first, wherever that socket is connected (another signaling node, through the adapter).
        this.io.to(id).emit('disconnectReason', { reason: 'signed_in_elsewhere' });
        this.io.in(id).disconnectSockets(true);
      },
      onJoined: () => opts.metrics().joins.inc(),
      authorizer: opts.authorizer,
    };
    const recordingDeps: recordingFlow.RecordingDeps = {
      recordings: opts.recordings,
      live: opts.live,
      index: opts.hlsIndex,
      aliveNodes: () => opts.store.aliveNodes(),
      nodeId: opts.store.nodeId,
      relay: opts.adapter ? recordingRelay(this.io, opts.recordings) : NO_RELAY,
    };
    recordingFlow.announceChanges(recordingDeps, notify, (meetingId) => this.registry.get(meetingId)?.roomName);
    this.#handlers = {
      join: async (s, p) => {
        const joined = await joinFlow.join(joinDeps, s, p);
        recordingFlow.sendRecordings(recordingDeps, notify, s);
        return joined;
      },
      leave: async (s) => {
        await opts.joinGate.release(s);
        return joinFlow.leave(joinDeps, s, true);
      },
      createTransport: async (s, p) => {
        const params = await joinFlow.createTransport(s, p);
        return opts.turn ? { ...params, iceServers: opts.turn.issue(s.joined().peer.userId) } : params;
      },
      connectTransport: joinFlow.connectTransport,
      startConsuming: joinFlow.startConsuming,
      resumeConsumer: joinFlow.resumeConsumer,
      setConsumerLayers: layerFlow.setConsumerLayers,
      setAudioOnly: joinFlow.setAudioOnly,
      setDataSaver: layerFlow.setDataSaver,
      setLayerCeiling: layerFlow.setLayerCeiling,
      produce: publishFlow.produce,
      closeProducer: publishFlow.closeProducer,
      pauseProducer: publishFlow.pauseProducer,
      resumeProducer: publishFlow.resumeProducer,
      raiseHand: handFlow.raiseHand,
      lowerHand: handFlow.lowerHand,
      lowerHands: handFlow.lowerHands,
      handQueuePage: handFlow.handQueuePage,
      participantsPage: rosterFlow.participantsPage,
      inviteSpeaker: speakFlow.inviteSpeaker,
      respondInvitation: speakFlow.respondInvitation,
      muteSpeaker: speakFlow.muteSpeaker,
      revokeSpeaker: speakFlow.revokeSpeaker,
      stopSpeaking: speakFlow.stopSpeaking,
      startBreakouts: breakoutFlow.startBreakouts,
      extendBreakouts: breakoutFlow.extendBreakouts,
      endBreakouts: breakoutFlow.endBreakouts,
      speakToAll: breakoutFlow.speakToAll,
      sendNotice: breakoutFlow.sendNotice,
      refreshToken: (s, p: { token: string }) => this.#refreshToken(s, p.token),
      ...QA_HANDLERS,
      ...captionHandlers(this.captions),
      startRecording: (s) => recordingFlow.startRecording(recordingDeps, s),
      stopRecording: (s) => recordingFlow.stopRecording(recordingDeps, s),
      watchLive: (s) => recordingFlow.watchLive(recordingDeps, s),
      updateStage: productionFlow.updateStage,
      setCrew: productionFlow.setCrew,
      setInterpreterView: productionFlow.setInterpreterView,
      listClips: (s) => clipFlow.listClips(opts.clips, s),
      playClip: (s, p) => clipFlow.playClip(opts.clips, s, p),
      stopClip: (s) => clipFlow.stopClip(opts.clips, s),
    } satisfies Record<ClientEventName, Handler>;

    this.io.use((socket, next) => {
      try {
        if (opts.drain.draining) throw new AppError('draining', 'this node is shutting down: connect again', opts.drain.retryAfterMs());
        const auth: unknown = socket.handshake.auth;
        const token = typeof auth === 'object' && auth !== null ? (auth as { token?: unknown }).token : undefined;
        socket.data.claims = opts.tokens.verify(token);
        next();
      } catch (error) {
        const wire = toWireError(error);
        const err = new Error(wire.message) as Error & { data: WireError };
        err.data = wire;
        next(err);
      }
    });
    this.io.on('connection', (socket) => this.#onConnection(socket));
  }

  #userBucket(budget: { buckets: Map<string, TokenBucket> }, cls: string): TokenBucket {
    let bucket = budget.buckets.get(cls);
    if (!bucket) {
      const [rate, burst] = CLASS_BUDGET[cls as keyof typeof CLASS_BUDGET];
      bucket = new TokenBucket(rate, burst);
      budget.buckets.set(cls, bucket);
    }
    return bucket;
  }

  /** Ends the connection when its token expires, unless refreshed first. */
  #armExpiry(session: Session, socket: TypedSocket): void {
    if (session.expiryTimer) clearTimeout(session.expiryTimer);
    const ms = (session.claims.exp + this.#opts.tokens.settings.clockSkewS) * 1000 - Date.now();
    session.expiryTimer = setTimeout(() => endSignIn(socket), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
    session.expiryTimer.unref();
  }

  async #refreshToken(session: Session, token: string): Promise<{ expiresAt: number }> {
    const claims = this.#opts.tokens.verify(token);
    const old = session.claims;
    if (claims.sub !== old.sub || claims.role !== old.role || claims.province !== old.province) {
      throw new AppError('forbidden', 'a refreshed token must be for the same user, role and province');
    }
    session.claims = claims;
    const socket = this.io.sockets.sockets.get(session.socketId);
    if (socket) {
      socket.data.claims = claims;
      this.#armExpiry(session, socket);
    }
    return { expiresAt: claims.exp * 1000 };
  }

  #onConnection(socket: TypedSocket): void {
    this.#opts.gate.authenticated(socket.conn);
    const session = new Session(socket.id, socket.data.claims);
    const userId = session.claims.sub;
    const budget = this.#userBudgets.get(userId) ?? { sockets: 0, buckets: new Map() };
    budget.sockets += 1;
    this.#userBudgets.set(userId, budget);
    this.#armExpiry(session, socket);
    const bucket = new TokenBucket(this.#opts.limits.socketEventsPerS, this.#opts.limits.socketEventBurst);
    const strikes = new TokenBucket(STRIKES_PER_SECOND, STRIKE_BURST);
    // One event at a time per socket, in order; a handler stuck past the bound is answered with an
    // error and left behind, so the socket's later events still run.
    const queue = new SerialQueue('socket', {
      watch: this.#opts.queues,
      log: log.child({ user: userId }),
      // What the stuck action may have left half done, the meeting's store knows: reload it.
      onStall: ({ task }) => session.meeting?.resync(`a stalled ${task}`),
      onLateEnd: (task) => session.meeting?.resync(`a stalled ${task} ended late`),
    });

    socket.onAny((event: string, ...args: unknown[]) => {
      // Packets that arrived with the one that got this socket disconnected are still delivered:
      // nothing more is done for a socket that is gone.
      if (!socket.connected) return;
      const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (res: Ack<unknown>) => void) : null;
      const reply = (res: Ack<unknown>): void => {
        if (!res.ok) {
          this.#opts.metrics().rejectedEvents.inc({ code: res.error.code });
          if (!ack) socket.emit('protocolError', { ...res.error, event: String(event).slice(0, 64) });
        }
        ack?.(res);
      };
      const refuse = (error: AppError): void => {
        reply(fail(error));
        if (strikes.take() > 0 && socket.connected) {
          this.floodDisconnects += 1;
          log.warn({ user: userId }, 'disconnecting a flooding socket');
          socket.emit('disconnectReason', { reason: 'flooding' });
          socket.disconnect(true);
        }
      };
      const wait = bucket.take();
      if (wait > 0) return refuse(new AppError('rate_limited', 'too many events', wait));
      if (!Object.hasOwn(clientEventSchemas, event)) return refuse(new AppError('unknown_event', 'unknown event'));
      const name = event as ClientEventName;
      // Not a strike: the client did nothing wrong, it should move to another node.
      if (name === 'join' && this.#opts.drain.draining) {
        return reply(fail(new AppError('draining', 'this node is shutting down: connect again', this.#opts.drain.retryAfterMs())));
      }
      const parsed = parsePayload(name, args[0]);
      if (!parsed.ok) return refuse(new AppError(parsed.error.code, parsed.error.message));
      const classWait = this.#userBucket(budget, EVENT_CLASS[name]).take();
      if (classWait > 0) return refuse(new AppError('rate_limited', `too many ${EVENT_CLASS[name]} events`, classWait));
      const handler = this.#handlers[name];
      queue.push(name, () => handler(session, parsed.data as never)).then(
        (data) => reply({ ok: true, data }),
        (error: unknown) => {
          if (!(error instanceof AppError) && !(error instanceof SfuError) && !(error instanceof QueueStallError)) {
            log.warn({ event: name, user: session.claims.sub, err: String(error) }, 'handler failed');
          }
          reply(fail(error));
        },
      );
    });

    socket.on('disconnect', (reason) => {
      if (session.expiryTimer) clearTimeout(session.expiryTimer);
      budget.sockets -= 1;
      if (budget.sockets === 0 && this.#userBudgets.get(userId) === budget) this.#userBudgets.delete(userId);
      queue
        .push('disconnect', async () => {
          await this.#opts.joinGate.release(session);
          await joinFlow.leave({ registry: this.registry }, session, false);
        })
        .catch((error: unknown) => log.error({ err: String(error) }, 'leave on disconnect failed'));
      log.debug({ user: session.claims.sub, reason }, 'disconnected');
    });
  }

  async close(): Promise<void> {
    this.captions.close();
    await this.registry.close();
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
  }
}
