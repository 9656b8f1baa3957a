/**
 * Captions in the delayed stream (live HLS) and in recordings, with real parts: mediasoup, the
 * host's real media (the clip), Debian's ffmpeg writing HLS, and ffprobe/ffmpeg reading the
 * subtitles rendition back through the master playlist the page loads (over HTTP, with the token).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSfu } from '../../sfu/LocalSfu';
import { HoinghiServer } from '../../signaling/server';
import { waitFor } from '../../harness/browser';
import { hostOnAir } from '../helpers/onAir';
import type { RtpSource } from '../../harness/rtpSource';
import { MEETING, call, connectClient, testConfig, tokenFor, type TestSocket } from '../../harness/server';
import { parseMediaPlaylist } from '../../signaling/recording/hlsSubtitles';
import { segmentStart } from '../../signaling/recording/subtitleTrack';

const run = promisify(execFile);
let sfu: LocalSfu;
let server: HoinghiServer;
let source: RtpSource;
let dir: string;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-cap-hls-'));
  sfu = await LocalSfu.create(testConfig().sfu);
  server = await HoinghiServer.create(testConfig({ HOINGHI_RECORDING_MIN_FREE_MB: '1', HOINGHI_HLS_SEGMENT_S: '1', HOINGHI_RECORDINGS_DIR: dir }), sfu);
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  source?.stop();
  await server?.close();
  await sfu?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function joined(role: 'host' | 'teacher', sub: string): Promise<TestSocket> {
  const socket = await connectClient(server, tokenFor(server, { role, sub, province: role === 'teacher' ? '01' : undefined }));
  sockets.push(socket);
  await call(socket, 'join', { meetingId: MEETING });
  return socket;
}

const get = (url: string, token: string): Promise<Response> => fetch(`${server.url}${url}`, { headers: { Authorization: `Bearer ${token}` } });

/**
 * The cues ffmpeg reads from the subtitles rendition of a master playlist (HLS demuxer → WebVTT).
 * ffmpeg 5.1's HLS demuxer reads subtitle renditions only with `-strict experimental`.
 */
async function cuesThroughHls(masterUrl: string, token: string): Promise<string> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-strict', 'experimental', '-headers', `Authorization: Bearer ${token}\r\n`, '-i', masterUrl, '-map', '0:s:0', '-c:s', 'webvtt', '-f', 'webvtt', '-y', 'pipe:1'], { timeout: 60_000 });
  return stdout;
}

describe('captions in HLS', () => {
  it('gives the delayed stream a Vietnamese WebVTT rendition in its master playlist, aligned with the video segments, whose segments ffprobe reads', async () => {
    const host = await joined('host', 'cap-hls-host');
    const teacher = await joined('teacher', 'cap-hls-t');
    source = await hostOnAir(server, sfu, 'cap-hls-host');
    const watch = await call(teacher, 'watchLive', {});
    const token = tokenFor(server, { role: 'teacher', sub: 'cap-hls-t', province: '01' });
    const base = watch.path.replace(/index\.m3u8$/, '');
    // The stream is running: a caption line now falls in one of its segments.
    await waitFor(async () => (await get(`${base}index.m3u8`, token)).status, (s) => s === 200, 60_000, 'the live playlist');
    const { cue } = await call(host, 'captionFinal', { id: 'hls1', text: 'Xin chào các thầy cô <3 & --> hẹn gặp lại' });
    const master = await (await get(`${base}master.m3u8`, token)).text();
    expect(master).toContain('#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="vi",NAME="Tiếng Việt",DEFAULT=NO,AUTOSELECT=YES,URI="subs.m3u8"');
    expect(master).toMatch(/#EXT-X-STREAM-INF:BANDWIDTH=\d+,SUBTITLES="subs"\nindex\.m3u8/);
    // The subtitles playlist mirrors the video's; a segment holds the line, escaped.
    const withLine = await waitFor(
      async () => {
        const subs = parseMediaPlaylist(await (await get(`${base}subs.m3u8`, token)).text());
        for (const e of subs.entries.slice().reverse()) {
          const r = await get(`${base}${e.file}`, token);
          const text = await r.text();
          if (text.includes('hls1-0')) return { entry: e, text, type: r.headers.get('content-type') };
        }
        return null;
      },
      (x) => x !== null,
      60_000,
      'a WebVTT segment with the line',
    );
    expect(withLine!.type).toContain('text/vtt');
    expect(withLine!.text).toContain('Xin chào các thầy cô &lt;3 &amp; --&gt; hẹn gặp lại');
    // Aligned: LOCAL 0 is the first frame of the video segment of the same name (ffprobe of the .ts).
    const tsName = withLine!.entry.file.replace(/\.vtt$/, '.ts');
    const ts = path.join(os.tmpdir(), `cap-${Date.now()}.ts`);
    fs.writeFileSync(ts, Buffer.from(await (await get(`${base}${tsName}`, token)).arrayBuffer()));
    const pts = await segmentStart('ffprobe', ts);
    fs.rmSync(ts, { force: true });
    expect(withLine!.text).toContain(`X-TIMESTAMP-MAP=MPEGTS:${Math.round(pts! * 90_000)},LOCAL:00:00:00.000`);
    // The line starts in the segment at its wall-clock offset from the segment's date-time.
    const offset = cue.endMs! - withLine!.entry.dateMs!;
    if (offset >= 0) expect(withLine!.text).toMatch(new RegExp(`\\n00:00:0${Math.floor(offset / 1000)}\\.\\d{3} --> `));
    // ffprobe reads the segment as WebVTT: the line's packet at its offset in the segment.
    const vtt = path.join(os.tmpdir(), `cap-${Date.now()}.vtt`);
    fs.writeFileSync(vtt, withLine!.text);
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name:packet=pts_time', '-of', 'json', vtt]);
    fs.rmSync(vtt, { force: true });
    const probed = JSON.parse(stdout) as { streams: { codec_name: string }[]; packets: { pts_time: string }[] };
    expect(probed.streams[0]!.codec_name).toBe('webvtt');
    const starts = [...withLine!.text.matchAll(/\n(\d{2}):(\d{2}):(\d{2}\.\d{3}) --> /g)].map((m) => Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]));
    expect(probed.packets.map((p) => Number(p.pts_time))).toEqual(starts);
  });

  it('gives a recording of the main session the rendition too, ended with it, which ffmpeg reads through the master playlist with the corrected line', async () => {
    const host = sockets[0]!;
    const rec = await call(host, 'startRecording', {});
    const token = tokenFor(server, { role: 'teacher', sub: 'cap-hls-t', province: '01' });
    const base = `/api/meetings/${MEETING}/recordings/${rec.id}/`;
    await waitFor(async () => (await get(`${base}index.m3u8`, token)).status, (s) => s === 200, 60_000, 'the recording playlist');
    await call(host, 'captionFinal', { id: 'rec1', text: 'Thông tư 12' });
    await call(host, 'captionFinal', { id: 'rec1', text: 'Thông tư 21', revision: 1 });
    const recorder = server.recordings.recorderOf(MEETING, 'main')!;
    const at = recorder.segments;
    await waitFor(async () => recorder.segments, (n) => n >= at + 3, 60_000, 'three more segments');
    await call(host, 'stopRecording', {});
    await waitFor(async () => (await get(`${base}subs.m3u8`, token)).text(), (t) => t.includes('#EXT-X-ENDLIST'), 30_000, 'the ended subtitles playlist');
    const cues = await cuesThroughHls(`${server.url}${base}master.m3u8`, token);
    expect(cues).toContain('Thông tư 21');
    expect(cues).not.toContain('Thông tư 12');
  });
});
