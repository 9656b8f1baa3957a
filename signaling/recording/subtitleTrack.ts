/**
 * The WebVTT subtitles rendition of one HLS stream (a recording, or a live stream), written beside
 * ffmpeg's video playlist in the same folder: for every video segment the recorder reports
 * (Recorder's 'segment' event), one `.vtt` segment with the caption lines shown during it, and
 * `subs.m3u8` mirroring `index.m3u8` (hlsSubtitles.ts). The master playlist naming both
 * is made by the HTTP route (recording/routes.ts), so that signed links keep working.
 *
 * Alignment: each `.vtt` carries `X-TIMESTAMP-MAP=MPEGTS:<pts>,LOCAL:00:00:00.000`, where `<pts>` is
 * the presentation time of the video segment's first frame, read from the segment with ffprobe;
 * a line's time in it is its server time minus the segment's EXT-X-PROGRAM-DATE-TIME. A segment
 * is written once, when its video segment is complete, from the caption log as it is then: a
 * correction made before that is in it; one made after stays out of it (the transcript has it).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../common/log';
import type { CaptionLog } from '../store/captionTypes';
import { PLAYLIST } from './Recorder';
import { SUBS_PLAYLIST, parseMediaPlaylist, type MediaPlaylist, subtitlesPlaylist, vttNameOf } from './hlsSubtitles';
import { MAX_DISPLAY_MS, vttSegment } from '../captions/webvtt';

export type SubtitleSource = Pick<CaptionLog, 'endedBetween'>;

/** ffprobe beside the configured ffmpeg (`/usr/bin/ffmpeg` → `/usr/bin/ffprobe`, `ffmpeg` → `ffprobe`). */
export function ffprobeBeside(ffmpegPath: string): string {
  const base = path.basename(ffmpegPath).replace(/ffmpeg/, 'ffprobe');
  return ffmpegPath.includes('/') ? path.join(path.dirname(ffmpegPath), base === path.basename(ffmpegPath) ? 'ffprobe' : base) : base === ffmpegPath ? 'ffprobe' : base;
}

/** The presentation time of a segment's first packet, seconds (null if ffprobe cannot tell). */
export function segmentStart(ffprobe: string, file: string): Promise<number | null> {
  return new Promise((resolve) => {
    execFile(ffprobe, ['-v', 'error', '-show_entries', 'format=start_time', '-of', 'default=nw=1:nk=1', file], { timeout: 5_000 }, (err, stdout) => {
      const v = Number.parseFloat(String(stdout).trim());
      resolve(err || !Number.isFinite(v) ? null : v);
    });
  });
}

const order = (name: string): [number, number] => {
  const m = /^r(\d+)-(\d+)\./.exec(name);
  return m ? [Number(m[1]), Number(m[2])] : [-1, -1];
};
const before = (a: [number, number], b: [number, number]): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

export class SubtitleTrack {
  readonly #dir: string;
  readonly #meetingId: string;
  readonly #source: SubtitleSource;
  readonly #ffprobe: string;
  readonly #log: Logger;
  readonly #written = new Set<string>();
  /** The segment writes, one after the other. */
  #queue: Promise<void> = Promise.resolve();
  /** The last segment's start and duration (a fallback when ffprobe cannot read one). */
  #last: { run: number; pts: number; durationS: number } | null = null;
  /** Segments written (tests). */
  segments = 0;

  constructor(dir: string, meetingId: string, source: SubtitleSource, ffprobe: string, log: Logger) {
    this.#dir = dir;
    this.#meetingId = meetingId;
    this.#source = source;
    this.#ffprobe = ffprobe;
    this.#log = log;
  }

  /** An empty rendition, so that a player finds the playlist from the start. */
  async start(): Promise<void> {
    await this.#writeAtomic(SUBS_PLAYLIST, '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n');
  }

  /** A video segment was listed: its WebVTT segment is written after those before it. */
  segment(file: string): void {
    this.#queue = this.#queue.then(() => this.#write(file)).catch((err: unknown) => this.#log.warn({ file, err: String(err) }, 'writing a subtitles segment failed'));
  }

  /** After the recorder stopped: the last segments written and the playlist ended like the video's. */
  async finish(): Promise<void> {
    await this.#queue;
    await this.#writePlaylist().catch((err: unknown) => this.#log.warn({ err: String(err) }, 'ending the subtitles playlist failed'));
  }

  async #readVideo(): Promise<MediaPlaylist> {
    return parseMediaPlaylist(await fs.readFile(path.join(this.#dir, PLAYLIST), 'utf8'));
  }

  async #write(file: string): Promise<void> {
    const video = await this.#readVideo();
    const entry = video.entries.find((e) => e.file === file);
    if (!entry) return; // slid out of a live window already
    const [run] = order(file);
    const durationMs = entry.durationS * 1000;
    const startMs = entry.dateMs ?? Date.now() - durationMs;
    let pts = await segmentStart(this.#ffprobe, path.join(this.#dir, file));
    if (pts === null) {
      pts = this.#last && this.#last.run === run ? this.#last.pts + this.#last.durationS : 1.4;
      this.#log.warn({ file }, 'ffprobe could not read the segment start; estimated');
    }
    this.#last = { run, pts, durationS: entry.durationS };
    const cues = await this.#source.endedBetween(this.#meetingId, startMs - MAX_DISPLAY_MS, startMs + durationMs);
    const name = vttNameOf(file);
    await this.#writeAtomic(name, vttSegment({ cues, startMs, durationMs, ptsSeconds: pts }));
    this.#written.add(name);
    this.segments += 1;
    await this.#writePlaylist();
  }

  async #writePlaylist(): Promise<void> {
    // Read again: the video playlist may have moved on (or ended) while this segment was written.
    const video = await this.#readVideo();
    // A live window drops old segments: their WebVTT goes with them.
    const first = video.entries[0];
    if (first) {
      for (const name of [...this.#written]) {
        if (before(order(name), order(first.file))) {
          this.#written.delete(name);
          await fs.rm(path.join(this.#dir, name), { force: true });
        }
      }
    }
    await this.#writeAtomic(SUBS_PLAYLIST, subtitlesPlaylist(video, (n) => this.#written.has(n)));
  }

  async #writeAtomic(name: string, text: string): Promise<void> {
    const file = path.join(this.#dir, name);
    await fs.writeFile(`${file}.tmp`, text);
    await fs.rename(`${file}.tmp`, file);
  }
}
