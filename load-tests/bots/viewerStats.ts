/**
 * What a viewer bot counts (packets, loss, the RTCP it sent) and, when it follows a meeting, what
 * it lived through (silences, join flows, drops): the figures the benchmarks and the rehearsal read.
 */

/** A silence in the received RTP longer than this is a gap (the host's audio alone sends 50 packets a second). */
export const GAP_MS = 1_000;

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

/**
 * What a following bot lived through, kept as it happens: which producer each stream carries,
 * when RTP last came from each, silences, each join flow's first packet, and the drops.
 */
export class ViewerTimeline {
  readonly #producerOf = new Map<number, string>();
  readonly #lastRtpAt = new Map<string, number>();
  #lastAnyRtpAt = 0;
  readonly #timeline: Omit<WebRtcViewerTimeline, 'lastRtpAt'> = { gaps: [], flows: [], drops: [] };

  /** The packets of `ssrc` are `producerId`'s media. */
  track(ssrc: number, producerId: string): void {
    this.#producerOf.set(ssrc, producerId);
  }

  /** A new transport: the previous one's streams are gone. */
  clearStreams(): void {
    this.#producerOf.clear();
  }

  flowStarted(startedAt: number): void {
    this.#timeline.flows.push({ startedAt, firstRtpAt: null });
  }

  dropped(why: 'disconnect' | 'rejoin'): void {
    this.#timeline.drops.push({ at: Date.now(), why });
  }

  /**
   * An RTP packet of `ssrc` arrived. Only media of a consumer counts: mediasoup's bandwidth
   * probation packets (and RTX) say nothing about whether the teacher sees and hears anyone.
   */
  heard(ssrc: number): void {
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

  /** Epoch ms of the last RTP packet from each of `producers` that has sent any. */
  lastRtpFrom(producers: ReadonlySet<string | undefined>): Record<string, number> {
    return Object.fromEntries([...this.#lastRtpAt].filter(([id]) => producers.has(id)));
  }

  /** The last RTP packet received (epoch ms, 0: none yet). */
  get lastRtpAt(): number {
    return this.#lastAnyRtpAt;
  }

  snapshot(): WebRtcViewerTimeline {
    return { gaps: [...this.#timeline.gaps], flows: this.#timeline.flows.map((f) => ({ ...f })), drops: [...this.#timeline.drops], lastRtpAt: this.#lastAnyRtpAt };
  }
}
