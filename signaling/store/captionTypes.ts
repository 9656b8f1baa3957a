/**
 * The captions' part of the store: each meeting's final lines (the transcript), in the order they
 * were finished. Interim lines are never stored (they live a moment on screen). Two
 * implementations chosen at start-up with the meeting store (store/index.ts): in memory
 * (captionMemory.ts) and in Redis (captionRedis.ts, one Lua script per change), run through the
 * same contract tests. Nothing here is published: delivery is the caption channel's job
 * (captions/CaptionChannel.ts), the store is what late joiners, the WebVTT writer and the
 * transcript read.
 */
import type { CaptionCue } from '../protocol/captions';

export interface CaptionLimits {
  /** Final lines per meeting (a new line beyond is refused: 'full'). */
  maxLines: number;
  /** Only one of the last this many lines may be corrected ('too_old' otherwise). */
  correctable: number;
}

export type PutFinalResult =
  /** A new line (revision 0), or the line replaced by its correction: the cue as kept. */
  | { result: 'added' | 'corrected'; cue: CaptionCue }
  /**
   * Refused, nothing changed: `stale` (the revision is not the line's current one + 1: someone
   * corrected it first; `cue` is the line as kept), `too_old` (not among the last lines),
   * `missing` (a correction of a line that does not exist), `full` (the meeting's limit).
   */
  | { result: 'stale' | 'too_old' | 'missing' | 'full'; cue: CaptionCue | null };

export interface CaptionLog {
  /**
   * Keeps a final line: new when its id is unknown (revision must be 0), a correction when known
   * (revision must be the current one + 1; text replaced, times and author kept).
   */
  putFinal(meetingId: string, cue: CaptionCue, limits: CaptionLimits): Promise<PutFinalResult>;
  /** The last `n` final lines, oldest first. */
  recent(meetingId: string, n: number): Promise<CaptionCue[]>;
  /** Final lines finished (`endMs`) within [fromMs, toMs], in order. */
  endedBetween(meetingId: string, fromMs: number, toMs: number): Promise<CaptionCue[]>;
  /** Every final line of the meeting, in order (the transcript). */
  transcript(meetingId: string): Promise<CaptionCue[]>;
  close(): Promise<void>;
}

/** How long a meeting's lines stay in Redis after its last one, seconds (the transcript's download window). */
export const CAPTION_TTL_S = 30 * 24 * 3600;
