/**
 * The RTCP a browser sends as a receiver, for the viewer bot, with the per-stream receive state it
 * is computed from:
 *
 * - receiver reports every second for every stream (fraction lost, cumulative loss, highest
 *   sequence number, jitter, LSR/DLSR from the SFU's sender reports);
 * - generic NACKs for sequence gaps of video streams (when the consumer offers `nack`);
 * - transport-wide congestion control feedback every 100 ms when the transport-cc header
 *   extension is negotiated (`transportCc: true`, as Chromium does), or REMB otherwise.
 *
 * The viewer feeds it every RTP and RTCP packet, calls the senders on its timers, and gives it the
 * function that puts a packet on the wire.
 */
import type { ConsumerInfo } from './viewerProtocol';
import { TRANSPORT_CC_URI } from './viewerSdp';
import type { WebRtcViewerStats } from './viewerStats';


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

/** NTP "middle 32 bits" of now, for LSR bookkeeping. */
function ntpMiddle(ntpSec: number, ntpFrac: number): number {
  return ((ntpSec & 0xffff) << 16) | (ntpFrac >>> 16);
}

export class RtcpFeedback {
  readonly #streams = new Map<number, StreamState>();
  readonly #senderSsrc: number;
  /** Send generic NACKs for lost video packets. */
  readonly #nack: boolean;
  /** The viewer's counters: gaps, RTCP received, and each kind of RTCP sent. */
  readonly #stats: WebRtcViewerStats;
  readonly #send: (packet: Buffer) => void;
  #twccExtId = 0;
  #rembSsrcs: number[] = [];
  /** transport-cc: (wide sequence, arrival µs) since the last feedback. */
  #twcc: [number, number][] = [];
  #twccFbCount = 0;
  #twccLastSeq = -1;

  constructor(opts: { senderSsrc: number; nack: boolean; stats: WebRtcViewerStats; send: (packet: Buffer) => void }) {
    this.#senderSsrc = opts.senderSsrc;
    this.#nack = opts.nack;
    this.#stats = opts.stats;
    this.#send = opts.send;
  }

  /** Whether a consumer negotiated the transport-cc header extension (feedback then, REMB otherwise). */
  get transportCc(): boolean {
    return this.#twccExtId !== 0;
  }

  /** Forgets the streams of the previous transport (a new join flow). */
  reset(): void {
    this.#streams.clear();
    this.#rembSsrcs = [];
    this.#twcc = [];
    this.#twccLastSeq = -1;
  }

  /** Starts the receive state of a consumer's stream. */
  track(c: ConsumerInfo): void {
    const rtp = c.rtpParameters;
    const media = rtp.codecs.find((x) => !/\/(rtx|red|ulpfec)$/i.test(x.mimeType)) ?? rtp.codecs[0]!;
    const twcc = rtp.headerExtensions?.find((h) => h.uri === TRANSPORT_CC_URI);
    if (twcc) this.#twccExtId = twcc.id;
    const enc = rtp.encodings?.[0];
    if (enc?.ssrc === undefined) return;
    const video = c.kind === 'video';
    const nack = video && this.#nack && (media.rtcpFeedback ?? []).some((f) => f.type === 'nack' && !f.parameter);
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

  /** An RTP packet arrived at `now` (performance.now()): sequence gaps, NACKs, jitter, transport-cc arrivals. */
  onRtp(msg: Buffer, now: number): void {
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

  /** An RTCP packet from the SFU: its sender reports give the LSR/DLSR of the receiver reports. */
  onRtcp(msg: Buffer): void {
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

  /** A receiver report block for every stream that has received RTP. */
  sendReceiverReports(): void {
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
  sendRemb(): void {
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
  sendTransportCc(): void {
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
}
