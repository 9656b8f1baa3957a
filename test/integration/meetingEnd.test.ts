/**
 * "Kết thúc hội nghị" ends the meeting live, on one node with real parts: a scheduled meeting
 * (PGlite), a host on air with real media (the looped clip), a recording and the delayed stream
 * (live HLS) made by Debian's ffmpeg, participants on real sockets. Ending it over HTTP stops the
 * recording cleanly (EXT-X-ENDLIST, stop reason meeting_ended, listed as a replay as soon as the
 * answer comes) and the live stream, tells every participant why and takes them out (attendance
 * closed), and refuses later joins with not_open. Deleting a meeting ends it the same way, and a
 * meeting ended in the database by another path is ended here by the sweep.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSfu } from '../../sfu/LocalSfu';
import type { HoinghiServer } from '../../signaling/server';
import type { DisconnectReason, MeetingEndedInfo, RecordingSummary } from '../../signaling/protocol/events';
import { playlistSegments } from '../../signaling/recording/Recorder';
import { MeetingRepo } from '../../signaling/schedule/meetingRepo';
import { waitFor } from '../../harness/browser';
import { hostOnAir } from '../helpers/onAir';
import type { RtpSource } from '../../harness/rtpSource';
import { call, connectClient, next, request, startServer, tokenFor, type TestSocket } from '../../harness/server';

let server: HoinghiServer;
let dir: string;
const sockets: TestSocket[] = [];
const sources: RtpSource[] = [];

const api = (method: string, url: string, token: string): Promise<Response> =>
  fetch(`${server.url}${url}`, { method, headers: { Authorization: `Bearer ${token}` } });

async function schedule(title: string): Promise<string> {
  const start = Date.now() - 1000;
  const res = await fetch(`${server.url}/api/meetings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${hostToken()}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title, startsAt: new Date(start).toISOString(), endsAt: new Date(start + 3_600_000).toISOString(), audience: { kind: 'country' } }),
  });
  expect(res.status).toBe(201);
  const id = ((await res.json()) as { id: string }).id;
  expect((await api('POST', `/api/meetings/${id}/open`, hostToken())).status).toBe(200);
  return id;
}

const hostToken = (): string => tokenFor(server, { sub: 'bo-truong', role: 'host' });
const teacherToken = (sub: string, province = '01'): string => tokenFor(server, { sub, role: 'teacher', province });

/** A participant joined to `meetingId`, with what the server tells it at the end. */
interface Member {
  socket: TestSocket;
  ended: Promise<MeetingEndedInfo>;
  reason: Promise<DisconnectReason>;
  disconnected: Promise<string>;
}

async function member(token: string, meetingId: string): Promise<Member> {
  const socket = await connectClient(server, token);
  sockets.push(socket);
  const m: Member = {
    socket,
    ended: next(socket, 'meetingEnded', 120_000),
    reason: next(socket, 'disconnectReason', 120_000).then((r) => r.reason),
    disconnected: new Promise((resolve) => socket.once('disconnect', resolve)),
  };
  await call(socket, 'join', { meetingId });
  return m;
}

async function joinRefusal(token: string, meetingId: string): Promise<string> {
  const socket = await connectClient(server, token);
  sockets.push(socket);
  const res = await request(socket, 'join', { meetingId });
  socket.close();
  return res.ok ? 'joined' : res.error.code;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-end-'));
  server = await startServer({
    HOINGHI_DATA_DIR: 'memory://',
    HOINGHI_DEMO_SCHOOLS: '34',
    HOINGHI_DEMO_TEACHERS: '100',
    HOINGHI_RECORDINGS_DIR: dir,
    HOINGHI_RECORDING_MIN_FREE_MB: '1',
    HOINGHI_HLS_SEGMENT_S: '1',
    HOINGHI_ATTENDANCE_FLUSH_MS: '50',
  });
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  for (const s of sources) s.stop();
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('ending a meeting on air', () => {
  let meetingId = '';
  let host: Member;
  let teacher: Member;
  let recordingId = '';
  let liveId = '';

  beforeAll(async () => {
    meetingId = await schedule('Hội nghị toàn quốc');
    host = await member(hostToken(), meetingId);
    teacher = await member(teacherToken('gv-hn-1'), meetingId);
    sources.push(await hostOnAir(server, server.sfu as LocalSfu, 'bo-truong', meetingId));
    recordingId = (await call(host.socket, 'startRecording', {})).id;
    liveId = (await call(teacher.socket, 'watchLive', {})).path.split('/').at(-2)!;
    const recorder = server.recordings.recorderOf(meetingId, 'main')!;
    // Media is being recorded: two segments written, and the delayed stream is running.
    await waitFor(async () => recorder.runSegments, (n) => n >= 2, 90_000, 'two recorded segments');
    expect(server.live.stats().active).toBe(1);
  }, 180_000);

  it('answers the end once the recording is a replay: stopped with meeting_ended, its playlist closed with EXT-X-ENDLIST', async () => {
    const res = await api('POST', `/api/meetings/${meetingId}/end`, hostToken());
    expect(res.status).toBe(200);
    expect(((await res.json()) as { state: string }).state).toBe('ended');
    // Nothing is recorded or streamed any more, at once.
    expect(server.recordings.stats().active).toBe(0);
    expect(server.live.stats().active).toBe(0);
    const playlist = fs.readFileSync(path.join(dir, meetingId, recordingId, 'index.m3u8'), 'utf8');
    expect(playlist).toContain('#EXT-X-ENDLIST');
    expect(playlistSegments(playlist).length).toBeGreaterThanOrEqual(2);
    const saved = JSON.parse(fs.readFileSync(path.join(dir, meetingId, recordingId, 'recording.json'), 'utf8')) as { stopReason: string; endedAt: number | null };
    expect(saved.stopReason).toBe('meeting_ended');
    expect(saved.endedAt).not.toBeNull();
    // Listed as a replay, ended, for the meeting's audience.
    const list = await api('GET', `/api/meetings/${meetingId}/recordings`, teacherToken('gv-hn-2'));
    const body = (await list.json()) as { recordings: RecordingSummary[] };
    expect(body.recordings).toHaveLength(1);
    expect(body.recordings[0]).toMatchObject({ id: recordingId, stopReason: 'meeting_ended', endedAt: expect.any(Number) });
    expect(body.recordings[0]!.durationS).toBeGreaterThan(0);
    // The live stream's lease is gone too (a stale origin would send teachers to a dead stream).
    expect(await server.hlsIndex.live(meetingId, 'main')).toBeNull();
    expect(liveId).not.toBe('');
  }, 60_000);

  it('tells every participant why (with the replay), then disconnects them', async () => {
    for (const m of [host, teacher]) {
      expect(await m.ended).toEqual({ meetingId, reason: 'ended', replay: true });
      expect(await m.reason).toBe('meeting_ended');
      expect(await m.disconnected).toBe('io server disconnect');
    }
  });

  it('takes everyone out of the meeting: roster empty, the meeting closed here, the teacher\'s attendance closed at the end', async () => {
    expect(server.sockets.registry.get(meetingId)).toBeUndefined();
    const counts = await server.store.meeting(meetingId).counts();
    expect(counts.viewers + counts.hosts).toBe(0);
    await server.data!.attendance.flush();
    const rows = await server.data!.db.query<{ left_at: Date | null }>('SELECT left_at FROM attendance WHERE meeting_id = $1 AND teacher_id = $2', [meetingId, 'gv-hn-1']);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.left_at).not.toBeNull();
  });

  it('refuses later joins with not_open, teachers and hosts alike', async () => {
    expect(await joinRefusal(teacherToken('gv-hn-1'), meetingId)).toBe('not_open');
    expect(await joinRefusal(hostToken(), meetingId)).toBe('not_open');
    expect(server.sockets.registry.get(meetingId)).toBeUndefined();
  });

});

describe('deleting a meeting, and a meeting ended elsewhere', () => {
  it('deleting a live meeting ends it for its participants (reason deleted, nothing to replay)', async () => {
    const meetingId = await schedule('Hội nghị bị huỷ');
    const teacher = await member(teacherToken('gv-hcm-1', '79'), meetingId);
    expect((await api('DELETE', `/api/meetings/${meetingId}`, hostToken())).status).toBe(204);
    expect(await teacher.ended).toEqual({ meetingId, reason: 'deleted', replay: false });
    expect(await teacher.reason).toBe('meeting_ended');
    await teacher.disconnected;
    expect(server.sockets.registry.get(meetingId)).toBeUndefined();
    expect(await joinRefusal(teacherToken('gv-hcm-1', '79'), meetingId)).toBe('not_found');
  });

  it('a meeting ended in the database without this node being told is ended here by the sweep', async () => {
    const meetingId = await schedule('Hội nghị kết thúc ở nơi khác');
    const teacher = await member(teacherToken('gv-dn-1', '48'), meetingId);
    // As another node's end would leave it for a node that missed the message.
    await new MeetingRepo(server.data!.db).setState(meetingId, 'ended');
    expect(await teacher.ended).toEqual({ meetingId, reason: 'ended', replay: false });
    await teacher.disconnected;
    expect(server.sockets.registry.get(meetingId)).toBeUndefined();
  }, 60_000);
});
