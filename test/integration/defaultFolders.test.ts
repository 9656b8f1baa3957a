/**
 * The default set-up's relative folders, with real parts: a node started from a working directory
 * with HOINGHI_RECORDINGS_DIR left at its default (`recordings`, relative, as scripts/start.sh
 * runs it) and the web client named by a relative HOINGHI_WEB_DIST. A host on air (real media, the
 * looped clip), a recording made by Debian's ffmpeg, and the replay, the delayed stream (live HLS)
 * and the web client fetched over HTTP: every one answers 200 with content, and the files are
 * where the working directory says.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSfu } from '../../sfu/LocalSfu';
import type { HoinghiServer } from '../../signaling/server';
import { playlistSegments } from '../../signaling/recording/Recorder';
import { waitFor } from '../../harness/browser';
import { hostOnAir } from '../helpers/onAir';
import type { RtpSource } from '../../harness/rtpSource';
import { MEETING, call, connectClient, startServer, tokenFor, type TestSocket } from '../../harness/server';

const WEB_DIST = path.resolve('web/dist');
const startDir = process.cwd();
let workDir: string;
let server: HoinghiServer;
let source: RtpSource | undefined;
const sockets: TestSocket[] = [];

const get = (url: string, token?: string): Promise<Response> =>
  fetch(`${server.url}${url}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });

/** The playlist once it lists at least `segments` segments (503 while a live stream starts). */
async function playlistWith(url: string, token: string, segments: number): Promise<string> {
  const res = await waitFor(
    async () => {
      const r = await get(url, token);
      return { status: r.status, text: await r.text() };
    },
    (r) => r.status === 200 && playlistSegments(r.text).length >= segments,
    90_000,
    `${segments} segments in ${url}`,
  );
  return res.text;
}

/** A segment of that playlist, over HTTP: 200 with bytes (a transport stream starts with its sync byte). */
async function expectSegment(playlistUrl: string, text: string, token: string): Promise<void> {
  const file = playlistSegments(text).at(-1)!.file;
  const res = await get(playlistUrl.replace('index.m3u8', file), token);
  expect(res.status).toBe(200);
  const bytes = Buffer.from(await res.arrayBuffer());
  expect(bytes.length).toBeGreaterThan(1000);
  expect(bytes[0]).toBe(0x47);
}

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-cwd-'));
  process.chdir(workDir);
  server = await startServer({
    // Unset: the default folder, `recordings` under the working directory.
    HOINGHI_RECORDINGS_DIR: '',
    HOINGHI_WEB_DIST: path.relative(workDir, WEB_DIST),
    HOINGHI_RECORDING_MIN_FREE_MB: '1',
    HOINGHI_HLS_SEGMENT_S: '1',
  });
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  source?.stop();
  await server?.close();
  process.chdir(startDir);
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

describe('a node on the default, relative folders', () => {
  it('holds every folder setting as an absolute path under the working directory', () => {
    expect(server.config.recording.dir).toBe(path.join(workDir, 'recordings'));
    expect(server.config.webDist).toBe(WEB_DIST);
  });

  it('serves the web client from a relative HOINGHI_WEB_DIST', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<div id="root">');
  });

  it('records into ./recordings and serves the replay: playlist and segment answer 200 with content', async () => {
    const host = await connectClient(server, tokenFor(server, { role: 'host', sub: 'cwd-host' }));
    sockets.push(host);
    await call(host, 'join', { meetingId: MEETING });
    source = await hostOnAir(server, server.sfu as LocalSfu, 'cwd-host');
    const started = await call(host, 'startRecording', {});
    const token = tokenFor(server, { role: 'teacher', sub: 'cwd-reader' });
    const url = `/api/meetings/${MEETING}/recordings/${started.id}/index.m3u8`;
    const live = await playlistWith(url, token, 2);
    await expectSegment(url, live, token);
    expect(fs.existsSync(path.join(workDir, 'recordings', MEETING, started.id, 'index.m3u8'))).toBe(true);

    await call(host, 'stopRecording', {});
    // The stop is answered within 4 s; on a loaded machine ffmpeg's last segment and the closed
    // playlist follow it.
    const text = await waitFor(
      async () => {
        const replay = await get(url, token);
        return { status: replay.status, text: await replay.text() };
      },
      (r) => r.status === 200 && r.text.includes('#EXT-X-ENDLIST'),
      30_000,
      'the replay playlist closed',
    ).then((r) => r.text);
    await expectSegment(url, text, token);
  }, 150_000);

  it('serves the delayed stream (live HLS) from ./recordings/.live: playlist and segment answer 200 with content', async () => {
    const teacher = await connectClient(server, tokenFor(server, { role: 'teacher', sub: 'cwd-teacher' }));
    sockets.push(teacher);
    await call(teacher, 'join', { meetingId: MEETING });
    const watch = await call(teacher, 'watchLive', {});
    const token = tokenFor(server, { role: 'teacher', sub: 'cwd-teacher' });
    const text = await playlistWith(watch.path, token, 2);
    await expectSegment(watch.path, text, token);
    expect(fs.existsSync(path.join(workDir, 'recordings', '.live'))).toBe(true);
  }, 150_000);
});
