/**
 * The one captions channel of a signaling node: whatever produces caption cues publishes them
 * here, with `publish(meetingId, cue)`, and the channel keeps and delivers them the same way.
 *
 *  - Interim cues (the line being typed) are not kept: the newest of each line waits for the
 *    meeting's next delivery slot, at most one delivery per `interimIntervalMs` per meeting on
 *    this node (a fast typist does not become a flood to a million sockets; several lines typed
 *    at once go out as one message).
 *  - Final cues are kept in the caption log (store/captionTypes.ts: memory, or Redis for the
 *    cluster) and delivered at once, every time. A final cue whose id is known is a correction:
 *    accepted when its revision is the kept line's + 1 and the line is among the last
 *    `correctable`; it replaces the line on screen, in the transcript, and in the WebVTT
 *    segments not yet written (recording/subtitleTrack.ts reads the log when it writes one).
 *  - Delivery is one meeting-level broadcast to the main session's room (CaptionDelivery): with
 *    the Redis adapter it reaches the sockets of every node; never a loop over viewers. Breakouts
 *    do not get the national captions (kept simple: the main session only).
 *
 * Plugging in a speech recogniser (ASR): it runs beside a meeting's audio (e.g. an SFU tap of the
 * national host's microphone, as recording/RecordingManager takes one), and for each hypothesis
 * calls `publish(meetingId, cue)` with `author.kind: 'asr'`, a stable `id` per utterance,
 * `final: false` for partial results and `final: true` (revision 0) for the finished utterance,
 * then `revision + 1` if it revises that utterance later. Nothing else changes: the audience,
 * late joiners, the WebVTT rendition and the transcript cannot tell who wrote a line except by
 * `author.kind` (which the teacher's page may show). Its own rate is its own business: the
 * channel's interim throttle holds for it too.
 */
import { logger } from '../../common/log';
import { AppError, notFound } from '../protocol/errors';
import { CAPTION_CORRECTABLE_LINES, CAPTION_RECENT_LINES, type CaptionCue } from '../protocol/captions';
import type { CaptionLog } from '../store/captionTypes';

const log = logger('captions');

/** Where cues go: everyone in a meeting's main session, on every node. */
export interface CaptionDelivery {
  toAudience(meetingId: string, cues: CaptionCue[]): void;
}

export interface CaptionChannelOptions {
  /** At most one interim delivery per meeting per this many ms, on this node. Default 250 (4 a second). */
  interimIntervalMs?: number;
  /** Final lines a meeting may have. Default 20,000 (a 6-hour meeting at a line a second). */
  maxLines?: number;
  /** Only one of the last this many lines may be corrected. Default CAPTION_CORRECTABLE_LINES. */
  correctable?: number;
}

/** Interim lines waiting for a meeting's next delivery slot, at most this many (oldest dropped). */
const MAX_PENDING = 16;

interface MeetingSlot {
  pending: Map<string, CaptionCue>;
  timer: NodeJS.Timeout | null;
  lastAt: number;
}

export class CaptionChannel {
  readonly #log: CaptionLog;
  readonly #delivery: CaptionDelivery;
  readonly #interimMs: number;
  readonly #limits: { maxLines: number; correctable: number };
  readonly #slots = new Map<string, MeetingSlot>();
  /** Deliveries made (interim batches and finals), for tests and metrics. */
  deliveries = 0;

  constructor(captionLog: CaptionLog, delivery: CaptionDelivery, options: CaptionChannelOptions = {}) {
    this.#log = captionLog;
    this.#delivery = delivery;
    this.#interimMs = options.interimIntervalMs ?? 250;
    this.#limits = { maxLines: options.maxLines ?? 20_000, correctable: options.correctable ?? CAPTION_CORRECTABLE_LINES };
  }

  /**
   * Publishes a cue: an interim one waits for the meeting's next slot; a final one is kept and
   * delivered now. Resolves with the cue as delivered (a correction: the kept line, revision
   * bumped). Throws `conflict` (corrected meanwhile, too old, meeting full) or `not_found` (a
   * correction of an unknown line); nothing changes then.
   */
  async publish(meetingId: string, cue: CaptionCue): Promise<CaptionCue> {
    if (!cue.final) {
      this.#queueInterim(meetingId, cue);
      return cue;
    }
    // A final line ends its interim: the interim waiting must not follow it.
    this.#slots.get(meetingId)?.pending.delete(cue.id);
    const put = await this.#log.putFinal(meetingId, cue, this.#limits);
    switch (put.result) {
      case 'added':
      case 'corrected':
        this.#slots.get(meetingId)?.pending.delete(cue.id);
        this.deliveries += 1;
        this.#delivery.toAudience(meetingId, [put.cue]);
        return put.cue;
      case 'stale':
        throw new AppError('conflict', `this line was changed meanwhile (now revision ${put.cue?.revision ?? 0}): correct it again`);
      case 'too_old':
        throw new AppError('conflict', `only the last ${this.#limits.correctable} lines can be corrected`);
      case 'full':
        throw new AppError('conflict', 'this meeting takes no more caption lines');
      case 'missing':
        throw notFound('caption line');
    }
  }

  /** The last few final lines (late joiners, or captions just turned on), oldest first. */
  recent(meetingId: string, n = CAPTION_RECENT_LINES): Promise<CaptionCue[]> {
    return this.#log.recent(meetingId, n);
  }

  /** Every final line of a meeting (the transcript). */
  transcript(meetingId: string): Promise<CaptionCue[]> {
    return this.#log.transcript(meetingId);
  }

  #queueInterim(meetingId: string, cue: CaptionCue): void {
    let slot = this.#slots.get(meetingId);
    if (!slot) this.#slots.set(meetingId, (slot = { pending: new Map(), timer: null, lastAt: 0 }));
    slot.pending.delete(cue.id);
    slot.pending.set(cue.id, cue);
    if (slot.pending.size > MAX_PENDING) slot.pending.delete(slot.pending.keys().next().value!);
    if (slot.timer) return;
    const wait = Math.max(0, slot.lastAt + this.#interimMs - Date.now());
    const s = slot;
    s.timer = setTimeout(() => this.#flush(meetingId, s), wait);
    s.timer.unref();
  }

  #flush(meetingId: string, slot: MeetingSlot): void {
    slot.timer = null;
    slot.lastAt = Date.now();
    if (slot.pending.size === 0) {
      this.#slots.delete(meetingId);
      return;
    }
    const cues = [...slot.pending.values()];
    slot.pending.clear();
    this.deliveries += 1;
    try {
      this.#delivery.toAudience(meetingId, cues);
    } catch (error) {
      log.warn({ meeting: meetingId, err: String(error) }, 'delivering interim captions failed');
    }
    // Keep the slot until a quiet interval has passed, so the next interim waits its turn.
    slot.timer = setTimeout(() => this.#flush(meetingId, slot), this.#interimMs);
    slot.timer.unref();
  }

  close(): void {
    for (const slot of this.#slots.values()) if (slot.timer) clearTimeout(slot.timer);
    this.#slots.clear();
  }
}
