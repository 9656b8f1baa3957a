/**
 * WebVTT text of caption lines: one segment of the HLS subtitles rendition (aligned with a video
 * segment through X-TIMESTAMP-MAP), and a meeting's whole transcript. Pure functions.
 *
 * When a line shows in the HLS rendition: from the moment it was finished (`endMs`: what the live
 * audience saw, the same delay behind speech as a live captioner) for a reading time that grows
 * with its length (`displayMs`). The transcript uses the line's start (when typing began) to its end.
 */
import type { CaptionCue } from '../protocol/captions';

/** MPEG-TS timestamps are 33 bits at 90 kHz. */
export const MPEGTS_HZ = 90_000;
const MPEGTS_WRAP = 2 ** 33;

/** "HH:MM:SS.mmm" (hours at least two digits), for ms ≥ 0. */
export function vttTime(ms: number): string {
  const t = Math.max(0, Math.round(ms));
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor((t % 3_600_000) / 60_000);
  const s = Math.floor((t % 60_000) / 1000);
  const f = t % 1000;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(f).padStart(3, '0')}`;
}

/**
 * A cue's text as WebVTT cue payload: `&`, `<` and `>` as character references (so `-->` can
 * never end up in a payload, and no text reads as a tag), one line.
 */
export function escapeCueText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/[\r\n]+/g, ' ');
}

/** How long a line stays on screen in the HLS rendition: ~15 characters a second, 3 to 8 s. */
export function displayMs(text: string): number {
  return Math.min(8_000, Math.max(3_000, 1_000 + [...text].length * 67));
}

/** The window a final line shows in, server time (ms since epoch). */
export function shownWindow(cue: CaptionCue): { from: number; to: number } {
  const from = cue.endMs ?? cue.startMs;
  return { from, to: from + displayMs(cue.text) };
}

/** The longest a line shows: a segment reads lines finished up to this long before it starts. */
export const MAX_DISPLAY_MS = 8_000;

/** `X-TIMESTAMP-MAP` of a segment whose first video frame has this presentation time (seconds). */
export function timestampMap(ptsSeconds: number): string {
  const mpegts = ((Math.round(ptsSeconds * MPEGTS_HZ) % MPEGTS_WRAP) + MPEGTS_WRAP) % MPEGTS_WRAP;
  return `X-TIMESTAMP-MAP=MPEGTS:${mpegts},LOCAL:00:00:00.000`;
}

export interface VttSegmentInput {
  /** Final lines that may show in it (the segment keeps those that overlap it). */
  cues: CaptionCue[];
  /** Wall-clock start of the video segment (its EXT-X-PROGRAM-DATE-TIME), ms since epoch. */
  startMs: number;
  durationMs: number;
  /** Presentation time of the video segment's first frame, seconds (ffprobe's start_time). */
  ptsSeconds: number;
}

/**
 * One WebVTT segment: LOCAL 00:00:00.000 is the video segment's first frame (MPEGTS), each line
 * clipped to the segment (a line that spans segments is in each, its part in each).
 */
export function vttSegment({ cues, startMs, durationMs, ptsSeconds }: VttSegmentInput): string {
  const out = ['WEBVTT', timestampMap(ptsSeconds), ''];
  const end = startMs + durationMs;
  const shown = cues
    .map((c) => ({ c, w: shownWindow(c) }))
    .filter(({ w }) => w.to > startMs && w.from < end)
    .sort((a, b) => a.w.from - b.w.from);
  for (const { c, w } of shown) {
    const from = Math.max(w.from, startMs) - startMs;
    const to = Math.min(w.to, end) - startMs;
    if (to <= from) continue;
    out.push(`${c.id}-${c.revision}`, `${vttTime(from)} --> ${vttTime(to)}`, escapeCueText(c.text), '');
  }
  return out.join('\n');
}

/**
 * A meeting's transcript as WebVTT: times from the first line's start (a NOTE says when that was,
 * in Việt Nam's time), each line from its start to its end, the author as a voice span.
 */
export function transcriptVtt(cues: CaptionCue[], meetingTitle: string, localStart: (ms: number) => string): string {
  const out = ['WEBVTT', ''];
  if (cues.length === 0) return out.join('\n');
  const t0 = Math.min(...cues.map((c) => c.startMs));
  out.push(`NOTE ${escapeCueText(meetingTitle)}: 00:00:00.000 = ${localStart(t0)}`, '');
  for (const c of cues) {
    const from = c.startMs - t0;
    const to = Math.max((c.endMs ?? c.startMs) - t0, from + 1_000);
    const voice = escapeCueText(c.author.name);
    out.push(`${c.id}`, `${vttTime(from)} --> ${vttTime(to)}`, `<v ${voice}>${escapeCueText(c.text)}`, '');
  }
  return out.join('\n');
}

/** A meeting's transcript as plain text: one line per caption line, with its local time and author. */
export function transcriptText(cues: CaptionCue[], header: string[], localTime: (ms: number) => string): string {
  return [...header, '', ...cues.map((c) => `[${localTime(c.startMs)}] ${c.author.name}: ${c.text}`), ''].join('\n');
}
