/**
 * Recordings belong to scheduled meetings (a node with a database, PGlite): who may list a
 * meeting's recordings and read its playlists is the meeting's audience, decided by the same
 * audience rule as joining (the teacher's school as the database records it, not the token's
 * meeting list), and it still holds after the meeting has ended (replay). The host's streams
 * carry no media here (the pipeline itself is recording.test.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { call, connectClient, request, startServer, tokenFor, type TestSocket } from '../../harness/server';
import { audioRtpParameters, dtlsParameters, videoRtpParameters } from '../../harness/media';

let server: HoinghiServer;
let dir: string;
let meetingId = '';
let recordingId = '';
let hostSocket: TestSocket;
let hostToken = '';

const get = (url: string, token?: string): Promise<Response> =>
  fetch(`${server.url}${url}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });

/** A teacher's token that lists the meeting: the server must not believe the list. */
const teacher = (sub: string): string => tokenFor(server, { role: 'teacher', sub, meetings: [meetingId] });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-recaccess-'));
  server = await startServer({
    HOINGHI_DATA_DIR: 'memory://',
    HOINGHI_DEMO_SCHOOLS: '34',
    HOINGHI_DEMO_TEACHERS: '100',
    HOINGHI_RECORDINGS_DIR: dir,
    HOINGHI_RECORDING_MIN_FREE_MB: '1',
  });
  hostToken = tokenFor(server, { sub: 'bo-truong', role: 'host' });
  const start = Date.now() - 1000;
  const res = await fetch(`${server.url}/api/meetings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${hostToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Họp Hà Nội', startsAt: new Date(start).toISOString(), endsAt: new Date(start + 3600_000).toISOString(), audience: { kind: 'provinces', provinces: ['01'] } }),
  });
  expect(res.status).toBe(201);
  meetingId = ((await res.json()) as { id: string }).id;
  expect((await fetch(`${server.url}/api/meetings/${meetingId}/open`, { method: 'POST', headers: { authorization: `Bearer ${hostToken}` } })).status).toBe(200);

  hostSocket = await connectClient(server, hostToken);
  await call(hostSocket, 'join', { meetingId });
  const send = await call(hostSocket, 'createTransport', { direction: 'send' });
  await call(hostSocket, 'connectTransport', { transportId: send.id, dtlsParameters });
  await call(hostSocket, 'produce', { transportId: send.id, kind: 'video', source: 'camera', rtpParameters: videoRtpParameters() });
  await call(hostSocket, 'produce', { transportId: send.id, kind: 'audio', source: 'mic', rtpParameters: audioRtpParameters() });
  recordingId = (await call(hostSocket, 'startRecording', {})).id;
}, 120_000);

afterAll(async () => {
  hostSocket?.close();
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('access to a scheduled meeting\'s recordings', () => {
  it('lists the live recording for a teacher of the audience\'s province', async () => {
    const res = await get(`/api/meetings/${meetingId}/recordings`, teacher('gv-hn-1'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { recordings: { id: string; endedAt: number | null }[] };
    expect(body.recordings.map((r) => r.id)).toEqual([recordingId]);
  });

  it('answers 403 to a teacher outside the audience, for the list and the playlist, though their token lists the meeting', async () => {
    const outsider = teacher('gv-hcm-1');
    const list = await get(`/api/meetings/${meetingId}/recordings`, outsider);
    expect(list.status).toBe(403);
    expect(((await list.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    const playlist = await get(`/api/meetings/${meetingId}/recordings/${recordingId}/index.m3u8`, outsider);
    expect(playlist.status).toBe(403);
    expect(await playlist.text()).not.toContain('#EXTM3U');
  });

  it('answers 403 to a province host whose province the meeting does not reach, 401 without a valid token', async () => {
    const other = tokenFor(server, { role: 'province_host', sub: 'so-hcm', province: '79', meetings: [meetingId] });
    expect((await get(`/api/meetings/${meetingId}/recordings`, other)).status).toBe(403);
    expect((await get(`/api/meetings/${meetingId}/recordings`)).status).toBe(401);
    expect((await get(`/api/meetings/${meetingId}/recordings`, 'not.a.token')).status).toBe(401);
  });

  it('keeps the audience\'s access after the meeting ends (replay), and the outsider still gets 403', async () => {
    const ended = await fetch(`${server.url}/api/meetings/${meetingId}/end`, { method: 'POST', headers: { authorization: `Bearer ${hostToken}` } });
    expect(ended.status).toBe(200);
    // Joining is over for everyone; the recordings stay for the audience.
    const late = await connectClient(server, teacher('gv-hn-2'));
    const join = await request(late, 'join', { meetingId });
    expect(join.ok).toBe(false);
    late.close();
    // The end stopped the recording itself: listed ended at once.
    const res = await get(`/api/meetings/${meetingId}/recordings`, teacher('gv-hn-2'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { recordings: { id: string; endedAt: number | null; stopReason: string | null }[] };
    expect(body.recordings.map((r) => r.id)).toEqual([recordingId]);
    expect(body.recordings[0]).toMatchObject({ endedAt: expect.any(Number), stopReason: 'meeting_ended' });
    expect((await get(`/api/meetings/${meetingId}/recordings`, teacher('gv-hcm-1'))).status).toBe(403);
  });
});
