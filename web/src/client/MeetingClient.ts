/**
 * The browser side of a meeting: the socket, the mediasoup-client Device, transports, producers,
 * consumers and their tracks. The store only gets plain state from here.
 *
 * Join flow (signaling/meeting/joinFlow.ts is the server side): join → load device → recv
 * transport → startConsuming → consume + resume each. It runs on every (re)connect and on the
 * server's `rejoin`, so a network drop or a media-server restart heals without a page reload.
 * A host also gets a send transport and republishes whatever it was publishing.
 */
import { io, type Socket } from 'socket.io-client';
import { Device, types as msTypes } from 'mediasoup-client';
import type {
  Ack,
  ClientResultMap,
  ClientToServerEvents,
  ConsumerInfo,
  DisconnectReason,
  HandEntry,
  MeetingEndedInfo,
  ParticipantEntry,
  ServerToClientEvents,
  SessionInfo,
  SpeakState,
} from '../../../signaling/protocol/events';
import type { QueueInfo, WireError } from '../../../signaling/protocol/errors';
import { NO_SPEAK_STATE, useStore, type Source } from '../state/store';
import { WebRtcFallback } from './webrtcFallback';
import { applyCameraProfile, cameraEncodings, micCodecOptions } from './massAudience';
import { LinkWatch } from './linkWatch';
import { MASS_AUDIENCE_SPATIAL_LAYER, TOP_SPATIAL_LAYER } from './sharpLayer';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export class RequestError extends Error {
  readonly code: WireError['code'];
  readonly retryAfterMs: number | undefined;
  /** With `queued`: the join's place in the waiting queue. */
  readonly queue: QueueInfo | undefined;
  constructor(error: WireError) {
    super(error.message);
    this.name = 'RequestError';
    this.code = error.code;
    this.retryAfterMs = error.retryAfterMs;
    this.queue = error.queue;
  }
}

const SCREEN_ENCODINGS: msTypes.RtpEncodingParameters[] = [{ maxBitrate: 1_500_000, maxFramerate: 10 }];
const REQUEST_TIMEOUT_MS = 15_000;
/** Reconnect back-off: 1 s, doubling to 15 s, ±25% jitter; shown to the user as a countdown. */
const RECONNECT_BASE_MS = 1_000;
const RECONNECT_MAX_MS = 15_000;
/** After being cut off for flooding, wait this long before trying again. */
const FLOOD_PAUSE_MS = 15_000;
/** Outgoing media counts as on air while bytes sent rose within this many polls (1 s each). */
const ON_AIR_STALE_POLLS = 3;

const jitter = (ms: number): number => Math.round(ms * (0.75 + Math.random() * 0.5));

/** Seconds since epoch at which a JWT expires, read from its payload (no verification here). */
function tokenExpiry(token: string): number | null {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp : null;
  } catch {
    return null;
  }
}

export interface MeetingClientOptions {
  serverUrl?: string;
  /** Gets a fresh token before the current one expires (null: none available). */
  refreshToken?: () => Promise<string | null>;
}

export class MeetingClient {
  #token: string;
  readonly #refresh: MeetingClientOptions['refreshToken'];
  #refreshTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #meetingId: string;
  readonly #socket: ClientSocket;
  #device: Device | null = null;
  #recvTransport: msTypes.Transport | null = null;
  #sendTransport: msTypes.Transport | null = null;
  readonly #consumers = new Map<string, msTypes.Consumer>();
  readonly #producers = new Map<Source, msTypes.Producer>();
  /** Local capture tracks, kept across rejoins so that a host republishes them. */
  readonly #localTracks = new Map<Source, MediaStreamTrack>();
  #joining: Promise<void> | null = null;
  #sendSetup: Promise<void> | null = null;
  #joinAgain = false;
  #closed = false;
  /** The meeting is over (the server said so, or refused the join with not_open): nothing is retried. */
  #ended = false;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** The server asked this client to move to another node (it is draining). */
  #moving = false;
  #moveTimer: ReturnType<typeof setTimeout> | null = null;
  /** From the last successful join: presented when joining again, for the rejoin lane. */
  #resumeTicket: string | null = null;
  readonly #listeners = new Set<() => void>();
  /** The join flow finished on the current connection (requests that need a joined peer may go). */
  #joined = false;
  /** Consecutive failed connection attempts (for the back-off). */
  #attempt = 0;
  /** What the server said just before it ended the connection. */
  #serverReason: DisconnectReason | null = null;
  /** consumerClosed for consumers still being set up here: they are dropped once ready. */
  readonly #closedEarly = new Set<string>();
  #sendPoll: ReturnType<typeof setInterval> | null = null;
  #bytesSent = 0;
  #stalePolls = 0;
  readonly #fallback = new WebRtcFallback();
  /** Consumer id → the layer this page asked for it (`setConsumerLayer`: pinned, full screen). */
  readonly #askedLayers = new Map<string, number>();
  /** The page's own layer control, on a link the SFU does not estimate (client/layerGovernor.ts). */
  readonly #link = new LinkWatch(
    () => this.#wantedLayer(),
    (spatialLayer) => this.request('setLayerCeiling', { spatialLayer }),
  );

  constructor(token: string, meetingId: string, options: MeetingClientOptions = {}) {
    this.#token = token;
    this.#meetingId = meetingId;
    this.#refresh = options.refreshToken;
    const serverUrl = options.serverUrl;
    // Reconnection is ours (not socket.io's), so the page can say when the next attempt is and why.
    const opts = { transports: ['websocket'], auth: { token }, reconnection: false };
    this.#socket = serverUrl ? io(serverUrl, opts) : io(opts);
    const store = useStore.getState();
    store.setStatus('connecting');
    store.setMeetingEnded(null);

    this.#socket.on('connect', () => {
      this.#attempt = 0;
      this.#serverReason = null;
      useStore.getState().setStatus(this.#moving ? 'moving' : 'connecting');
      this.#scheduleRefresh();
      this.#scheduleJoin();
    });
    this.#socket.on('sessionExpired', () => useStore.getState().setStatus('unauthorized'));
    this.#socket.on('disconnectReason', ({ reason }) => {
      this.#serverReason = reason;
    });
    this.#socket.on('meetingEnded', (info) => {
      if (info.meetingId === this.#meetingId) this.#end(info);
    });
    this.#socket.on('disconnect', (how) => {
      this.#joined = false;
      if (this.#closed) return;
      // The server drops a disconnected socket's place in the queue; the next join queues afresh.
      useStore.getState().setJoinQueue(null);
      const reason = this.#serverReason;
      if (this.#ended || reason === 'meeting_ended') {
        // Nothing to reconnect to: the page shows the end (MeetingGate shows the summary).
        this.#end(null);
      } else if (reason === 'signed_in_elsewhere') {
        // No automatic retry: this tab and the other would take turns forever.
        useStore.getState().setStatus('replaced');
      } else if (reason === 'session_expired') {
        useStore.getState().setStatus('unauthorized');
      } else if (this.#moving) {
        // Our own move (#moveAfter connects again itself), or the draining server closing us after
        // our turn, or the node gone under us: connect again now; the balancer picks another node.
        useStore.getState().setStatus('moving');
        if (how !== 'io client disconnect') this.#retryLater(0);
      } else if (reason === 'flooding') {
        useStore.getState().setStatus('flooded', Date.now() + FLOOD_PAUSE_MS);
        this.#retryLater(FLOOD_PAUSE_MS);
      } else {
        this.#reconnectLater();
      }
    });
    this.#socket.on('connect_error', (err: Error & { data?: WireError }) => {
      if (err.data?.code === 'unauthorized') {
        useStore.getState().setStatus('unauthorized');
      } else if (err.data?.code === 'draining') {
        // Reached a node that is shutting down (the balancer has not noticed yet): try again.
        this.#moving = true;
        useStore.getState().setStatus('moving');
        this.#retryLater(jitter(err.data.retryAfterMs ?? 1_000));
      } else {
        this.#reconnectLater();
      }
    });
    this.#socket.on('inviteDeclined', (info) => useStore.getState().setDeclined(info));
    this.#socket.on('rejoin', () => this.#scheduleJoin());
    this.#socket.on('moveNode', ({ afterMs }) => this.#moveAfter(afterMs));
    this.#socket.on('newConsumer', (info) => void this.#consume(info).catch((e) => this.#warn('consume', e)));
    this.#socket.on('consumerClosed', ({ consumerId }) => {
      if (!this.#consumers.has(consumerId)) this.#closedEarly.add(consumerId);
      this.#dropConsumer(consumerId);
    });
    this.#socket.on('meetingStats', (stats) => {
      const wasLarge = useStore.getState().stats?.massAudience === true;
      useStore.getState().setStats(stats);
      if (stats.massAudience !== wasLarge) void this.#applyCameraProfile(stats.massAudience);
    });
    this.#socket.on('provinceStats', ({ viewers }) => useStore.getState().setProvinceViewers(viewers));
    this.#socket.on('handQueue', (summary) => useStore.getState().setHandSummary(summary));
    this.#socket.on('speakersChanged', (speakers) => useStore.getState().setSpeakers(speakers));
    this.#socket.on('activeSpeakers', (speakers) => useStore.getState().setActiveSpeakers(speakers));
    this.#socket.on('breakouts', (state) => useStore.getState().setBreakouts(state));
    this.#socket.on('breakoutStatus', (status) => useStore.getState().setBreakoutStatus(status));
    this.#socket.on('notice', (notice) => useStore.getState().addNotice(notice));
    this.#socket.on('recordings', (live) => useStore.getState().setLiveRecordings(live));
    this.#socket.on('sessionChanged', (info) => void this.#onSessionChanged(info).catch((e) => this.#warn('sessionChanged', e)));
    this.#socket.on('speakState', (state) => void this.#onSpeakState(state).catch((e) => this.#warn('speakState', e)));
  }

  /** Moved to another session: start or stop sending as this session allows. */
  async #onSessionChanged(info: SessionInfo): Promise<void> {
    const store = useStore.getState();
    store.setSession(info);
    if (store.self) store.setSelf({ ...store.self, canSend: info.canSend });
    if (info.canSend && !this.#sendTransport && this.#device) {
      await this.#setUpSending(this.#device);
    } else if (!info.canSend && this.#sendTransport) {
      for (const producer of this.#producers.values()) producer.close();
      this.#producers.clear();
      this.#sendTransport.close();
      this.#sendTransport = null;
    }
  }

  // National host: breakouts.
  startBreakouts(durationS: number | undefined, nationalOverlay: boolean): Promise<unknown> {
    return this.request('startBreakouts', durationS ? { durationS, nationalOverlay } : { nationalOverlay });
  }

  extendBreakouts(seconds: number): Promise<unknown> {
    return this.request('extendBreakouts', { seconds });
  }

  endBreakouts(): Promise<unknown> {
    return this.request('endBreakouts', {});
  }

  speakToAll(on: boolean): Promise<unknown> {
    return this.request('speakToAll', { on });
  }

  sendNotice(text: string): Promise<unknown> {
    return this.request('sendNotice', { text });
  }

  /** Tries to connect now (after `replaced`: take the meeting back to this tab; or skip a wait). */
  reconnectNow(): void {
    if (this.#closed || this.#ended) return;
    this.#serverReason = null;
    this.#attempt = 0;
    useStore.getState().setStatus('connecting');
    this.#retryLater(0);
  }

  /** The next connection attempt after a drop, with back-off; the page shows the countdown. */
  #reconnectLater(): void {
    const delay = jitter(Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** this.#attempt));
    this.#attempt += 1;
    useStore.getState().setStatus('reconnecting', Date.now() + delay);
    this.#retryLater(delay);
  }

  // Session hosts: recording (the replay, and the live HLS teachers fall back to).
  startRecording(): Promise<unknown> {
    return this.request('startRecording', {});
  }

  stopRecording(): Promise<unknown> {
    return this.request('stopRecording', {});
  }

  /** Where the delayed stream (live HLS) of the teacher's session is; the server starts it if needed. */
  watchLive(): Promise<ClientResultMap['watchLive']> {
    return this.request('watchLive', {});
  }

  get meetingId(): string {
    return this.#meetingId;
  }

  /** A teacher chooses the delayed HLS stream (no real-time media at all), or real time again. */
  async chooseDelayed(on: boolean): Promise<void> {
    const store = useStore.getState();
    store.setHlsChosen(on);
    if (on) this.#fallback.use('chosen');
    else store.setMediaPath('webrtc', null);
    // The join flow runs again: without media when chosen, with it otherwise.
    this.#scheduleJoin();
  }

  /** A grant starts sending (microphone at once, camera too when video is allowed); losing it stops everything this client sends. */
  async #onSpeakState(state: SpeakState): Promise<void> {
    const store = useStore.getState();
    const hadGrant = store.speakState.grant !== null;
    store.setSpeakState(state);
    if (store.self?.role === 'host') return;
    if (state.grant && !hadGrant) {
      store.setSelf(store.self ? { ...store.self, canSend: true } : null);
      if (this.#device && !this.#sendTransport) await this.#setUpSending(this.#device);
      if (!this.#localTracks.has('mic')) await this.start('mic');
      // "Invite with video": the camera comes on with the acceptance.
      if (state.grant.allowVideo && !this.#localTracks.has('camera')) await this.start('camera');
    } else if (!state.grant && hadGrant) {
      store.setSelf(store.self ? { ...store.self, canSend: false } : null);
      for (const source of [...this.#localTracks.keys()]) await this.#stopLocal(source);
      this.#sendTransport?.close();
      this.#sendTransport = null;
    }
  }

  /** Data saver on or off: the server caps this viewer's downlink (lowest video layer). */
  async setDataSaver(on: boolean): Promise<void> {
    useStore.getState().setDataSaver(on);
    if (this.#recvTransport) await this.request('setDataSaver', { on });
  }

  /**
   * Asks the server for a simulcast layer of one video consumer (`null`: back to its default);
   * see client/sharpLayer.ts for when. Skipped while disconnected or once the consumer is gone
   * (a consumer here exists on the server: the join flow made it on this connection).
   */
  async setConsumerLayer(consumerId: string, spatialLayer: number | null): Promise<void> {
    if (!this.#socket.connected || !this.#consumers.has(consumerId)) return;
    if (spatialLayer === null) this.#askedLayers.delete(consumerId);
    else this.#askedLayers.set(consumerId, spatialLayer);
    await this.request('setConsumerLayers', { consumerId, spatialLayer });
  }

  /** The highest layer any video here asks for now (null: no video), for the page's layer control. */
  #wantedLayer(): number | null {
    // A screen share has one layer: no ceiling changes what it sends.
    const video = [...this.#consumers.values()].filter((c) => c.kind === 'video' && !c.closed && c.appData.source !== 'screen');
    if (video.length === 0) return null;
    const { dataSaver, massAudienceReceive } = useStore.getState();
    if (dataSaver) return 0;
    const asked = video.map((c) => this.#askedLayers.get(c.id) ?? 0);
    return Math.max(massAudienceReceive ? MASS_AUDIENCE_SPATIAL_LAYER : TOP_SPATIAL_LAYER, ...asked);
  }

  /** Receive audio only, or audio and video again. */
  async setAudioOnly(on: boolean): Promise<void> {
    useStore.getState().setAudioOnly(on);
    if (this.#recvTransport) await this.request('setAudioOnly', { on });
  }

  // Hand and speaking: a teacher's own actions.
  /**
   * Raises or lowers the hand. While disconnected the wish is kept (the button says so) and sent
   * once the join flow has run again; a wish that matches the state found then is dropped.
   */
  async setHand(want: boolean): Promise<void> {
    const store = useStore.getState();
    if (!this.#joined) {
      store.setPendingHand(want === store.speakState.handRaised ? null : want);
      return;
    }
    store.setPendingHand(null);
    try {
      await this.request(want ? 'raiseHand' : 'lowerHand', {});
      this.#setHand(want);
    } catch (error) {
      // The connection dropped under the request: keep the wish for the rejoin.
      if (!this.#joined && !(error instanceof RequestError)) store.setPendingHand(want);
      else throw error;
    }
  }

  /** Sends a hand change asked for while disconnected. */
  async #flushPendingHand(): Promise<void> {
    const want = useStore.getState().pendingHand;
    if (want === null) return;
    await this.setHand(want);
  }

  #setHand(handRaised: boolean): void {
    const store = useStore.getState();
    store.setSpeakState({ ...store.speakState, handRaised });
  }

  respondInvitation(accept: boolean): Promise<unknown> {
    return this.request('respondInvitation', { accept });
  }

  stopSpeaking(): Promise<unknown> {
    return this.request('stopSpeaking', {});
  }

  // Host actions.
  inviteSpeaker(userId: string, allowVideo: boolean): Promise<unknown> {
    return this.request('inviteSpeaker', { userId, allowVideo });
  }

  muteSpeaker(userId: string, muted: boolean): Promise<unknown> {
    return this.request('muteSpeaker', { userId, muted });
  }

  revokeSpeaker(userId: string): Promise<unknown> {
    return this.request('revokeSpeaker', { userId });
  }

  lowerHands(scope: { scope: 'all' } | { scope: 'province'; province: string } | { scope: 'user'; userId: string }): Promise<unknown> {
    return this.request('lowerHands', scope);
  }

  handQueuePage(offset: number, limit: number): Promise<{ entries: HandEntry[]; total: number }> {
    return this.request('handQueuePage', { offset, limit });
  }

  participantsPage(query: string, province: string | null, offset: number, limit: number): Promise<{ entries: ParticipantEntry[]; total: number }> {
    return this.request('participantsPage', {
      ...(query.trim() ? { query: query.trim() } : {}),
      ...(province ? { province } : {}),
      offset,
      limit,
    });
  }

  get token(): string {
    return this.#token;
  }

  /** Refreshes the token a minute before it expires (or halfway, for short ones). */
  #scheduleRefresh(): void {
    if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
    const exp = tokenExpiry(this.#token);
    if (!exp || !this.#refresh) return;
    const left = exp * 1000 - Date.now();
    const at = Math.max(1_000, Math.min(left - 60_000, left / 2));
    this.#refreshTimer = setTimeout(() => void this.#doRefresh(), Math.min(at, 2 ** 31 - 1));
  }

  async #doRefresh(): Promise<void> {
    try {
      const token = await this.#refresh?.();
      if (!token || this.#closed) return;
      await this.request('refreshToken', { token });
      this.#token = token;
      // A reconnect must present the fresh token.
      (this.#socket.auth as { token: string }).token = token;
    } catch (error) {
      this.#warn('refreshToken', error);
    }
    this.#scheduleRefresh();
  }

  /** The track of a consumer, for a <video>/<audio> element. */
  track(consumerId: string): MediaStreamTrack | undefined {
    return this.#consumers.get(consumerId)?.track;
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

  /** Listens to a server event (for feature modules such as web/src/qa); returns the unsubscribe. */
  on<E extends keyof ServerToClientEvents>(event: E, listener: ServerToClientEvents[E]): () => void {
    const socket = this.#socket as unknown as { on(e: string, l: unknown): void; off(e: string, l: unknown): void };
    socket.on(event, listener);
    return () => socket.off(event, listener);
  }

  request<E extends keyof ClientResultMap>(event: E, payload: unknown): Promise<ClientResultMap[E]> {
    return new Promise((resolve, reject) => {
      (this.#socket.timeout(REQUEST_TIMEOUT_MS).emit as (
        ev: string,
        p: unknown,
        cb: (err: Error | null, res: Ack<ClientResultMap[E]>) => void,
      ) => void)(event, payload, (err, res) => {
        if (err) return reject(err);
        if (res.ok) resolve(res.data);
        else reject(new RequestError(res.error));
      });
    });
  }

  /** Runs the join flow once; if asked again meanwhile, runs it once more afterwards. */
  #scheduleJoin(): void {
    if (this.#closed || this.#ended) return;
    if (this.#joining) {
      this.#joinAgain = true;
      return;
    }
    this.#joined = false;
    this.#joining = this.#join()
      .then(() => {
        this.#moving = false;
        this.#joined = this.#socket.connected;
        useStore.getState().setJoinQueue(null);
        useStore.getState().setStatus('connected');
        return this.#flushPendingHand().catch((e) => this.#warn('pending hand', e));
      })
      .catch((error: unknown) => {
        if (error instanceof RequestError && error.code === 'queued' && error.queue) {
          // Waiting our turn: show the place and poll again when the server says (already jittered).
          useStore.getState().setJoinQueue(error.queue);
          useStore.getState().setStatus('queued');
          this.#retryLater(error.retryAfterMs ?? 5_000);
          return;
        }
        if (error instanceof RequestError && error.code === 'invalid_ticket') {
          // Not a ticket this cluster signed (e.g. its key changed): join as a newcomer.
          this.#resumeTicket = null;
          this.#retryLater(0);
          return;
        }
        if (error instanceof RequestError && error.code === 'not_open') {
          // The page shows a meeting only while it is open: refused now, it has ended.
          this.#end(null);
          return;
        }
        this.#warn('join', error);
        if (error instanceof RequestError && error.code === 'draining') {
          // This node stopped admitting: leave it, and connect again (elsewhere) shortly.
          this.#moving = true;
          useStore.getState().setStatus('moving');
          this.#socket.disconnect();
          this.#retryLater(jitter(error.retryAfterMs ?? 1_000));
          return;
        }
        if (!this.#socket.connected) return; // the disconnect handler has scheduled the retry
        const retry = this.#fallback.retryDelay(error instanceof RequestError && error.retryAfterMs ? error.retryAfterMs : jitter(3_000));
        if (error instanceof RequestError && (error.code === 'forbidden' || error.code === 'unauthorized')) {
          useStore.getState().setStatus('unauthorized');
          return;
        }
        // 'unavailable': the meeting has no room right now; the server's retry-after is jittered.
        // On the delayed stream the socket is joined (hands work): only real time is retried.
        const full = error instanceof RequestError && error.code === 'unavailable';
        if (useStore.getState().mediaPath === 'hls' && this.#joined) {
          useStore.getState().setStatus('connected');
          void this.#flushPendingHand().catch((e) => this.#warn('pending hand', e));
        } else useStore.getState().setStatus(full ? 'full' : 'reconnecting', Date.now() + retry);
        this.#retryLater(retry);
      })
      .finally(() => {
        this.#joining = null;
        if (this.#joinAgain) {
          this.#joinAgain = false;
          this.#scheduleJoin();
        }
      });
  }

  /**
   * The node is draining: at our turn, leave it and connect again through our own retry path (the
   * socket's reconnection is off); the load balancer sends the new connection to another node, and
   * the join flow runs there as after any reconnect.
   */
  #moveAfter(afterMs: number): void {
    this.#moving = true;
    useStore.getState().setStatus('moving');
    if (this.#moveTimer) clearTimeout(this.#moveTimer);
    this.#moveTimer = setTimeout(() => {
      this.#moveTimer = null;
      if (this.#closed) return;
      this.#socket.disconnect();
      this.#retryLater(0);
    }, Math.max(0, Math.min(afterMs, 10 * 60_000)));
  }

  /** Connects (or joins again, if connected) after `ms` (already jittered by the caller). */
  #retryLater(ms: number): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      if (this.#closed || this.#ended) return;
      if (!this.#socket.connected) {
        // A move keeps saying so until the join on the new node is done.
        useStore.getState().setStatus(this.#moving ? 'moving' : 'connecting');
        this.#socket.connect();
      } else this.#scheduleJoin();
    }, ms);
  }

  async #join(): Promise<void> {
    this.#closeMedia();
    const store = useStore.getState();
    const joined = await this.request(
      'join',
      this.#resumeTicket ? { meetingId: this.#meetingId, resumeTicket: this.#resumeTicket } : { meetingId: this.#meetingId },
    );
    this.#resumeTicket = joined.resumeTicket;
    if (store.joinQueue) {
      // Admitted after waiting: the media side comes next.
      store.setJoinQueue(null);
      store.setStatus('connecting');
    }
    store.setSelf(joined.self);
    store.setSession(joined.session);
    store.setBreakouts(joined.breakouts);

    // Teachers may watch the delayed HLS stream instead: by choice (no real-time media), or
    // when WebRTC fails below (the join flow then retries in the background).
    const teacher = !joined.self.canSend && joined.self.role === 'teacher';
    if (teacher && store.hlsChosen) {
      this.#fallback.use('chosen');
      return;
    }
    try {
      await this.#joinMedia(joined);
    } catch (error) {
      // The SFU is full (capacity), or the browser itself failed (no RTCPeerConnection, a
      // transport that cannot be made): the delayed stream meanwhile.
      if (teacher && error instanceof RequestError && error.code === 'unavailable') this.#fallback.use('capacity');
      else if (teacher && !(error instanceof RequestError)) this.#fallback.use('blocked');
      // On the delayed stream the socket stays joined: hands and the rest go over it meanwhile.
      if (useStore.getState().mediaPath === 'hls') this.#joined = this.#socket.connected;
      throw error;
    }
  }

  async #joinMedia(joined: ClientResultMap['join']): Promise<void> {
    const store = useStore.getState();
    const device = new Device();
    await device.load({ routerRtpCapabilities: joined.routerRtpCapabilities as msTypes.RtpCapabilities });
    this.#device = device;

    const recvParams = await this.request('createTransport', { direction: 'recv' });
    const recv = device.createRecvTransport(recvParams as msTypes.TransportOptions);
    this.#recvTransport = recv;
    this.#wireTransport(recv);
    store.setMediaState('new');
    if (!joined.self.canSend) this.#fallback.watch();
    recv.on('connectionstatechange', (state) => {
      if (this.#recvTransport !== recv) return;
      useStore.getState().setMediaState(state);
      if (state === 'connected') this.#fallback.connected();
      if (state === 'failed') this.#scheduleJoin();
    });

    // A weak connection's choice survives reconnects: ask before any video consumer is made.
    if (useStore.getState().audioOnly) await this.request('setAudioOnly', { on: true });
    if (useStore.getState().dataSaver) await this.request('setDataSaver', { on: true });
    // So does the ceiling the page learnt of its link (the server keeps it if this connection has
    // no estimator either).
    const { consumers, massAudience, adaptsLayer } = await this.request('startConsuming', {
      rtpCapabilities: device.rtpCapabilities,
      layerCeiling: this.#link.ceiling,
    });
    useStore.getState().setMassAudienceReceive(massAudience);
    // The SFU estimates this link itself: what the page learnt is dropped (the server did too).
    if (adaptsLayer) this.#link.watch(recv);
    else this.#link.reset();
    await Promise.all(consumers.map((c) => this.#consume(c)));

    if (joined.self.canSend) await this.#setUpSending(device);
  }

  #wireTransport(transport: msTypes.Transport): void {
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.request('connectTransport', { transportId: transport.id, dtlsParameters }).then(() => callback(), errback);
    });
  }

  /** Creates the send transport once, however many events ask for it at the same time. */
  #setUpSending(device: Device): Promise<void> {
    if (!this.#sendSetup) {
      this.#sendSetup = this.#createSending(device).finally(() => {
        this.#sendSetup = null;
      });
    }
    return this.#sendSetup;
  }

  async #createSending(device: Device): Promise<void> {
    if (this.#sendTransport && !this.#sendTransport.closed) return;
    const params = await this.request('createTransport', { direction: 'send' });
    const send = device.createSendTransport(params as msTypes.TransportOptions);
    this.#sendTransport = send;
    this.#wireTransport(send);
    send.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      this.request('produce', { transportId: send.id, kind, rtpParameters, source: appData.source })
        .then(({ producerId }) => callback({ id: producerId }), errback);
    });
    send.on('connectionstatechange', (state) => {
      if (this.#sendTransport === send && state === 'failed') this.#scheduleJoin();
    });
    // Republish what was live before a rejoin.
    for (const [source, track] of this.#localTracks) {
      if (track.readyState === 'live') await this.#produce(source, track);
    }
  }

  async #consume(info: ConsumerInfo): Promise<void> {
    const transport = this.#recvTransport;
    if (!transport || transport.closed) return;
    const consumer = await transport.consume({
      id: info.id,
      producerId: info.producerId,
      kind: info.kind,
      rtpParameters: info.rtpParameters as msTypes.RtpParameters,
      appData: { source: info.source },
    });
    if (this.#recvTransport !== transport || this.#closedEarly.delete(consumer.id)) {
      // Closed on the server (or the transport replaced) while it was being set up: no tile.
      consumer.close();
      return;
    }
    this.#consumers.set(consumer.id, consumer);
    // A track that ends (its transport or producer failed) leaves no dead tile behind.
    consumer.on('trackended', () => this.#dropConsumer(consumer.id));
    consumer.on('transportclose', () => this.#dropConsumer(consumer.id));
    useStore.getState().addRemote({
      consumerId: consumer.id,
      producerId: info.producerId,
      kind: info.kind,
      source: info.source,
      peerId: info.peerId,
      peerName: info.peerName,
      sessionKey: info.sessionKey,
    });
    try {
      await this.request('resumeConsumer', { consumerId: consumer.id });
    } catch (error) {
      // Its producer went away meanwhile (a failed or stopped publish): no orphan tile.
      this.#dropConsumer(consumer.id);
      throw error;
    }
  }

  #dropConsumer(consumerId: string): void {
    this.#askedLayers.delete(consumerId);
    const consumer = this.#consumers.get(consumerId);
    consumer?.close();
    this.#consumers.delete(consumerId);
    useStore.getState().removeRemote(consumerId);
  }

  /** Host: start camera, microphone or screen. */
  async start(source: Source): Promise<void> {
    const store = useStore.getState();
    store.setDeviceError(null);
    let track: MediaStreamTrack | undefined;
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
    }
    if (!track) return;
    this.#localTracks.set(source, track);
    // The browser's own "stop sharing" button ends the track.
    track.addEventListener('ended', () => void this.stop(source));
    store.setPublishing(source, true);
    this.#notify();
    if (this.#sendTransport && !this.#sendTransport.closed) await this.#produce(source, track);
  }

  async #produce(source: Source, track: MediaStreamTrack): Promise<void> {
    const transport = this.#sendTransport;
    if (!transport) return;
    const large = useStore.getState().stats?.massAudience === true;
    const producer = await transport.produce({
      track,
      stopTracks: false,
      encodings: source === 'camera' ? cameraEncodings(large) : source === 'screen' ? SCREEN_ENCODINGS : undefined,
      codecOptions: source === 'mic' ? micCodecOptions(large) : { videoGoogleStartBitrate: 1000 },
      appData: { source },
    });
    this.#producers.set(source, producer);
    // The size may have changed while the producer was being made.
    if (source === 'camera' && (useStore.getState().stats?.massAudience === true) !== large) await this.#applyCameraProfile(!large);
    this.#watchSending();
  }

  /** The meeting became large (or small again): the live camera's middle layer follows. */
  async #applyCameraProfile(large: boolean): Promise<void> {
    const sender = this.#producers.get('camera')?.rtpSender;
    if (!sender) return;
    await applyCameraProfile(sender, large).catch((error) => this.#warn('the camera profile', error));
  }

  /** On air = bytes actually leaving for the SFU (checked every second while producing). */
  #watchSending(): void {
    if (this.#sendPoll) return;
    this.#sendPoll = setInterval(() => void this.#pollSending(), 1_000);
  }

  async #pollSending(): Promise<void> {
    const store = useStore.getState();
    const producers = [...this.#producers.values()].filter((p) => !p.closed);
    if (producers.length === 0) {
      this.#bytesSent = 0;
      this.#stalePolls = 0;
      store.setOnAir(false);
      return;
    }
    let bytes = 0;
    for (const producer of producers) {
      const report = await producer.getStats().catch(() => null);
      report?.forEach((s: { type: string; bytesSent?: number }) => {
        if (s.type === 'outbound-rtp') bytes += s.bytesSent ?? 0;
      });
    }
    if (bytes > this.#bytesSent) {
      this.#stalePolls = 0;
      store.setOnAir(true);
    } else if (++this.#stalePolls >= ON_AIR_STALE_POLLS) {
      store.setOnAir(false);
    }
    this.#bytesSent = bytes;
  }

  /** Host or speaker: stop camera, microphone or screen. */
  async stop(source: Source): Promise<void> {
    const producerId = await this.#stopLocal(source);
    if (producerId) await this.request('closeProducer', { producerId }).catch((e) => this.#warn('closeProducer', e));
  }

  /** Stops a local source and its producer here; returns the producer id it had. */
  async #stopLocal(source: Source): Promise<string | undefined> {
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

  #closeMedia(): void {
    // The ceiling learnt is kept for the next connection (the same link); its watch ends here.
    this.#link.stop();
    for (const c of this.#consumers.values()) c.close();
    this.#consumers.clear();
    this.#askedLayers.clear();
    for (const p of this.#producers.values()) p.close();
    this.#producers.clear();
    this.#recvTransport?.close();
    this.#sendTransport?.close();
    this.#recvTransport = null;
    this.#sendTransport = null;
    this.#device = null;
    useStore.getState().clearRemote();
  }

  #warn(what: string, error: unknown): void {
    console.warn(`hoinghi: ${what} failed:`, error instanceof Error ? `${error.name}: ${error.message}` : error);
  }

  /** Stops everything this client runs: timers, media, local capture (the camera light goes off). */
  #stopAll(): void {
    this.#fallback.close();
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#moveTimer) clearTimeout(this.#moveTimer);
    if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
    if (this.#sendPoll) clearInterval(this.#sendPoll);
    this.#retryTimer = this.#moveTimer = this.#refreshTimer = null;
    this.#sendPoll = null;
    this.#closeMedia();
    this.#link.reset();
    for (const t of this.#localTracks.values()) t.stop();
    this.#localTracks.clear();
    const store = useStore.getState();
    store.setPendingHand(null);
    store.setOnAir(false);
    for (const s of ['camera', 'mic', 'screen'] as const) store.setPublishing(s, false);
  }

  /**
   * The meeting is over: everything stops and nothing is retried; the page says so (status
   * `ended`, and how it ended when the server told us). The server closes the connection.
   */
  #end(info: MeetingEndedInfo | null): void {
    if (this.#closed) return;
    this.#ended = true;
    this.#joined = false;
    this.#stopAll();
    const store = useStore.getState();
    if (info) store.setMeetingEnded(info);
    store.setJoinQueue(null);
    store.setStatus('ended');
  }

  close(): void {
    this.#closed = true;
    this.#stopAll();
    this.#socket.close();
    const store = useStore.getState();
    store.setStatus('idle');
    store.setSelf(null);
    store.setSpeakState(NO_SPEAK_STATE);
  }
}
