/** Caption lines as text: normalisation, WebVTT (times, escaping, alignment), and the HLS playlists of the subtitles rendition. */
import { describe, expect, it } from 'vitest';
import { normalizeCaption, captionFits } from '../../signaling/protocol/captionText';
import { captionEventSchemas } from '../../signaling/protocol/captionSchemas';
import { escapeCueText, timestampMap, transcriptText, transcriptVtt, vttSegment, vttTime } from '../../signaling/captions/webvtt';
import { masterPlaylist, parseMediaPlaylist, subtitlesPlaylist } from '../../signaling/recording/hlsSubtitles';
import { ffprobeBeside } from '../../signaling/recording/subtitleTrack';
import type { CaptionCue } from '../../signaling/protocol/captions';

const cue = (id: string, text: string, endMs: number, extra: Partial<CaptionCue> = {}): CaptionCue => ({
  id,
  text,
  startMs: endMs - 2_000,
  endMs,
  final: true,
  author: { userId: 'cap', name: 'Người gõ', kind: 'human' },
  revision: 0,
  ...extra,
});

describe('caption text', () => {
  it('composes Vietnamese letters typed as base and combining marks (NFC)', () => {
    const decomposed = 'Tie\u0302\u0301ng Vie\u0323\u0302t';
    expect(normalizeCaption(decomposed)).toBe('Tiếng Việt');
    expect(normalizeCaption(decomposed).length).toBe(10);
  });

  it('strips control and bidi characters, turns line breaks into spaces and collapses whitespace', () => {
    expect(normalizeCaption('  Xin\u0007 chào\n\ncác\tthầy\u202e cô\u0000  ')).toBe('Xin chào các thầy cô');
  });

  it('counts the limit in characters after normalisation: 500 fit, 501 do not', () => {
    expect(captionFits('ệ'.repeat(500))).toBe(true);
    expect(captionFits('ệ'.repeat(501))).toBe(false);
  });

  it('gives the handler only normalised text, and refuses an empty final line, a long one and unknown keys', () => {
    const ok = captionEventSchemas.captionFinal.safeParse({ id: 'l1', text: 'a\u0301  b' });
    expect(ok.success && ok.data).toEqual({ id: 'l1', text: 'á b', revision: 0, typingMs: 0 });
    expect(captionEventSchemas.captionFinal.safeParse({ id: 'l1', text: ' \u0007 ' }).success).toBe(false);
    expect(captionEventSchemas.captionFinal.safeParse({ id: 'l1', text: 'x'.repeat(501) }).success).toBe(false);
    expect(captionEventSchemas.captionFinal.safeParse({ id: 'l1', text: 'x', extra: 1 }).success).toBe(false);
    expect(captionEventSchemas.captionFinal.safeParse({ id: 'bad id!', text: 'x' }).success).toBe(false);
    // An interim line may be empty (the captioner cleared it).
    expect(captionEventSchemas.captionInterim.safeParse({ id: 'l1', text: '' }).success).toBe(true);
  });
});

describe('WebVTT', () => {
  it('writes times as HH:MM:SS.mmm, hours past 99 included', () => {
    expect(vttTime(0)).toBe('00:00:00.000');
    expect(vttTime(61_001)).toBe('00:01:01.001');
    expect(vttTime(3_723_456)).toBe('01:02:03.456');
    expect(vttTime(360_000_000)).toBe('100:00:00.000');
  });

  it('escapes &, < and > so that no text ends a cue timing line or reads as a tag', () => {
    expect(escapeCueText('a --> b <i>c</i> & d')).toBe('a --&gt; b &lt;i&gt;c&lt;/i&gt; &amp; d');
  });

  it('maps LOCAL 0 to the segment\'s first frame in 90 kHz MPEG-TS ticks, wrapped at 33 bits', () => {
    expect(timestampMap(1.4)).toBe('X-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000');
    expect(timestampMap(2 ** 33 / 90_000 + 1)).toBe('X-TIMESTAMP-MAP=MPEGTS:90000,LOCAL:00:00:00.000');
  });

  it('puts in a segment the lines shown during it, clipped to it, in order, times from its start', () => {
    const t0 = 1_700_000_000_000;
    const text = vttSegment({
      startMs: t0,
      durationMs: 2_000,
      ptsSeconds: 10,
      cues: [
        cue('late', 'sau', t0 + 2_500), // after the segment
        cue('b', 'hai <b> & --> ba', t0 + 500),
        cue('a', 'một', t0 - 1_000), // began before, still shown
        cue('old', 'cũ', t0 - 20_000), // long gone
      ],
    });
    expect(text).toBe(
      [
        'WEBVTT',
        'X-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000',
        '',
        'a-0',
        '00:00:00.000 --> 00:00:02.000',
        'một',
        '',
        'b-0',
        '00:00:00.500 --> 00:00:02.000',
        'hai &lt;b&gt; &amp; --&gt; ba',
        '',
      ].join('\n'),
    );
  });

  it('writes the transcript with times from the first line and its local start in a NOTE, and as text with local times', () => {
    const t0 = Date.UTC(2026, 0, 5, 1, 0, 0);
    const cues = [cue('a', 'Chào', t0 + 2_000), cue('b', 'Bắt đầu', t0 + 6_000, { revision: 1 })];
    const vtt = transcriptVtt(cues, 'Họp', () => 'LOCAL');
    expect(vtt).toContain('NOTE Họp: 00:00:00.000 = LOCAL');
    expect(vtt).toContain('a\n00:00:00.000 --> 00:00:02.000\n<v Người gõ>Chào');
    expect(vtt).toContain('b\n00:00:04.000 --> 00:00:06.000\n<v Người gõ>Bắt đầu');
    expect(transcriptText(cues, ['H'], (ms) => String(ms - t0))).toBe('H\n\n[0] Người gõ: Chào\n[4000] Người gõ: Bắt đầu\n');
  });
});

describe('the subtitles rendition\'s playlists', () => {
  const video = [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    '#EXT-X-TARGETDURATION:2',
    '#EXT-X-MEDIA-SEQUENCE:7',
    '#EXT-X-PROGRAM-DATE-TIME:2026-01-05T01:00:00.000+0000',
    '#EXTINF:2.000000,',
    'r0-00007.ts',
    '#EXT-X-PROGRAM-DATE-TIME:2026-01-05T01:00:02.000+0000',
    '#EXTINF:1.960000,',
    'r0-00008.ts',
    '#EXT-X-DISCONTINUITY',
    '#EXT-X-PROGRAM-DATE-TIME:2026-01-05T01:00:05.000+0000',
    '#EXTINF:2.000000,',
    'r1-00000.ts',
    '',
  ].join('\n');

  it('reads the video playlist\'s entries with their date-times and discontinuities', () => {
    const p = parseMediaPlaylist(video);
    expect(p.mediaSequence).toBe(7);
    expect(p.entries.map((e) => [e.file, e.durationS, e.dateMs, e.discontinuity])).toEqual([
      ['r0-00007.ts', 2, Date.UTC(2026, 0, 5, 1, 0, 0), false],
      ['r0-00008.ts', 1.96, Date.UTC(2026, 0, 5, 1, 0, 2), false],
      ['r1-00000.ts', 2, Date.UTC(2026, 0, 5, 1, 0, 5), true],
    ]);
  });

  it('mirrors the video playlist for the segments written, trailing it, never skipping one', () => {
    const p = parseMediaPlaylist(video);
    const two = subtitlesPlaylist(p, (n) => n === 'r0-00007.vtt' || n === 'r1-00000.vtt');
    expect(two).toContain('#EXT-X-MEDIA-SEQUENCE:7');
    expect(two).toContain('r0-00007.vtt');
    expect(two).not.toContain('r1-00000.vtt');
    const all = subtitlesPlaylist({ ...p, ended: true }, () => true);
    expect(all.split('\n').filter((l) => l.endsWith('.vtt'))).toEqual(['r0-00007.vtt', 'r0-00008.vtt', 'r1-00000.vtt']);
    expect(all).toContain('#EXTINF:1.960000,\nr0-00008.vtt\n#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2026-01-05T01:00:05.000Z');
    expect(all.trim().endsWith('#EXT-X-ENDLIST')).toBe(true);
    // A live window that slid: the media sequence follows the first segment listed.
    expect(subtitlesPlaylist(p, (n) => n !== 'r0-00007.vtt')).toContain('#EXT-X-MEDIA-SEQUENCE:8');
  });

  it('names the Vietnamese subtitles rendition in the master playlist, and the variant carries its group', () => {
    const m = masterPlaylist('index.m3u8', 'subs.m3u8');
    expect(m).toContain('#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="vi",NAME="Tiếng Việt",DEFAULT=NO,AUTOSELECT=YES,URI="subs.m3u8"');
    expect(m).toContain('#EXT-X-STREAM-INF:BANDWIDTH=1200000,SUBTITLES="subs"\nindex.m3u8');
    expect(masterPlaylist('index.m3u8', null)).not.toContain('SUBTITLES');
  });

  it('finds ffprobe beside ffmpeg', () => {
    expect(ffprobeBeside('ffmpeg')).toBe('ffprobe');
    expect(ffprobeBeside('/opt/ff/bin/ffmpeg')).toBe('/opt/ff/bin/ffprobe');
  });
});
