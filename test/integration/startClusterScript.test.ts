/**
 * `scripts/start-cluster.sh` as people run it (the script itself, with only its ports and its
 * database folder chosen by the test): through its HAProxy address, the demo sign-in, scheduling
 * a meeting into its PostgreSQL database, the lobby, the audience check and admission over
 * socket.io, attendance, a restarted signaling process that still knows the meeting, a stop that
 * leaves no process behind, and a second run of the script on the same folder that still has
 * the meeting.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestSocket } from '../../harness/server';
import { call, request } from '../../harness/server';
import { connectTo } from '../../harness/signaling';
import { startClusterScript, type ClusterScript, type ProcessInfo } from '../helpers/clusterScript';
import { until } from '../../harness/wait';

interface SignIn {
  token: string;
}
interface Meeting {
  id: string;
  state: string;
  title: string;
}
interface MeetingList {
  live: Meeting[];
  upcoming: Meeting[];
  past: Meeting[];
}

async function api<T>(base: string, method: string, route: string, token: string | null, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

const portFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/** The kinds of process a running cluster must have (and a stopped one must not). */
const kinds = (ps: ProcessInfo[]): Record<string, number> => ({
  postgres: ps.filter((p) => /(^|\/)postgres( |$)|^postgres: /.test(p.command)).length,
  redis: ps.filter((p) => p.command.startsWith('redis-server')).length,
  haproxy: ps.filter((p) => p.command.startsWith('haproxy')).length,
  sfu: ps.filter((p) => p.command.includes('sfu/main.ts')).length,
  signaling: ps.filter((p) => p.command.includes('signaling/main.ts')).length,
});

describe('scripts/start-cluster.sh', () => {
  // Our own folder, so that it outlives the first run (the second run reuses it).
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-cluster-test-'));
  let cluster: ClusterScript | undefined;
  let hostToken = '';
  let meetingId = '';
  const sockets: TestSocket[] = [];

  const signIn = async (accountId: string): Promise<string> => {
    const res = await api<SignIn>(cluster!.url, 'POST', '/api/demo/signin', null, { accountId });
    expect(res.status).toBe(200);
    return res.body.token;
  };
  const connect = async (url: string, token: string): Promise<TestSocket> => {
    const s = await connectTo(url, token);
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    // One environment for the whole cluster, as an operator exports it: a setting only signaling
    // reads, one only the SFU nodes read, and the worker build's knob (each program refuses a
    // name it does not read, so the script must give each only its own).
    cluster = await startClusterScript({
      dataDir,
      env: { HOINGHI_JOIN_RATE: '200', HOINGHI_SFU_CONTROLLER_GRACE_MS: '30000', HOINGHI_WORKER_VARIANT: 'patched' },
    });
  }, 330_000);
  afterAll(async () => {
    for (const s of sockets) s.close();
    if (cluster && cluster.child.exitCode === null && cluster.child.signalCode === null) await cluster.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }, 150_000);

  it('serves the demo organisation and schedules a meeting into its PostgreSQL database, through HAProxy', async () => {
    hostToken = await signIn('bo-truong');
    // The demo meeting exists, as with scripts/start.sh: the demo data was loaded into this database.
    const before = await api<MeetingList>(cluster!.url, 'GET', '/api/meetings', hostToken);
    expect(before.status).toBe(200);
    expect(before.body.live.map((m) => m.id)).toContain('hoi-nghi-toan-quoc');

    const startsAt = Date.now() + 3600_000;
    const created = await api<Meeting>(cluster!.url, 'POST', '/api/meetings', hostToken, {
      title: 'Giao ban Sở GD&ĐT Hà Nội',
      startsAt: new Date(startsAt).toISOString(),
      endsAt: new Date(startsAt + 3600_000).toISOString(),
      audience: { kind: 'provinces', provinces: ['01'] },
    });
    expect(created.status).toBe(201);
    expect(created.body.state).toBe('scheduled');
    meetingId = created.body.id;

    const list = await api<MeetingList>(cluster!.url, 'GET', '/api/meetings', hostToken);
    expect(list.body.upcoming.map((m) => m.id)).toContain(meetingId);

    // It is a row of the PostgreSQL server the script started (password auth, loopback only).
    const password = fs.readFileSync(path.join(dataDir, 'postgres.password'), 'utf8').trim();
    const client = new pg.Client({ host: '127.0.0.1', port: cluster!.postgresPort, user: 'postgres', password, database: 'hoinghi' });
    await client.connect();
    try {
      const rows = (await client.query<{ title: string }>('SELECT title FROM meetings WHERE id = $1', [meetingId])).rows;
      expect(rows).toEqual([{ title: 'Giao ban Sở GD&ĐT Hà Nội' }]);
    } finally {
      await client.end();
    }
    // …and no one gets in without that password.
    const stranger = new pg.Client({ host: '127.0.0.1', port: cluster!.postgresPort, user: 'postgres', password: 'wrong', database: 'hoinghi' });
    await expect(stranger.connect()).rejects.toThrow(/password authentication failed/);
    await stranger.end().catch(() => undefined);
  });

  it('keeps a teacher in the lobby until the host opens the meeting, refuses one outside the audience, and admits the audience over socket.io through HAProxy', async () => {
    const teacherToken = await signIn('gv-hn-1');
    const lobby = await api<Meeting & { rights: { join: boolean } }>(cluster!.url, 'GET', `/api/meetings/${meetingId}`, teacherToken);
    expect(lobby.body).toMatchObject({ state: 'scheduled', rights: { join: false } });
    const teacher = await connect(cluster!.url, teacherToken);
    const early = await request(teacher, 'join', { meetingId });
    expect(early.ok ? 'joined' : early.error.code).toBe('not_open');

    const outsider = await connect(cluster!.url, await signIn('gv-hcm-1'));
    const refused = await request(outsider, 'join', { meetingId });
    expect(refused.ok ? 'joined' : refused.error.code).toBe('forbidden');

    const opened = await api<Meeting>(cluster!.url, 'POST', `/api/meetings/${meetingId}/open`, hostToken);
    expect(opened.body.state).toBe('open');
    const host = await connect(cluster!.url, hostToken);
    await call(host, 'join', { meetingId });
    // What the lobby page waits for before it joins.
    expect((await api<Meeting>(cluster!.url, 'GET', `/api/meetings/${meetingId}`, teacherToken)).body.state).not.toBe('scheduled');
    // At once, whichever node answers (one that refused a moment ago read the meeting again).
    const joined = await call(teacher, 'join', { meetingId });
    expect(joined.meetingId).toBe(meetingId);
    expect(joined.self).toMatchObject({ userId: 'gv-hn-1', role: 'teacher', province: '01' });

    const list = await api<MeetingList>(cluster!.url, 'GET', '/api/meetings', hostToken);
    expect(list.body.live.find((m) => m.id === meetingId)?.state).toBe('live');
  });

  it('shows the admitted teacher, present, in the meeting’s attendance', async () => {
    interface Attendance {
      totals: { present: number };
      rows: { id: string; present: boolean; province: string }[];
    }
    // Attendance is written in batches off the join path (HOINGHI_ATTENDANCE_FLUSH_MS, 1 s).
    const report = await until(
      async () => {
        const res = await api<Attendance>(cluster!.url, 'GET', `/api/meetings/${meetingId}/attendance?teachers=1`, hostToken);
        expect(res.status).toBe(200);
        return res.body.rows.some((r) => r.id === 'gv-hn-1' && r.present) ? res.body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'the attendance row' },
    );
    expect(report.totals.present).toBe(1);
    expect(report.rows.find((r) => r.id === 'gv-hn-1')).toMatchObject({ province: '01', present: true });
  });

  it('still has the meeting after a signaling process restarts: the restarted process serves it and admits the teacher again', async () => {
    for (const s of sockets.splice(0)) s.close();
    const before = cluster!.signalingProcess(1)!;
    expect(before).toBeDefined();
    // SIGTERM drains it; the script starts it again.
    const after = await cluster!.restartSignaling(1);
    expect(after.pid).not.toBe(before.pid);
    const direct = cluster!.signalingUrls[0]!;
    const m = await api<Meeting>(direct, 'GET', `/api/meetings/${meetingId}`, hostToken);
    expect(m.status).toBe(200);
    expect(m.body).toMatchObject({ id: meetingId, title: 'Giao ban Sở GD&ĐT Hà Nội' });
    expect(['open', 'live']).toContain(m.body.state);
    const teacher = await connect(direct, await signIn('gv-hn-1'));
    expect((await call(teacher, 'join', { meetingId })).meetingId).toBe(meetingId);
    for (const s of sockets.splice(0)) s.close();
  });

  it('stops on SIGTERM, PostgreSQL cleanly, and leaves no process behind', async () => {
    const running = cluster!.processes();
    // The cluster's processes as found from outside: PostgreSQL (a server and its helpers), Redis, HAProxy, 2 SFU nodes, 3 signaling.
    expect(kinds(running)).toMatchObject({ redis: 1, haproxy: 1, sfu: 2, signaling: 3 });
    expect(kinds(running).postgres).toBeGreaterThan(1);
    const result = await cluster!.stop('SIGTERM');
    expect(result.leftBehind).toEqual([]);
    expect(fs.existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
    expect(fs.readFileSync(path.join(dataDir, 'postgres.log'), 'utf8')).toMatch(/database system is shut down/);
    expect(await portFree(cluster!.postgresPort)).toBe(true);
    expect(await portFree(Number(new URL(cluster!.url).port))).toBe(true);
  }, 150_000);

  it('refuses a setting no program reads (a typo), naming it, before starting anything', async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HOINGHI_')));
    const run = spawnSync('bash', ['scripts/start-cluster.sh'], {
      env: { ...env, HOINGHI_CLUSTER_SKIP_SETUP: '1', HOINGHI_JOIN_RAET: '200' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/unknown setting\(s\): HOINGHI_JOIN_RAET/);
  }, 150_000);

  it('a second run on the same folder still has the meeting, and stops on SIGINT leaving nothing behind', async () => {
    cluster = await startClusterScript({ dataDir });
    const token = await signIn('bo-truong');
    const m = await api<Meeting>(cluster.url, 'GET', `/api/meetings/${meetingId}`, token);
    expect(m.status).toBe(200);
    expect(m.body.title).toBe('Giao ban Sở GD&ĐT Hà Nội');
    const result = await cluster.stop('SIGINT');
    expect(result.leftBehind).toEqual([]);
    expect(result.code).toBe(130);
  }, 480_000);
});
