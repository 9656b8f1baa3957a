/**
 * Recording control and access over real sockets and HTTP: who may start and stop, what the
 * meeting hears, and who may read the playlists. The streams carry no media here (the pipeline
 * itself is recording.test.ts), so ffmpeg runs but writes nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import type { LiveRecording } from '../../signaling/protocol/events';
import { MEETING, call, connectClient, next, request, startServer, tokenFor } from '../../harness/server';
import { joinAndPublish, joinAsViewer, type Publisher, type Viewer } from '../helpers/flows';
import { dtlsParameters, videoRtpParameters } from '../../harness/media';
import { waitFor } from '../../harness/browser';

let server: HoinghiServer;
let dir: string;
let host: Publisher;
let teacher: Viewer;

const get = (url: string, token?: string): Promise<Response> =>
  fetch(`${server.url}${url}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-recflow-'));
  server = await startServer({ HOINGHI_RECORDINGS_DIR: dir, HOINGHI_RECORDING_MIN_FREE_MB: '1' });
  host = await joinAndPublish(server, { sub: 'host-rec' });
  teacher = await joinAsViewer(server, { sub: 'teacher-rec', province: '01' });
}, 60_000);

afterAll(async () => {
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('recording control', () => {
  it('refuses a teacher who asks to record, and records nothing', async () => {
    const res = await request(teacher.socket, 'startRecording', {});
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.code).toBe('forbidden');
    expect(server.recordings.stats().active).toBe(0);
  });

  it('refuses a malformed start with bad_request', async () => {
    const res = await request(host.socket, 'startRecording', { meetingId: '../../etc' });
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.code).toBe('bad_request');
  });

  it('lets the host start recording; every participant hears it (the indicator), and a second start is a conflict', async () => {
    const heard = next(teacher.socket, 'recordings');
    const started = await call(host.socket, 'startRecording', {});
    expect(started.sessionKey).toBe('main');
    const live = (await heard) as LiveRecording[];
    expect(live.map((r) => r.id)).toEqual([started.id]);
    const again = await request(host.socket, 'startRecording', {});
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.error.code).toBe('conflict');
  });

  it('tells a participant who joins later which sessions are being recorded', async () => {
    const socket = await connectClient(server, tokenFor(server, { role: 'teacher', sub: 'late-teacher' }));
    const heard = next(socket, 'recordings');
    await call(socket, 'join', { meetingId: MEETING });
    expect(((await heard) as LiveRecording[]).length).toBe(1);
    socket.close();
  });
});

describe('access to recordings', () => {
  it('lists the meeting\'s recordings for its audience only: 401 without a token, 403 outside the audience', async () => {
    const member = tokenFor(server, { role: 'teacher', sub: 'reader' });
    const outsider = tokenFor(server, { role: 'teacher', sub: 'outsider', meetings: ['another-meeting'] });
    const ok = await get(`/api/meetings/${MEETING}/recordings`, member);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { recordings: { id: string; endedAt: number | null }[] };
    expect(body.recordings).toHaveLength(1);
    expect(body.recordings[0]!.endedAt).toBeNull();
    expect((await get(`/api/meetings/${MEETING}/recordings`)).status).toBe(401);
    expect((await get(`/api/meetings/${MEETING}/recordings`, outsider)).status).toBe(403);
    expect((await get(`/api/meetings/${MEETING}/recordings`, 'not.a.token')).status).toBe(401);
  });

  it('serves no file outside a recording\'s folder, whatever the path', async () => {
    const member = tokenFor(server, { role: 'teacher', sub: 'reader2' });
    const id = server.recordings.active(MEETING)[0]!.id;
    for (const p of [`${id}/recording.json`, `${id}/input.sdp`, `${id}/..%2F..%2Fx`, `..%2F${id}/index.m3u8`, `${id}/r0-1.ts%00`]) {
      const res = await get(`/api/meetings/${MEETING}/recordings/${p}`, member);
      expect([400, 404]).toContain(res.status);
      expect(await res.text()).not.toContain('rtpmap');
    }
  });

  it('lets the host stop recording: the meeting hears an empty list', async () => {
    const heard = next(teacher.socket, 'recordings');
    const stopped = await call(host.socket, 'stopRecording', {});
    expect(stopped.id).toMatch(/-main-/);
    expect(await heard).toEqual([]);
    const again = await request(host.socket, 'stopRecording', {});
    expect(again.ok).toBe(false);
  });
});

describe('breakouts', () => {
  it('lets a province host record their own breakout, and only that', async () => {
    const ph = await connectClient(server, tokenFor(server, { role: 'province_host', province: '01', sub: 'ph-01b' }));
    await call(ph, 'join', { meetingId: MEETING });
    const before = await request(ph, 'startRecording', {});
    expect(before.ok).toBe(false);
    if (!before.ok) expect(before.error.code).toBe('forbidden');

    const moved = next(ph, 'sessionChanged');
    await call(host.socket, 'startBreakouts', { nationalOverlay: false });
    expect((await moved).key).toBe('01');
    // Publish in the breakout, then record it.
    const send = await call(ph, 'createTransport', { direction: 'send' });
    await call(ph, 'connectTransport', { transportId: send.id, dtlsParameters });
    await call(ph, 'produce', { transportId: send.id, kind: 'video', source: 'camera', rtpParameters: videoRtpParameters() });
    const started = await call(ph, 'startRecording', {});
    expect(started.sessionKey).toBe('01');
    // The national session is not recorded by it.
    expect(server.recordings.active(MEETING).map((r) => r.sessionKey)).toEqual(['01']);
    await call(ph, 'stopRecording', {});
    await call(host.socket, 'endBreakouts', {});
    ph.close();
  });
});

describe('an ffmpeg slow to finish', () => {
  // Found by the rehearsal (load average 16 on two cores): a province host's stop took 13 s
  // (the taps closed, ffmpeg's last segment, the playlist closed), past the socket queue's
  // watchdog. Here "ffmpeg" ignores SIGINT, so each stop lasts until it is killed (5 s later).
  let slow: HoinghiServer;
  let slowDir: string;

  beforeAll(async () => {
    slowDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-recslow-'));
    const fake = path.join(slowDir, 'ffmpeg-ignoring-sigint');
    fs.writeFileSync(fake, "#!/bin/sh\ntrap '' INT\nexec sleep 120\n", { mode: 0o755 });
    slow = await startServer({ HOINGHI_RECORDINGS_DIR: path.join(slowDir, 'rec'), HOINGHI_RECORDING_MIN_FREE_MB: '1', HOINGHI_FFMPEG: fake });
  }, 60_000);

  afterAll(async () => {
    await slow?.close();
    fs.rmSync(slowDir, { recursive: true, force: true });
  });

  it('answers the host\'s stop while ffmpeg is still finishing, and finishes the recording after', async () => {
    const h = await joinAndPublish(slow, { sub: 'host-slow' });
    const started = await call(h.socket, 'startRecording', {});
    const pid = slow.recordings.recorderOf(MEETING, 'main')!.pid!;
    const stopped = await call(h.socket, 'stopRecording', {});
    expect(stopped.id).toBe(started.id);
    // Answered before ffmpeg was done with: it is still running, yet the session is not recorded any more.
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect(slow.recordings.isRecording(MEETING, 'main')).toBe(false);
    expect((await request(h.socket, 'startRecording', {})).ok).toBe(true);
    // The stopped one finishes in the background: its description says it ended, by the host.
    const file = path.join(slowDir, 'rec', MEETING, started.id, 'recording.json');
    const info = await waitFor(async () => JSON.parse(fs.readFileSync(file, 'utf8')) as { endedAt: number | null; stopReason: string | null }, (i) => i.endedAt !== null, 30_000, 'the first recording finished');
    expect(info.stopReason).toBe('host');
    await call(h.socket, 'stopRecording', {});
  }, 90_000);
});
