/**
 * Ending a meeting across signaling processes: two signaling nodes (signaling/main.ts in cluster
 * mode, each its own process and recordings folder) over one real redis-server, one SFU node
 * process and one PostgreSQL server they share. The end is asked of node 1; node 2 holds the
 * host, a teacher and the recording. Node 2 ends its part too: its recording stops with
 * meeting_ended (listed so through node 1), everyone on either node is told and disconnected,
 * and both nodes refuse later joins with not_open.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DisconnectReason, MeetingEndedInfo, RecordingSummary } from '../../signaling/protocol/events';
import { call, next, request, type TestSocket } from '../../harness/server';
import { startRedis, startSfuNode, type RedisProcess, type SfuNodeProcess } from '../../harness/cluster';
import { clusterToken, connectTo, startSignalingNode, type SignalingProcess } from '../../harness/signaling';
import { startPostgres, type PostgresServer } from '../../harness/postgres';
import { audioRtpParameters, dtlsParameters, videoRtpParameters } from '../../harness/media';
import { waitFor } from '../../harness/browser';

let redis: RedisProcess;
let pg: PostgresServer;
let sfuNode: SfuNodeProcess;
const sig: SignalingProcess[] = [];
const dirs: string[] = [];
const open: TestSocket[] = [];

const host = (): string => clusterToken({ sub: 'bo-truong', role: 'host' });
const teacher = (sub: string, province: string): string => clusterToken({ sub, role: 'teacher', province });

const api = async (node: SignalingProcess, method: string, url: string, token: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
  const res = await fetch(`${node.url}${url}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : null };
};

interface Member {
  socket: TestSocket;
  ended: Promise<MeetingEndedInfo>;
  reason: Promise<DisconnectReason>;
  disconnected: Promise<string>;
}

async function member(node: SignalingProcess, token: string, meetingId: string): Promise<Member> {
  const socket = await connectTo(node.url, token);
  open.push(socket);
  const m: Member = {
    socket,
    ended: next(socket, 'meetingEnded', 120_000),
    reason: next(socket, 'disconnectReason', 120_000).then((r) => r.reason),
    disconnected: new Promise((resolve) => socket.once('disconnect', resolve)),
  };
  await call(socket, 'join', { meetingId });
  return m;
}

beforeAll(async () => {
  redis = await startRedis();
  pg = await startPostgres();
  const database = await pg.createDatabase('meeting_end_cluster');
  sfuNode = await startSfuNode(redis.url, 'sfu-end');
  // One after the other: the first seeds the shared database.
  for (const id of ['sig-end-1', 'sig-end-2']) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hoinghi-${id}-`));
    dirs.push(dir);
    sig.push(
      await startSignalingNode(redis.url, id, {
        HOINGHI_DATABASE_URL: database,
        HOINGHI_DEMO_SIGNIN: 'true',
        HOINGHI_DEMO_SCHOOLS: '34',
        HOINGHI_DEMO_TEACHERS: '100',
        HOINGHI_RECORDINGS_DIR: dir,
        HOINGHI_RECORDING_MIN_FREE_MB: '1',
      }),
    );
  }
}, 240_000);

afterAll(async () => {
  for (const s of open) s.close();
  await Promise.all(sig.map((n) => n.stop()));
  await sfuNode?.stop();
  await redis?.stop();
  await pg?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
}, 60_000);

describe('ending a meeting on one signaling node ends it on the other', () => {
  let meetingId = '';
  let recordingId = '';
  let onOne: Member;
  let onTwo: Member;
  let hostOnTwo: Member;

  beforeAll(async () => {
    const start = Date.now() - 1000;
    const created = await api(sig[0]!, 'POST', '/api/meetings', host(), {
      title: 'Hội nghị toàn quốc',
      startsAt: new Date(start).toISOString(),
      endsAt: new Date(start + 3_600_000).toISOString(),
      audience: { kind: 'country' },
    });
    expect(created.status).toBe(201);
    meetingId = (created.json as { id: string }).id;
    expect((await api(sig[0]!, 'POST', `/api/meetings/${meetingId}/open`, host())).status).toBe(200);

    // The host publishes and records through node 2 (the streams carry no media: ffmpeg runs, writing nothing).
    hostOnTwo = await member(sig[1]!, host(), meetingId);
    const send = await call(hostOnTwo.socket, 'createTransport', { direction: 'send' });
    await call(hostOnTwo.socket, 'connectTransport', { transportId: send.id, dtlsParameters });
    await call(hostOnTwo.socket, 'produce', { transportId: send.id, kind: 'video', source: 'camera', rtpParameters: videoRtpParameters() });
    await call(hostOnTwo.socket, 'produce', { transportId: send.id, kind: 'audio', source: 'mic', rtpParameters: audioRtpParameters() });
    recordingId = (await call(hostOnTwo.socket, 'startRecording', {})).id;
    onOne = await member(sig[0]!, teacher('gv-hn-1', '01'), meetingId);
    onTwo = await member(sig[1]!, teacher('gv-hcm-1', '79'), meetingId);
  }, 120_000);

  it('the node asked answers ended', async () => {
    const res = await api(sig[0]!, 'POST', `/api/meetings/${meetingId}/end`, host());
    expect(res.status).toBe(200);
    expect((res.json as { state: string }).state).toBe('ended');
  }, 60_000);

  it('everyone on either node is told why and disconnected', async () => {
    for (const m of [onOne, onTwo, hostOnTwo]) {
      expect(await m.ended).toMatchObject({ meetingId, reason: 'ended' });
      expect(await m.reason).toBe('meeting_ended');
      expect(await m.disconnected).toBe('io server disconnect');
    }
  }, 60_000);

  it('the recording made on the other node stopped with meeting_ended: in its folder, and as node 1 lists it', async () => {
    const list = await waitFor(
      async () => ((await api(sig[0]!, 'GET', `/api/meetings/${meetingId}/recordings`, teacher('gv-hn-2', '01'))).json as { recordings: RecordingSummary[] }).recordings,
      (r) => r.length === 1 && r[0]!.endedAt !== null,
      30_000,
      'the recording listed as ended through node 1',
    );
    expect(list[0]).toMatchObject({ id: recordingId, stopReason: 'meeting_ended' });
    const saved = JSON.parse(fs.readFileSync(path.join(dirs[1]!, meetingId, recordingId, 'recording.json'), 'utf8')) as { stopReason: string; endedAt: number | null };
    expect(saved).toMatchObject({ stopReason: 'meeting_ended', endedAt: expect.any(Number) });
  }, 60_000);

  it('both nodes refuse later joins with not_open', async () => {
    for (const [node, token] of [
      [sig[0]!, teacher('gv-hn-1', '01')],
      [sig[1]!, teacher('gv-hcm-1', '79')],
      [sig[1]!, host()],
    ] as const) {
      const socket = await connectTo(node.url, token);
      open.push(socket);
      const res = await request(socket, 'join', { meetingId });
      expect(res.ok ? 'joined' : res.error.code).toBe('not_open');
      socket.close();
    }
  }, 60_000);
});
