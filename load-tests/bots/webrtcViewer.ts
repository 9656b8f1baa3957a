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
 * its remote offer; mediasoup never sees SDP. Consumers that arrive after the join (newConsumer)
 * are counted but not received: bots join after the host publishes.
 *
 * Usage:
 *   const v = await WebRtcViewer.join({ url, token, meetingId });
 *   await v.firstRtp();          // ms from join() to the first RTP packet
 *   v.stats();                   // packets, bytes, loss, RTCP sent
 *   v.close();
 */
import { randomInt } from 'node:crypto';
import { PeerConnection, type Track } from 'node-datachannel';
import { io, type Socket } from 'socket.io-client';

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
}

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
  /** Consumers announced after the join (not received by this bot). */
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function request<T>(socket: Socket, event: string, payload: unknown, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${event}: no answer in ${timeoutMs} ms`)), timeoutMs);
    socket.emit(event, payload, (res: Ack<T>) => {
      clearTimeout(timer);
      if (res.ok) resolve(res.data);
      else reject(new Error(`${event}: ${res.error.code} ${res.error.message}`));
    });
  });
}

/** The SDP offer the SFU would make for these consumers (one BUNDLEd m-line each, ICE-lite). */
export function offerSdp(transport: TransportInfo, consumers: ConsumerInfo[]): string {
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
    lines.push(`m=${c.kind} 7 UDP/TLS/RTP/SAVPF ${pts.join(' ')}`, 'c=IN IP4 127.0.0.1', 'a=rtcp:9 IN IP4 0.0.0.0');
    lines.push(`a=ice-ufrag:${transport.iceParameters.usernameFragment}`, `a=ice-pwd:${transport.iceParameters.password}`);
    for (const cand of udp) lines.push(`a=candidate:${cand.foundation} 1 udp ${cand.priority} ${cand.ip} ${cand.port} typ host`);
    lines.push('a=end-of-candidates', 'a=setup:actpass', `a=mid:${mids[i]}`);
    // sendrecv, not sendonly: libdatachannel only lets a track send RTCP from the application
    // when its direction allows sending. The SFU never reads this SDP.
    lines.push('a=sendrecv', 'a=rtcp-mux', 'a=rtcp-rsize');
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

export class WebRtcViewer {
  readonly #opts: Required<Omit<WebRtcViewerOptions, 'url' | 'token' | 'meetingId'>>;
  readonly #socket: Socket;
  readonly #pc: PeerConnection;
  readonly #tracks: Track[] = [];
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

  private constructor(socket: Socket, opts: WebRtcViewerOptions, t0: number) {
    this.#socket = socket;
    this.#t0 = t0;
    this.#opts = {
      transportCc: opts.transportCc ?? true,
      remb: opts.remb ?? true,
      nack: opts.nack ?? true,
      receiverReportMs: opts.receiverReportMs ?? 1000,
      feedbackMs: opts.feedbackMs ?? 100,
      timeoutMs: opts.timeoutMs ?? 30_000,
    };
    this.#pc = new PeerConnection(`viewer-${this.#senderSsrc}`, { iceServers: [], forceMediaTransport: true });
    let resolve!: (ms: number) => void;
    const promise = new Promise<number>((r) => (resolve = r));
    this.#firstRtp = { resolve, promise };
    socket.on('newConsumer', () => (this.#stats.lateConsumers += 1));
  }

  /** Joins the meeting as a viewer; resolves once ICE and DTLS are up and every consumer is resumed. */
  static async join(opts: WebRtcViewerOptions): Promise<WebRtcViewer> {
    const t0 = performance.now();
    const socket = io(opts.url, { transports: ['websocket'], auth: { token: opts.token }, reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (e) => reject(e));
    });
    const viewer = new WebRtcViewer(socket, opts, t0);
    try {
      await viewer.#start(opts.meetingId);
    } catch (error) {
      viewer.close();
      throw error;
    }
    return viewer;
  }

  async #start(meetingId: string): Promise<void> {
    const t = this.#opts.timeoutMs;
    const join = await request<{ routerRtpCapabilities: RouterCapabilities }>(this.#socket, 'join', { meetingId }, t);
    const transport = await request<TransportInfo>(this.#socket, 'createTransport', { direction: 'recv' }, t);
    const caps = botCapabilities(join.routerRtpCapabilities, this.#opts.transportCc, this.#opts.remb);
    const { consumers } = await request<{ consumers: ConsumerInfo[] }>(this.#socket, 'startConsuming', { rtpCapabilities: caps }, t);
    this.#stats.consumers = consumers.length;
    if (consumers.length === 0) throw new Error('nothing to consume: is the host publishing?');
    for (const c of consumers) this.#track(c);

    const connected = new Promise<void>((resolve, reject) => {
      this.#pc.onStateChange((state) => {
        if (state === 'connected') resolve();
        if (state === 'failed' || state === 'closed') reject(new Error(`peer connection ${state}`));
      });
    });
    const answer = new Promise<string>((resolve) => this.#pc.onLocalDescription((sdp) => resolve(sdp)));
    this.#pc.onTrack((track) => {
      this.#tracks.push(track);
      track.onMessage((msg) => this.#onPacket(msg));
    });
    this.#pc.setRemoteDescription(offerSdp(transport, consumers), 'offer');
    const sdp = await answer;
    const fp = /a=fingerprint:(\S+) (\S+)/.exec(sdp);
    if (!fp) throw new Error('no fingerprint in the local answer');
    // Our answer says setup:active: the bot is the DTLS client.
    await request(this.#socket, 'connectTransport', {
      transportId: transport.id,
      dtlsParameters: { role: 'client', fingerprints: [{ algorithm: fp[1]!.toLowerCase(), value: fp[2]! }] },
    }, t);
    await Promise.race([connected, sleep(t).then(() => Promise.reject(new Error('ICE/DTLS did not connect in time')))]);
    for (const c of consumers) await request(this.#socket, 'resumeConsumer', { consumerId: c.id }, t);

    this.#timers.push(setInterval(() => this.#sendReceiverReports(), this.#opts.receiverReportMs));
    if (this.#twccExtId) this.#timers.push(setInterval(() => this.#sendTransportCc(), this.#opts.feedbackMs));
    else if (this.#opts.remb) this.#timers.push(setInterval(() => this.#sendRemb(), this.#opts.receiverReportMs));
  }

  #track(c: ConsumerInfo): void {
    const rtp = c.rtpParameters;
    const media = rtp.codecs.find((x) => !/\/(rtx|red|ulpfec)$/i.test(x.mimeType)) ?? rtp.codecs[0]!;
    const twcc = rtp.headerExtensions?.find((h) => h.uri === TRANSPORT_CC_URI);
    if (twcc) this.#twccExtId = twcc.id;
    const enc = rtp.encodings?.[0];
    if (enc?.ssrc === undefined) return;
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

  #send(packet: Buffer): void {
    if (this.#closed) return;
    const track = this.#tracks[0];
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

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    try {
      this.#pc.close();
    } catch {
      // already closed
    }
    this.#socket.close();
  }
}
