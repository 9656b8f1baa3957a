/**
 * The playlists of the HLS subtitles rendition (pure):
 *  - the video media playlist (ffmpeg's `index.m3u8`) read as entries: file, duration, program
 *    date-time, discontinuity;
 *  - the subtitles media playlist (`subs.m3u8`) that mirrors it: the same media sequence,
 *    durations, discontinuities and date-times, one `.vtt` per video segment (named as it, with
 *    `.vtt`), and the end when the video's has ended;
 *  - the master playlist naming the video as the variant and the subtitles as its rendition.
 */

export const SUBS_PLAYLIST = 'subs.m3u8';
export const MASTER_PLAYLIST = 'master.m3u8';
/** The subtitles rendition's group, as the variant names it. */
export const SUBS_GROUP = 'subs';

export interface MediaEntry {
  file: string;
  durationS: number;
  /** EXT-X-PROGRAM-DATE-TIME, ms since epoch (null when absent). */
  dateMs: number | null;
  /** Preceded by EXT-X-DISCONTINUITY. */
  discontinuity: boolean;
}

export interface MediaPlaylist {
  targetDuration: number;
  mediaSequence: number;
  discontinuitySequence: number;
  playlistType: string | null;
  ended: boolean;
  entries: MediaEntry[];
}

export function parseMediaPlaylist(text: string): MediaPlaylist {
  const p: MediaPlaylist = { targetDuration: 0, mediaSequence: 0, discontinuitySequence: 0, playlistType: null, ended: false, entries: [] };
  let duration = 0;
  let dateMs: number | null = null;
  let discontinuity = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXT-X-TARGETDURATION:')) p.targetDuration = Number.parseInt(line.slice(22), 10) || 0;
    else if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) p.mediaSequence = Number.parseInt(line.slice(22), 10) || 0;
    else if (line.startsWith('#EXT-X-DISCONTINUITY-SEQUENCE:')) p.discontinuitySequence = Number.parseInt(line.slice(30), 10) || 0;
    else if (line.startsWith('#EXT-X-PLAYLIST-TYPE:')) p.playlistType = line.slice(21);
    else if (line === '#EXT-X-ENDLIST') p.ended = true;
    else if (line === '#EXT-X-DISCONTINUITY') discontinuity = true;
    else if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) {
      const t = Date.parse(line.slice(25));
      dateMs = Number.isFinite(t) ? t : null;
    } else if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice(8)) || 0;
    else if (line && !line.startsWith('#')) {
      p.entries.push({ file: line, durationS: duration, dateMs, discontinuity });
      duration = 0;
      dateMs = null;
      discontinuity = false;
    }
  }
  return p;
}

/** The WebVTT segment beside a video segment: `r0-00001.ts` → `r0-00001.vtt`. */
export const vttNameOf = (segment: string): string => segment.replace(/\.ts$/, '.vtt');

/**
 * The subtitles playlist mirroring `video`: every video entry whose WebVTT segment is written
 * (`written`), from the first such entry up to the first not yet written (the rendition may trail
 * the video by a moment, never skip). Ended when the video's is and every segment is written.
 */
export function subtitlesPlaylist(video: MediaPlaylist, written: (vttName: string) => boolean): string {
  const first = video.entries.findIndex((e) => written(vttNameOf(e.file)));
  const listed: MediaEntry[] = [];
  if (first >= 0) {
    for (const e of video.entries.slice(first)) {
      if (!written(vttNameOf(e.file))) break;
      listed.push(e);
    }
  }
  const target = Math.max(1, video.targetDuration, ...listed.map((e) => Math.ceil(e.durationS)));
  const out = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${target}`, `#EXT-X-MEDIA-SEQUENCE:${video.mediaSequence + Math.max(0, first)}`];
  // Discontinuities dropped with the entries before `first` still count.
  const droppedDiscontinuities = video.entries.slice(0, Math.max(0, first)).filter((e) => e.discontinuity).length;
  const discSeq = video.discontinuitySequence + droppedDiscontinuities;
  if (discSeq > 0) out.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${discSeq}`);
  if (video.playlistType) out.push(`#EXT-X-PLAYLIST-TYPE:${video.playlistType}`);
  listed.forEach((e, i) => {
    if (e.discontinuity && i > 0) out.push('#EXT-X-DISCONTINUITY');
    if (e.dateMs !== null) out.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(e.dateMs).toISOString()}`);
    out.push(`#EXTINF:${e.durationS.toFixed(6)},`, vttNameOf(e.file));
  });
  if (video.ended && listed.length === video.entries.length) out.push('#EXT-X-ENDLIST');
  return out.join('\n') + '\n';
}

const quoted = (s: string): string => s.replace(/"/g, "'").replace(/[\r\n]/g, ' ');

/**
 * The master playlist: the video as the one variant, with the Vietnamese subtitles rendition
 * when `subtitlesUri` is given. BANDWIDTH is required by the format; hls.js uses it only to
 * choose among variants.
 */
export function masterPlaylist(videoUri: string, subtitlesUri: string | null, bandwidth = 1_200_000): string {
  const out = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS'];
  if (subtitlesUri) {
    out.push(`#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="${SUBS_GROUP}",LANGUAGE="vi",NAME="Tiếng Việt",DEFAULT=NO,AUTOSELECT=YES,URI="${quoted(subtitlesUri)}"`);
    out.push(`#EXT-X-STREAM-INF:BANDWIDTH=${bandwidth},SUBTITLES="${SUBS_GROUP}"`);
  } else {
    out.push(`#EXT-X-STREAM-INF:BANDWIDTH=${bandwidth}`);
  }
  out.push(videoUri, '');
  return out.join('\n');
}
