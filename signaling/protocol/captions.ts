/**
 * Live captions in the protocol (shared by the server and the web client). A cue is one line of
 * captions: typed by a captioner (`human`) or, later, produced by a speech recogniser (`asr`).
 * Interim cues are the line as it is being typed (replaced by the next interim or by the final
 * with the same id); a final cue is a finished line, kept in the transcript; a final cue with a
 * higher `revision` is a correction and replaces the line with its id everywhere.
 * Every text in here is plain text: clients render it as text.
 */

/** Longest caption line, in characters (after normalisation). */
export const CAPTION_MAX_CHARS = 500;
/** Lines a late joiner gets at once (`captionsRecent`). */
export const CAPTION_RECENT_LINES = 5;
/** Only one of the last this many final lines may be corrected. */
export const CAPTION_CORRECTABLE_LINES = 30;

export type CaptionAuthorKind = 'human' | 'asr';

export interface CaptionCue {
  /** Chosen by the producer of the line (the captioner's page, an ASR): `[A-Za-z0-9_-]{1,40}`. */
  id: string;
  text: string;
  /** Server time (ms since epoch) the line began (typing started, or speech recognised). */
  startMs: number;
  /** Server time the line was finished (finals only). */
  endMs?: number;
  final: boolean;
  author: { userId: string; name: string; kind: CaptionAuthorKind };
  /** 0 for a new line; each correction of a final line adds one. */
  revision: number;
}
