/**
 * A receive-only teacher as a real WebRTC endpoint, without a browser: node-datachannel
 * (libdatachannel) does ICE, DTLS and SRTP against the SFU, and this module speaks hoinghi's own
 * socket protocol (join → createTransport recv → connectTransport → startConsuming →
 * resumeConsumer, as web/src/client/MeetingClient.ts does) and the RTCP a browser sends:
 *
 * - receiver reports every second for every stream (fraction lost, cumulative loss, highest
 *   sequence number, jitter, LSR/DLSR from the SFU's sender reports);
 * - generic NACKs for sequence gaps of video streams (when the consumer offers `nack`);
 * - transport-wide congestion control feedback every 100 ms when the transport-cc header
 *   extension is negotiated (`transportCc: true`, as Chromium does), or REMB otherwise.
 *
 * The SDP is built locally from the server's ICE/DTLS/RTP parameters, as mediasoup-client builds
 * its remote offer; mediasoup never sees SDP. By default, consumers that arrive after the join
 * (newConsumer) are counted but not received: the fan-out benchmarks' bots join after the host
 * publishes. With `follow`, the bot lives through a whole meeting as a page does: later consumers
 * are received (a new offer with one more m-line each, as mediasoup-client renegotiates), closed
 * ones are dropped (their m-line set to port 0 at the next offer), `rejoin` runs the join flow
 * again on the same socket, and a lost connection is reconnected with the resume ticket.
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

const TRANSPORT_CC_URI = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';

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

/** What a following bot lived through (epoch ms, comparable across processes). */
export interface WebRtcViewerTimeline {
  /** Silences of more than GAP_MS between two RTP packets. */
  gaps: { from: number; to: number }[];
  /** Each run of the join flow: when it started, and its first RTP packet (null: none yet). */
  flows: { startedAt: number; firstRtpAt: number | null }[];
  /** Connection losses and the server's `rejoin` requests. */
  drops: { at: number; why: 'disconnect' | 'rejoin' }[];
  /** The last RTP packet (0: none yet): a silence still going on shows here, not in `gaps`. */
  lastRtpAt: number;
}

/** mediasoup's bandwidth probation stream (RTP_PROBATOR_SSRC), and the mid mediasoup-client gives it. */
const PROBATOR_SSRC = 1234;
const PROBATOR_ID = 'probator';

/** A silence in the received RTP longer than this is a gap (the host's audio alone sends 50 packets a second). */
export const GAP_MS = 1_000;

export interface WebRtcViewerStats {
  rtpPackets: number;
  rtpBytes: number;
  /** Packets missing from the sequence numbers seen so far (before any retransmission). */
  gaps: number;
  rtcpReceived: number;
  receiverReports: number;
  nacks: number;
  transportCcFeedbacks: number;
  remb: number;
  /** ms from join() to the first RTP packet; null before it. */
  firstRtpMs: number | null;
  consumers: number;
  /** Consumers announced after the join (received only with `follow`). */
  lateConsumers: number;
}

type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

interface RtpCodec {
  mimeType: string;
  payloadType: number;
  clockRate: number;
  channels?: number;
  parameters?: Record<string, string | number>;
  rtcpFeedback?: { type: string; parameter?: string }[];
}
interface ConsumerInfo {
  id: string;
  producerId?: string;
  kind: 'audio' | 'video';
  rtpParameters: {
    mid?: string;
    codecs: RtpCodec[];
    headerExtensions?: { uri: string; id: number }[];
    encodings?: { ssrc?: number; rtx?: { ssrc: number } }[];
    rtcp?: { cname?: string };
  };
}
interface TransportInfo {
  id: string;
  iceParameters: { usernameFragment: string; password: string };
  iceCandidates: { foundation: string; priority: number; ip: string; port: number; protocol: 'udp' | 'tcp'; type: string }[];
  dtlsParameters: { fingerprints: { algorithm: string; value: string }[] };
}
type RouterCapabilities = { codecs?: RtpCodec[]; headerExtensions?: { uri: string; kind: string }[] };

/** Per-SSRC receive state for receiver reports and NACKs. */
interface StreamState {
  ssrc: number;
  clockRate: number;
  video: boolean;
  baseSeq: number;
  maxSeq: number;
  cycles: number;
  received: number;
  expectedPrior: number;
  receivedPrior: number;
  jitter: number;
  lastTransit: number;
  lastSrNtpMiddle: number;
  lastSrAt: number;
}


/**
 * The SDP offer the SFU would make for these consumers (one BUNDLEd m-line each, ICE-lite); the
 * m-lines of `closed` consumers are kept in place with port 0, as mediasoup-client closes them.
 */
export function offerSdp(transport: TransportInfo, consumers: ConsumerInfo[], closed: ReadonlySet<string> = new Set()): string {
  const fp = transport.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256') ?? transport.dtlsParameters.fingerprints[0]!;
  const mids = consumers.map((c, i) => c.rtpParameters.mid ?? String(i));
  const lines = [
    'v=0',
    `o=hoinghi-sfu ${randomInt(1, 2 ** 31)} 1 IN IP4 0.0.0.0`,
    's=-',
    't=0 0',
    'a=ice-lite',
    `a=fingerprint:${fp.algorithm} ${fp.value}`,
    `a=group:BUNDLE ${mids.join(' ')}`,
    'a=msid-semantic: WMS *',
  ];
  const udp = transport.iceCandidates.filter((c) => c.protocol === 'udp');
  consumers.forEach((c, i) => {
    const rtp = c.rtpParameters;
    const pts = rtp.codecs.map((x) => x.payloadType);
    lines.push(`m=${c.kind} ${closed.has(c.id) ? 0 : 7} UDP/TLS/RTP/SAVPF ${pts.join(' ')}`, 'c=IN IP4 127.0.0.1', 'a=rtcp:9 IN IP4 0.0.0.0');
    lines.push(`a=ice-ufrag:${transport.iceParameters.usernameFragment}`, `a=ice-pwd:${transport.iceParameters.password}`);
    for (const cand of udp) lines.push(`a=candidate:${cand.foundation} 1 udp ${cand.priority} ${cand.ip} ${cand.port} typ host`);
    lines.push('a=end-of-candidates', 'a=setup:actpass', `a=mid:${mids[i]}`);
    // sendrecv, not sendonly: libdatachannel only lets a track send RTCP from the application
    // when its direction allows sending. The SFU never reads this SDP.
    lines.push(closed.has(c.id) ? 'a=inactive' : 'a=sendrecv', 'a=rtcp-mux', 'a=rtcp-rsize');
    for (const codec of rtp.codecs) {
      const [, name] = codec.mimeType.split('/');
      lines.push(`a=rtpmap:${codec.payloadType} ${name}/${codec.clockRate}${codec.channels && codec.channels > 1 ? `/${codec.channels}` : ''}`);
      const params = Object.entries(codec.parameters ?? {});
      if (params.length) lines.push(`a=fmtp:${codec.payloadType} ${params.map(([k, v]) => `${k}=${v}`).join(';')}`);
      for (const fb of codec.rtcpFeedback ?? []) lines.push(`a=rtcp-fb:${codec.payloadType} ${fb.type}${fb.parameter ? ` ${fb.parameter}` : ''}`);
    }
    for (const ext of rtp.headerExtensions ?? []) lines.push(`a=extmap:${ext.id} ${ext.uri}`);
    const enc = rtp.encodings?.[0];
    const cname = rtp.rtcp?.cname ?? 'hoinghi';
    if (enc?.ssrc !== undefined) {
      if (enc.rtx) lines.push(`a=ssrc-group:FID ${enc.ssrc} ${enc.rtx.ssrc}`);
      lines.push(`a=ssrc:${enc.ssrc} cname:${cname}`, `a=ssrc:${enc.ssrc} msid:hoinghi ${c.id}`);
      if (enc.rtx) lines.push(`a=ssrc:${enc.rtx.ssrc} cname:${cname}`, `a=ssrc:${enc.rtx.ssrc} msid:hoinghi ${c.id}`);
    }
  });
  return lines.join('\r\n') + '\r\n';
}

/**
 * Capabilities the bot announces: the router's, minus transport-cc when it is not wanted, and
 * minus REMB too without any bandwidth feedback (`remb: false`: mediasoup then runs no bandwidth
 * estimator for the viewer at all).
 */
function botCapabilities(router: RouterCapabilities, transportCc: boolean, remb = true): RouterCapabilities {
  if (transportCc) return router;
  return {
    codecs: (router.codecs ?? []).map((c) => ({ ...c, rtcpFeedback: (c.rtcpFeedback ?? []).filter((f) => f.type !== 'transport-cc' && (remb || f.type !== 'goog-remb')) })),
    headerExtensions: (router.headerExtensions ?? []).filter((h) => h.uri !== TRANSPORT_CC_URI),
  };
}

/** NTP "middle 32 bits" of now, for LSR bookkeeping. */
function ntpMiddle(ntpSec: number, ntpFrac: number): number {
  return ((ntpSec & 0xffff) << 16) | (ntpFrac >>> 16);
}

/** A request the server refused (or left unanswered: code `timeout`), with its retry hint. */
export class RequestError extends Error {
  constructor(
    readonly event: string,
    readonly code: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

interface JoinData {
  routerRtpCapabilities: RouterCapabilities;
  resumeTicket?: string;
  session?: { key: string };
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
  readonly #streams = new Map<number, StreamState>();
  readonly #senderSsrc = randomInt(1, 2 ** 31);
  readonly #t0: number;
  readonly #timers: NodeJS.Timeout[] = [];
  #twccExtId = 0;
  #rembSsrcs: number[] = [];
  /** transport-cc: (wide sequence, arrival µs) since the last feedback. */
  #twcc: [number, number][] = [];
  #twccFbCount = 0;
  #twccLastSeq = -1;
  #firstRtp: { resolve: (ms: number) => void; promise: Promise<number> };
  #stats: WebRtcViewerStats = {
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
  readonly #producerOf = new Map<number, string>();
  readonly #lastRtpAt = new Map<string, number>();
  #lastAnyRtpAt = 0;
  #resumeTicket: string | undefined;
  #sessionKey: string | null = null;
  readonly #timeline: Omit<WebRtcViewerTimeline, 'lastRtpAt'> = { gaps: [], flows: [], drops: [] };
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
        this.#timeline.drops.push({ at: Date.now(), why: 'rejoin' });
        this.#scheduleFlow(0);
      });
      socket.on('disconnect', () => {
        if (this.#closed || socket !== this.#socket) return;
        this.#timeline.drops.push({ at: Date.now(), why: 'disconnect' });
        this.#reconnectLater();
      });
    }
    for (const [event, handler] of this.#listeners) socket.on(event, handler as (...args: unknown[]) => void);
  }

  /** Sends a request on the current connection and resolves with its data; onAck hears how it went. */
  request<T>(event: string, payload: unknown, timeoutMs = this.#opts.timeoutMs): Promise<T> {
    const socket = this.#socket;
    const started = performance.now();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#onAck?.(event, performance.now() - started, 'timeout');
        reject(new RequestError(event, 'timeout', `${event}: no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      socket.emit(event, payload, (res: Ack<T> & { error?: { retryAfterMs?: number } }) => {
        clearTimeout(timer);
        this.#onAck?.(event, performance.now() - started, res.ok ? 'ok' : res.error.code);
        if (res.ok) resolve(res.data);
        else reject(new RequestError(event, res.error.code, `${event}: ${res.error.code} ${res.error.message}`, res.error.retryAfterMs));
      });
    });
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
    this.#streams.clear();
    this.#producerOf.clear();
    this.#rembSsrcs = [];
    this.#twcc = [];
    this.#twccLastSeq = -1;
    const caps = botCapabilities(join.routerRtpCapabilities, this.#opts.transportCc, this.#opts.remb);
    const { consumers } = await this.request<{ consumers: ConsumerInfo[] }>('startConsuming', { rtpCapabilities: caps }, t);
    this.#stats.consumers = consumers.length;
    if (consumers.length === 0 && !this.#opts.follow) throw new Error('nothing to consume: is the host publishing?');
    if (this.#opts.follow) this.#timeline.flows.push({ startedAt, firstRtpAt: null });
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

  /**
   * Follow: the m-line of mediasoup's bandwidth probation stream (SSRC 1234), added with the first
   * video consumer as mediasoup-client adds its 'probator'. Without it libdatachannel drops the
   * probation packets (an SSRC it was not told of), no transport-cc feedback answers them, and an
   * estimate that fell below the lowest layer (video stopped, audio carries no transport-cc) never
   * climbs back: the bot would see no video again where a browser recovers.
   */
  #addProbator(): void {
    if (!this.#opts.follow || this.#offered.some((c) => c.id === PROBATOR_ID)) return;
    const video = this.#offered.find((c) => c.kind === 'video');
    if (!video) return;
    const rtp = video.rtpParameters;
    const media = rtp.codecs.find((x) => !/\/(rtx|red|ulpfec)$/i.test(x.mimeType)) ?? rtp.codecs[0]!;
    this.#offered.push({
      id: PROBATOR_ID,
      kind: 'video',
      rtpParameters: { mid: PROBATOR_ID, codecs: [media], headerExtensions: rtp.headerExtensions, encodings: [{ ssrc: PROBATOR_SSRC }], rtcp: { cname: 'probator' } },
    });
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
    this.#timers.push(setInterval(() => this.#sendReceiverReports(), this.#opts.receiverReportMs));
    // A following bot may learn of transport-cc only from a later consumer: both timers, each
    // checking at its tick.
    if (this.#twccExtId || follow) this.#timers.push(setInterval(() => this.#twccExtId && this.#sendTransportCc(), this.#opts.feedbackMs));
    if ((!this.#twccExtId || follow) && this.#opts.remb) this.#timers.push(setInterval(() => !this.#twccExtId && this.#sendRemb(), this.#opts.receiverReportMs));
  }

  #track(c: ConsumerInfo): void {
    const rtp = c.rtpParameters;
    const media = rtp.codecs.find((x) => !/\/(rtx|red|ulpfec)$/i.test(x.mimeType)) ?? rtp.codecs[0]!;
    const twcc = rtp.headerExtensions?.find((h) => h.uri === TRANSPORT_CC_URI);
    if (twcc) this.#twccExtId = twcc.id;
    const enc = rtp.encodings?.[0];
    if (enc?.ssrc === undefined) return;
    if (c.producerId) this.#producerOf.set(enc.ssrc, c.producerId);
    const video = c.kind === 'video';
    const nack = video && this.#opts.nack && (media.rtcpFeedback ?? []).some((f) => f.type === 'nack' && !f.parameter);
    this.#streams.set(enc.ssrc, {
      ssrc: enc.ssrc,
      clockRate: media.clockRate,
      video: nack,
      baseSeq: -1,
      maxSeq: 0,
      cycles: 0,
      received: 0,
      expectedPrior: 0,
      receivedPrior: 0,
      jitter: 0,
      lastTransit: 0,
      lastSrNtpMiddle: 0,
      lastSrAt: 0,
    });
    this.#rembSsrcs.push(enc.ssrc);
  }

  #onPacket(msg: Buffer): void {
    if (msg.length < 8) return;
    const pt = msg[1]!;
    if (pt >= 192 && pt <= 223) {
      this.#onRtcp(msg);
      return;
    }
    const now = performance.now();
    if (this.#stats.firstRtpMs === null) {
      this.#stats.firstRtpMs = now - this.#t0;
      this.#firstRtp.resolve(this.#stats.firstRtpMs);
    }
    this.#stats.rtpPackets += 1;
    this.#stats.rtpBytes += msg.length;
    const seq = msg.readUInt16BE(2);
    const ts = msg.readUInt32BE(4);
    const ssrc = msg.readUInt32BE(8);
    if (this.#opts.follow) this.#heard(ssrc);
    if (this.#twccExtId && (msg[0]! & 0x10) !== 0) this.#readTwcc(msg, now);
    const s = this.#streams.get(ssrc);
    if (!s) return; // RTX and probation packets
    s.received += 1;
    if (s.baseSeq < 0) {
      s.baseSeq = seq;
      s.maxSeq = seq;
    } else {
      const delta = (seq - s.maxSeq + 0x10000) & 0xffff;
      if (delta > 0 && delta < 0x8000) {
        if (delta > 1) {
          this.#stats.gaps += delta - 1;
          if (s.video) this.#sendNack(s.ssrc, s.maxSeq + 1, delta - 1);
        }
        if (seq < s.maxSeq) s.cycles += 0x10000;
        s.maxSeq = seq;
      }
    }
    // Interarrival jitter (RFC 3550 A.8), in timestamp units.
    const arrival = Math.round((now / 1000) * s.clockRate);
    const transit = arrival - ts;
    if (s.lastTransit !== 0) s.jitter += (Math.abs(transit - s.lastTransit) - s.jitter) / 16;
    s.lastTransit = transit;
  }

  #readTwcc(msg: Buffer, now: number): void {
    const cc = msg[0]! & 0x0f;
    let off = 12 + cc * 4;
    if (msg.length < off + 4 || msg.readUInt16BE(off) !== 0xbede) return;
    const words = msg.readUInt16BE(off + 2);
    off += 4;
    const end = off + words * 4;
    while (off < end && off < msg.length) {
      const b = msg[off]!;
      if (b === 0) {
        off += 1;
        continue;
      }
      const id = b >> 4;
      const len = (b & 0x0f) + 1;
      if (id === this.#twccExtId && len === 2) {
        this.#twcc.push([msg.readUInt16BE(off + 1), Math.round(now * 1000)]);
        return;
      }
      off += 1 + len;
    }
  }

  #onRtcp(msg: Buffer): void {
    this.#stats.rtcpReceived += 1;
    let off = 0;
    while (off + 8 <= msg.length) {
      const pt = msg[off + 1]!;
      const len = (msg.readUInt16BE(off + 2) + 1) * 4;
      if (pt === 200 && off + 20 <= msg.length) {
        const s = this.#streams.get(msg.readUInt32BE(off + 4));
        if (s) {
          s.lastSrNtpMiddle = ntpMiddle(msg.readUInt32BE(off + 8), msg.readUInt32BE(off + 12));
          s.lastSrAt = performance.now();
        }
      }
      off += len;
    }
  }

  /**
   * Follow: when RTP last came from each producer, silences, and each join flow's first packet.
   * Only media of a consumer counts: mediasoup's bandwidth probation packets (and RTX) say
   * nothing about whether the teacher sees and hears anyone.
   */
  #heard(ssrc: number): void {
    const producerId = this.#producerOf.get(ssrc);
    if (!producerId) return;
    const at = Date.now();
    const { gaps, flows } = this.#timeline;
    if (this.#lastAnyRtpAt > 0 && at - this.#lastAnyRtpAt > GAP_MS && gaps.length < 10_000) gaps.push({ from: this.#lastAnyRtpAt, to: at });
    this.#lastAnyRtpAt = at;
    const flow = flows[flows.length - 1];
    if (flow && flow.firstRtpAt === null) flow.firstRtpAt = at;
    this.#lastRtpAt.set(producerId, at);
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

  #sendReceiverReports(): void {
    const blocks: Buffer[] = [];
    const now = performance.now();
    for (const s of this.#streams.values()) {
      if (s.baseSeq < 0) continue;
      const extMax = s.cycles + s.maxSeq;
      const expected = extMax - s.baseSeq + 1;
      const lost = Math.max(0, expected - s.received);
      const expectedInterval = expected - s.expectedPrior;
      const receivedInterval = s.received - s.receivedPrior;
      s.expectedPrior = expected;
      s.receivedPrior = s.received;
      const lostInterval = expectedInterval - receivedInterval;
      const fraction = expectedInterval <= 0 || lostInterval <= 0 ? 0 : Math.min(255, Math.floor((lostInterval << 8) / expectedInterval));
      const b = Buffer.alloc(24);
      b.writeUInt32BE(s.ssrc, 0);
      // `<< 24` of a fraction ≥ 128 is negative in JavaScript: `>>> 0` makes it the unsigned word.
      b.writeUInt32BE((((fraction & 0xff) << 24) | (Math.min(lost, 0x7fffff) & 0xffffff)) >>> 0, 4);
      b.writeUInt32BE(extMax >>> 0, 8);
      b.writeUInt32BE(Math.round(s.jitter) >>> 0, 12);
      b.writeUInt32BE(s.lastSrNtpMiddle >>> 0, 16);
      b.writeUInt32BE(s.lastSrAt ? Math.round(((now - s.lastSrAt) / 1000) * 65536) >>> 0 : 0, 20);
      blocks.push(b);
    }
    if (blocks.length === 0) return;
    // One RR per up to 31 report blocks.
    for (let i = 0; i < blocks.length; i += 31) {
      const chunk = blocks.slice(i, i + 31);
      const head = Buffer.alloc(8);
      head[0] = 0x80 | chunk.length;
      head[1] = 201;
      head.writeUInt16BE(1 + chunk.length * 6, 2);
      head.writeUInt32BE(this.#senderSsrc, 4);
      this.#send(Buffer.concat([head, ...chunk]));
      this.#stats.receiverReports += 1;
    }
  }

  /** Generic NACK (RFC 4585) for `count` packets from `first`. */
  #sendNack(ssrc: number, first: number, count: number): void {
    const fci: Buffer[] = [];
    for (let i = 0; i < Math.min(count, 64); ) {
      const pid = (first + i) & 0xffff;
      let blp = 0;
      for (let j = 1; j <= 16 && i + j < Math.min(count, 64); j++) blp |= 1 << (j - 1);
      const b = Buffer.alloc(4);
      b.writeUInt16BE(pid, 0);
      b.writeUInt16BE(blp, 2);
      fci.push(b);
      i += 17;
    }
    const head = Buffer.alloc(12);
    head[0] = 0x80 | 1;
    head[1] = 205;
    head.writeUInt16BE(2 + fci.length, 2);
    head.writeUInt32BE(this.#senderSsrc, 4);
    head.writeUInt32BE(ssrc, 8);
    this.#send(Buffer.concat([head, ...fci]));
    this.#stats.nacks += 1;
  }

  /** REMB (draft-alvestrand-rmcat-remb) asking for 5 Mbps, when transport-cc is not negotiated. */
  #sendRemb(): void {
    if (this.#rembSsrcs.length === 0) return;
    const ssrcs = this.#rembSsrcs.slice(0, 255);
    const b = Buffer.alloc(20 + 4 * ssrcs.length);
    b[0] = 0x80 | 15;
    b[1] = 206;
    b.writeUInt16BE(b.length / 4 - 1, 2);
    b.writeUInt32BE(this.#senderSsrc, 4);
    b.writeUInt32BE(0, 8);
    b.write('REMB', 12, 'ascii');
    const bitrate = 5_000_000;
    let exp = 0;
    let mantissa = bitrate;
    while (mantissa > 0x3ffff) {
      mantissa >>= 1;
      exp += 1;
    }
    b[16] = ssrcs.length;
    b[17] = (exp << 2) | (mantissa >> 16);
    b.writeUInt16BE(mantissa & 0xffff, 18);
    ssrcs.forEach((s, i) => b.writeUInt32BE(s, 20 + 4 * i));
    this.#send(b);
    this.#stats.remb += 1;
  }

  /** Transport-wide CC feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01). */
  #sendTransportCc(): void {
    if (this.#twcc.length === 0) return;
    const packets = this.#twcc.splice(0);
    // Continue from the last feedback's sequence; start afresh after a long gap.
    let base = this.#twccLastSeq >= 0 ? (this.#twccLastSeq + 1) & 0xffff : packets[0]![0];
    if (packets.every(([seq]) => ((seq - base + 0x10000) & 0xffff) >= 0x2000)) base = packets[0]![0];
    const arrivals = new Map<number, number>();
    for (const [seq, at] of packets) {
      const r = (seq - base + 0x10000) & 0xffff;
      if (r < 0x2000 && !arrivals.has(r)) arrivals.set(r, at);
    }
    if (arrivals.size === 0) return;
    const count = Math.max(...arrivals.keys()) + 1;
    const refAt = Math.min(...arrivals.values());
    const refTime64ms = Math.floor(refAt / 64_000) & 0xffffff;
    let prev = refTime64ms * 64_000;
    const statuses: number[] = [];
    const deltas: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const at = arrivals.get(i);
      if (at === undefined) {
        statuses.push(0);
        continue;
      }
      let d = Math.round((at - prev) / 250);
      prev += d * 250;
      if (d >= 0 && d <= 255) {
        statuses.push(1);
        deltas.push(Buffer.from([d]));
      } else {
        d = Math.max(-32768, Math.min(32767, d));
        statuses.push(2);
        const b = Buffer.alloc(2);
        b.writeInt16BE(d, 0);
        deltas.push(b);
      }
    }
    // Two-bit status vector chunks: 7 statuses each.
    const chunks: Buffer[] = [];
    for (let i = 0; i < statuses.length; i += 7) {
      let v = 0xc000;
      for (let j = 0; j < 7; j++) v |= (statuses[i + j] ?? 0) << (12 - 2 * j);
      const b = Buffer.alloc(2);
      b.writeUInt16BE(v, 0);
      chunks.push(b);
    }
    const head = Buffer.alloc(20);
    head[0] = 0x80 | 15;
    head[1] = 205;
    head.writeUInt32BE(this.#senderSsrc, 4);
    head.writeUInt32BE(this.#rembSsrcs[0] ?? 0, 8);
    head.writeUInt16BE(base, 12);
    head.writeUInt16BE(count, 14);
    head.writeUIntBE(refTime64ms, 16, 3);
    head[19] = this.#twccFbCount++ & 0xff;
    let body = Buffer.concat([head, ...chunks, ...deltas]);
    const pad = (4 - (body.length % 4)) % 4;
    if (pad) {
      body = Buffer.concat([body, Buffer.alloc(pad)]);
      body[0]! |= 0x20;
      body[body.length - 1] = pad;
    }
    body.writeUInt16BE(body.length / 4 - 1, 2);
    this.#twccLastSeq = (base + count - 1) & 0xffff;
    this.#send(body);
    this.#stats.transportCcFeedbacks += 1;
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
    return Object.fromEntries([...this.#lastRtpAt].filter(([id]) => live.has(id)));
  }

  /** Follow: the producers this bot holds a consumer of now (announced, not closed; negotiated or about to be). */
  offered(): string[] {
    return [...this.#offered, ...this.#pending].filter((c) => !this.#closedConsumers.has(c.id) && c.producerId).map((c) => c.producerId!);
  }

  /** Follow: silences, join flows and drops so far. */
  timeline(): WebRtcViewerTimeline {
    return { gaps: [...this.#timeline.gaps], flows: this.#timeline.flows.map((f) => ({ ...f })), drops: [...this.#timeline.drops], lastRtpAt: this.#lastAnyRtpAt };
  }

  /** Follow: the session the server last put this bot in ('main' or a province code). */
  get sessionKey(): string | null {
    return this.#sessionKey;
  }

  /** Follow: the last RTP packet received (epoch ms, 0: none yet). */
  get lastRtpAt(): number {
    return this.#lastAnyRtpAt;
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
