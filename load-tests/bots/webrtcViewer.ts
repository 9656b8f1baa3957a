/**
 * A receive-only teacher as a real WebRTC endpoint, without a browser: node-datachannel
 * (libdatachannel) does ICE, DTLS and SRTP against the SFU, and this module speaks hoinghi's own
 * socket protocol (join → createTransport recv → connectTransport → startConsuming →
 * resumeConsumer, as web/src/client/MeetingClient.ts does) and sends the RTCP a browser sends:
 * receiver reports, generic NACKs, and transport-cc feedback or REMB (rtcpFeedback.ts).
 *
 * The SDP offer is built locally (viewerSdp.ts); mediasoup never sees SDP. By default, consumers
 * that arrive after the join (newConsumer) are counted but not received: the fan-out benchmarks'
 * bots join after the host publishes. With `follow`, the bot lives through a whole meeting as a page does: later consumers
 * are received (a new offer with one more m-line each, as mediasoup-client renegotiates), closed
 * ones are dropped (their m-line set to port 0 at the next offer), `rejoin` runs the join flow
 * again on the same socket, and a lost connection is reconnected with the resume ticket.
 *
 * One class of ~480 lines on purpose: the join flow, renegotiation and reconnection all act on the
 * same socket, peer connection and m-lines. What stands alone lives beside it: the socket protocol
 * (viewerProtocol.ts), the SDP (viewerSdp.ts), the RTCP (rtcpFeedback.ts), the counters and the
 * timeline (viewerStats.ts).
 *
 * Usage:
 *   const v = await WebRtcViewer.join({ url, token, meetingId });
 *   await v.firstRtp();          // ms from join() to the first RTP packet
 *   v.stats();                   // packets, bytes, loss, RTCP sent
 *   v.receiving();               // (follow) when RTP last came from each producer
 *   v.close();
 */
import { randomInt } from 'node:crypto';
import { PeerConnection, type Track } from 'node-datachannel';
import { io, type Socket } from 'socket.io-client';
import { setTimeout as sleep } from 'node:timers/promises';
import { RtcpFeedback } from './rtcpFeedback';
import { RequestError, request, type ConsumerInfo, type JoinData, type TransportInfo } from './viewerProtocol';
import { botCapabilities, offerSdp, probator } from './viewerSdp';
import { ViewerTimeline, type WebRtcViewerStats, type WebRtcViewerTimeline } from './viewerStats';

export { RequestError } from './viewerProtocol';
export { offerSdp } from './viewerSdp';
export { GAP_MS, type WebRtcViewerStats, type WebRtcViewerTimeline } from './viewerStats';

export interface WebRtcViewerOptions {
  /** Signaling URL (http://127.0.0.1:port). */
  url: string;
  /** A teacher's access token. */
  token: string;
  meetingId: string;
  /** Negotiate transport-wide congestion control and send its feedback. Default true. */
  transportCc?: boolean;
  /** Without transport-cc: send REMB (default), or no bandwidth feedback at all (false). */
  remb?: boolean;
  /** Send generic NACKs for lost video packets. Default true. */
  nack?: boolean;
  /** Receiver report interval, ms. Default 1000. */
  receiverReportMs?: number;
  /** transport-cc feedback interval, ms. Default 100. */
  feedbackMs?: number;
  /** Deadline for join + ICE + DTLS, ms. Default 30 000. */
  timeoutMs?: number;
  /**
   * Live through the meeting as a page does (see above): receive later consumers, run the join flow
   * again on `rejoin` or after a failed step, reconnect a lost connection (to `url`, e.g. the load
   * balancer) with the resume ticket, and accept a join with nothing on air yet. Default false.
   */
  follow?: boolean;
  /** Told of every request's round trip as it ends: the event, ms, and 'ok', the error code, or 'timeout'. */
  onAck?: (event: string, ms: number, outcome: string) => void;
}

/** ±25 %, so that bots that lost the same server do not all come back in the same millisecond. */
const jitter = (ms: number): number => Math.round(ms * (0.75 + Math.random() * 0.5));

export class WebRtcViewer {
  readonly #opts: Required<Omit<WebRtcViewerOptions, 'url' | 'token' | 'meetingId' | 'onAck'>>;
  readonly #url: string;
  readonly #token: string;
  readonly #meetingId: string;
  readonly #onAck: WebRtcViewerOptions['onAck'];
  #socket: Socket;
  /** The peer connection of the current receive transport (a new one per run of the join flow). */
  #pc: PeerConnection | null = null;
  #answered: ((sdp: string) => void) | null = null;
  #tracks: Track[] = [];
  readonly #senderSsrc = randomInt(1, 2 ** 31);
  readonly #t0: number;
  readonly #timers: NodeJS.Timeout[] = [];
  #firstRtp: { resolve: (ms: number) => void; promise: Promise<number> };
  readonly #stats: WebRtcViewerStats = {
    rtpPackets: 0,
    rtpBytes: 0,
    gaps: 0,
    rtcpReceived: 0,
    receiverReports: 0,
    nacks: 0,
    transportCcFeedbacks: 0,
    remb: 0,
    firstRtpMs: null,
    consumers: 0,
    lateConsumers: 0,
  };
  /** Receive state per stream, and the RTCP the bot sends from it. */
  readonly #rtcp: RtcpFeedback;
  #closed = false;
  #timersStarted = false;

  // ---- follow: the state a page keeps across consumers, rejoins and reconnects -----------------
  #transport: TransportInfo | null = null;
  /** The current transport's m-lines, in order, closed ones included. */
  #offered: ConsumerInfo[] = [];
  readonly #closedConsumers = new Set<string>();
  /** Consumers announced and not yet negotiated. */
  #pending: ConsumerInfo[] = [];
  /** Whether the current transport is negotiated and connected (later consumers renegotiate). */
  #ready = false;
  #resumeTicket: string | undefined;
  #sessionKey: string | null = null;
  readonly #timeline = new ViewerTimeline();
  /** Media work (join flows, renegotiations) runs one at a time, in order. */
  #chain: Promise<void> = Promise.resolve();
  #flowQueued = false;
  #flowFailures = 0;
  #reconnecting = false;
  #reconnectAttempt = 0;
  readonly #listeners: [string, (...args: never[]) => void][] = [];

  private constructor(socket: Socket, opts: WebRtcViewerOptions, t0: number) {
    this.#socket = socket;
    this.#t0 = t0;
    this.#url = opts.url;
    this.#token = opts.token;
    this.#meetingId = opts.meetingId;
    this.#onAck = opts.onAck;
    this.#opts = {
      transportCc: opts.transportCc ?? true,
      remb: opts.remb ?? true,
      nack: opts.nack ?? true,
      receiverReportMs: opts.receiverReportMs ?? 1000,
      feedbackMs: opts.feedbackMs ?? 100,
      timeoutMs: opts.timeoutMs ?? 30_000,
      follow: opts.follow ?? false,
    };
    this.#rtcp = new RtcpFeedback({ senderSsrc: this.#senderSsrc, nack: this.#opts.nack, stats: this.#stats, send: (packet) => this.#send(packet) });
    let resolve!: (ms: number) => void;
    const promise = new Promise<number>((r) => (resolve = r));
    this.#firstRtp = { resolve, promise };
    this.#wire(socket);
  }

  /**
   * Joins the meeting as a viewer; resolves once ICE and DTLS are up and every consumer is resumed.
   * With `follow`, a join told to wait (admission) or failing on the way is tried again, as a page
   * does, until `timeoutMs` has passed.
   */
  static async join(opts: WebRtcViewerOptions): Promise<WebRtcViewer> {
    const t0 = performance.now();
    const socket = io(opts.url, { transports: ['websocket'], auth: { token: opts.token }, reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (e) => reject(e));
    });
    const viewer = new WebRtcViewer(socket, opts, t0);
    try {
      if (!viewer.#opts.follow) await viewer.#joinFlow();
      else await viewer.#firstJoin(Date.now() + viewer.#opts.timeoutMs);
    } catch (error) {
      viewer.close();
      throw error;
    }
    return viewer;
  }

  #wire(socket: Socket): void {
    socket.on('newConsumer', (c: ConsumerInfo) => {
      this.#stats.lateConsumers += 1;
      if (!this.#opts.follow || socket !== this.#socket) return;
      this.#pending.push(c);
      this.#enqueue(() => this.#renegotiate());
    });
    if (this.#opts.follow) {
      socket.on('consumerClosed', ({ consumerId }: { consumerId: string }) => {
        this.#closedConsumers.add(consumerId);
        this.#pending = this.#pending.filter((c) => c.id !== consumerId);
      });
      socket.on('sessionChanged', (info: { key: string }) => (this.#sessionKey = info.key));
      socket.on('rejoin', () => {
        this.#timeline.dropped('rejoin');
        this.#scheduleFlow(0);
      });
      socket.on('disconnect', () => {
        if (this.#closed || socket !== this.#socket) return;
        this.#timeline.dropped('disconnect');
        this.#reconnectLater();
      });
    }
    for (const [event, handler] of this.#listeners) socket.on(event, handler as (...args: unknown[]) => void);
  }

  /** Sends a request on the current connection and resolves with its data; onAck hears how it went. */
  request<T>(event: string, payload: unknown, timeoutMs = this.#opts.timeoutMs): Promise<T> {
    return request<T>(this.#socket, event, payload, timeoutMs, this.#onAck);
  }

  /** Listens to a server event, on this connection and on those after a reconnect. */
  on(event: string, handler: (...args: never[]) => void): void {
    this.#listeners.push([event, handler]);
    this.#socket.on(event, handler as (...args: unknown[]) => void);
  }

  #enqueue(work: () => Promise<void>): void {
    this.#chain = this.#chain.then(work).catch(() => {
      // A renegotiation failed (the transport went meanwhile): the next join flow starts afresh.
      if (!this.#closed) this.#scheduleFlow(jitter(1_000));
    });
  }

  /** The first join (follow): tried again as told while queued, or after a failure, until `deadline`. */
  async #firstJoin(deadline: number): Promise<void> {
    for (;;) {
      try {
        await this.#joinFlow();
        return;
      } catch (error) {
        const wait = error instanceof RequestError && error.retryAfterMs !== undefined ? error.retryAfterMs : jitter(1_000);
        if (Date.now() + wait > deadline || this.#closed) throw error;
        await sleep(wait);
      }
    }
  }

  /** Runs the join flow again soon (after `rejoin`, a reconnect or a failed step); once if asked twice. */
  #scheduleFlow(delayMs: number): void {
    if (this.#closed || this.#flowQueued) return;
    this.#flowQueued = true;
    setTimeout(() => {
      this.#chain = this.#chain.then(async () => {
        this.#flowQueued = false;
        if (this.#closed || !this.#socket.connected) return;
        try {
          await this.#joinFlow();
          this.#flowFailures = 0;
        } catch (error) {
          if (this.#closed || !this.#socket.connected) return;
          this.#flowFailures += 1;
          const hint = error instanceof RequestError ? error.retryAfterMs : undefined;
          this.#scheduleFlow(hint ?? jitter(Math.min(5_000, 500 * 2 ** this.#flowFailures)));
        }
      });
    }, delayMs);
  }

  #reconnectLater(): void {
    if (this.#closed || this.#reconnecting) return;
    this.#reconnecting = true;
    const delay = jitter(Math.min(5_000, 500 * 2 ** this.#reconnectAttempt));
    this.#reconnectAttempt += 1;
    setTimeout(() => {
      if (this.#closed) return;
      this.#socket.removeAllListeners();
      this.#socket.close();
      const socket = io(this.#url, { transports: ['websocket'], auth: { token: this.#token }, reconnection: false, forceNew: true });
      this.#socket = socket;
      this.#wire(socket);
      socket.once('connect', () => {
        this.#reconnecting = false;
        this.#reconnectAttempt = 0;
        this.#scheduleFlow(0);
      });
      socket.once('connect_error', () => {
        this.#reconnecting = false;
        this.#reconnectLater();
      });
    }, delay);
  }

  /**
   * join → createTransport recv → startConsuming → (a new peer connection) connectTransport →
   * resumeConsumer, as a page does; the previous transport's peer connection closes when the new
   * transport replaces it on the server.
   */
  async #joinFlow(): Promise<void> {
    const t = this.#opts.timeoutMs;
    const startedAt = Date.now();
    this.#ready = false;
    const join = await this.request<JoinData>('join', this.#resumeTicket ? { meetingId: this.#meetingId, resumeTicket: this.#resumeTicket } : { meetingId: this.#meetingId }, t);
    this.#resumeTicket = join.resumeTicket;
    if (join.session) this.#sessionKey = join.session.key;
    const transport = await this.request<TransportInfo>('createTransport', { direction: 'recv' }, t);
    this.#closePc();
    this.#transport = transport;
    this.#offered = [];
    this.#pending = [];
    this.#closedConsumers.clear();
    this.#rtcp.reset();
    this.#timeline.clearStreams();
    const caps = botCapabilities(join.routerRtpCapabilities, this.#opts.transportCc, this.#opts.remb);
    const { consumers } = await this.request<{ consumers: ConsumerInfo[] }>('startConsuming', { rtpCapabilities: caps }, t);
    this.#stats.consumers = consumers.length;
    if (consumers.length === 0 && !this.#opts.follow) throw new Error('nothing to consume: is the host publishing?');
    if (this.#opts.follow) this.#timeline.flowStarted(startedAt);
    this.#offered = [...consumers];
    for (const c of consumers) this.#track(c);
    this.#addProbator();

    const pc = new PeerConnection(`viewer-${this.#senderSsrc}`, { iceServers: [], forceMediaTransport: true });
    this.#pc = pc;
    const connected = new Promise<void>((resolve, reject) => {
      pc.onStateChange((state) => {
        if (state === 'connected') resolve();
        if (state === 'failed' || state === 'closed') reject(new Error(`peer connection ${state}`));
      });
    });
    connected.catch(() => undefined);
    pc.onLocalDescription((sdp) => {
      const answered = this.#answered;
      this.#answered = null;
      answered?.(sdp);
    });
    pc.onTrack((track) => {
      if (this.#pc !== pc) return;
      this.#tracks.push(track);
      track.onMessage((msg) => this.#onPacket(msg));
    });
    const sdp = await this.#negotiate(pc, transport);
    const fp = /a=fingerprint:(\S+) (\S+)/.exec(sdp);
    if (!fp) throw new Error('no fingerprint in the local answer');
    // Our answer says setup:active: the bot is the DTLS client.
    await this.request('connectTransport', {
      transportId: transport.id,
      dtlsParameters: { role: 'client', fingerprints: [{ algorithm: fp[1]!.toLowerCase(), value: fp[2]! }] },
    }, t);
    await Promise.race([connected, sleep(t).then(() => Promise.reject(new Error('ICE/DTLS did not connect in time')))]);
    for (const c of consumers) await this.request('resumeConsumer', { consumerId: c.id }, t);
    this.#startTimers();
    this.#ready = true;
    // Consumers announced while this ran.
    if (this.#pending.length > 0) await this.#renegotiate();
  }

  /** Follow: the m-line of mediasoup's bandwidth probation stream, with the first video consumer (see probator()). */
  #addProbator(): void {
    if (!this.#opts.follow) return;
    const m = probator(this.#offered);
    if (m) this.#offered.push(m);
  }

  /** Offers the current m-lines and resolves with the local answer. */
  async #negotiate(pc: PeerConnection, transport: TransportInfo): Promise<string> {
    const answer = new Promise<string>((resolve) => (this.#answered = resolve));
    pc.setRemoteDescription(offerSdp(transport, this.#offered, this.#closedConsumers), 'offer');
    return Promise.race([answer, sleep(this.#opts.timeoutMs).then(() => Promise.reject(new Error('no local answer')))]);
  }

  /** Receives the consumers announced since the last negotiation: a new offer, then resume them. */
  async #renegotiate(): Promise<void> {
    const pc = this.#pc;
    const transport = this.#transport;
    if (!this.#ready || !pc || !transport) return; // the running join flow takes them
    const fresh = this.#pending.splice(0).filter((c) => !this.#closedConsumers.has(c.id));
    if (fresh.length === 0) return;
    this.#offered.push(...fresh);
    for (const c of fresh) this.#track(c);
    this.#addProbator();
    await this.#negotiate(pc, transport);
    // One closed meanwhile answers not_found: the page's race too, and harmless.
    for (const c of fresh) await this.request('resumeConsumer', { consumerId: c.id }).catch(() => undefined);
  }

  #closePc(): void {
    const pc = this.#pc;
    this.#pc = null;
    this.#tracks = [];
    this.#answered = null;
    try {
      pc?.close();
    } catch {
      // already closed
    }
  }

  #startTimers(): void {
    if (this.#timersStarted) return;
    this.#timersStarted = true;
    const follow = this.#opts.follow;
    this.#timers.push(setInterval(() => this.#rtcp.sendReceiverReports(), this.#opts.receiverReportMs));
    // A following bot may learn of transport-cc only from a later consumer: both timers, each
    // checking at its tick.
    if (this.#rtcp.transportCc || follow) this.#timers.push(setInterval(() => this.#rtcp.transportCc && this.#rtcp.sendTransportCc(), this.#opts.feedbackMs));
    if ((!this.#rtcp.transportCc || follow) && this.#opts.remb) this.#timers.push(setInterval(() => !this.#rtcp.transportCc && this.#rtcp.sendRemb(), this.#opts.receiverReportMs));
  }

  #track(c: ConsumerInfo): void {
    this.#rtcp.track(c);
    const ssrc = c.rtpParameters.encodings?.[0]?.ssrc;
    if (ssrc !== undefined && c.producerId) this.#timeline.track(ssrc, c.producerId);
  }

  #onPacket(msg: Buffer): void {
    if (msg.length < 8) return;
    const pt = msg[1]!;
    if (pt >= 192 && pt <= 223) {
      this.#rtcp.onRtcp(msg);
      return;
    }
    const now = performance.now();
    if (this.#stats.firstRtpMs === null) {
      this.#stats.firstRtpMs = now - this.#t0;
      this.#firstRtp.resolve(this.#stats.firstRtpMs);
    }
    this.#stats.rtpPackets += 1;
    this.#stats.rtpBytes += msg.length;
    if (this.#opts.follow) this.#timeline.heard(msg.readUInt32BE(8));
    this.#rtcp.onRtp(msg, now);
  }

  #send(packet: Buffer): void {
    if (this.#closed) return;
    // The first m-line may have closed since (follow): any open track carries the RTCP.
    const track = this.#tracks.find((t) => t.isOpen());
    if (!track?.isOpen()) return;
    try {
      track.sendMessageBinary(packet);
    } catch {
      // The track closed under us.
    }
  }

  /** Resolves with ms from join() to the first RTP packet. */
  firstRtp(): Promise<number> {
    return this.#firstRtp.promise;
  }

  stats(): WebRtcViewerStats {
    return { ...this.#stats };
  }

  /** Follow: epoch ms of the last RTP packet from each producer received on the current transport. */
  receiving(): Record<string, number> {
    const live = new Set(this.#offered.filter((c) => !this.#closedConsumers.has(c.id)).map((c) => c.producerId));
    return this.#timeline.lastRtpFrom(live);
  }

  /** Follow: the producers this bot holds a consumer of now (announced, not closed; negotiated or about to be). */
  offered(): string[] {
    return [...this.#offered, ...this.#pending].filter((c) => !this.#closedConsumers.has(c.id) && c.producerId).map((c) => c.producerId!);
  }

  /** Follow: silences, join flows and drops so far. */
  timeline(): WebRtcViewerTimeline {
    return this.#timeline.snapshot();
  }

  /** Follow: the session the server last put this bot in ('main' or a province code). */
  get sessionKey(): string | null {
    return this.#sessionKey;
  }

  /** Follow: the last RTP packet received (epoch ms, 0: none yet). */
  get lastRtpAt(): number {
    return this.#timeline.lastRtpAt;
  }

  /** Whether the connection (socket.io) is up. */
  get connected(): boolean {
    return this.#socket.connected;
  }

  /** Whether the connection is up and the last join flow finished. */
  get joined(): boolean {
    return this.#socket.connected && this.#ready;
  }

  /** Follow: drops the connection as a network would; the bot reconnects and joins again by itself. */
  dropConnection(): void {
    this.#socket.disconnect();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    this.#closePc();
    this.#socket.removeAllListeners();
    this.#socket.close();
  }
}
