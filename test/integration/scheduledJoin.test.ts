/**
 * Joining scheduled meetings over real sockets on a node with a database (PGlite, and a real
 * PostgreSQL server): the server decides from the meeting's audience and state, not from the
 * token's meeting list; refusals are typed and change nothing; attendance records the join, a
 * reconnect within the grace continues the interval, and a breakout move splits it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { ENGINES, startPostgres, type PostgresServer } from '../../harness/postgres';
import { MEETING, call, connectClient, request, startServer, tokenFor } from '../../harness/server';
import { sleep, until } from '../../harness/wait';

interface Row {
  session: string;
  joined_at: Date;
  left_at: Date | null;
}

describe.each(ENGINES)('scheduled joins on %s', (engine) => {
  let server: HoinghiServer;
  let pg: PostgresServer | null = null;
  let openId = '';
  let laterId = '';
  let plannedId = '';
  beforeAll(async () => {
    const env: Record<string, string> = { HOINGHI_ATTENDANCE_FLUSH_MS: '50', HOINGHI_DEPARTURE_GRACE_MS: '3000', HOINGHI_DEMO_SCHOOLS: '34', HOINGHI_DEMO_TEACHERS: '100' };
    if (engine === 'postgres') {
      pg = await startPostgres();
      env.HOINGHI_DATABASE_URL = await pg.createDatabase('scheduled_join');
    } else {
      env.HOINGHI_DATA_DIR = 'memory://';
    }
    server = await startServer(env);
    const host = tokenFor(server, { sub: 'bo-truong', role: 'host' });
    const create = async (startInMs: number, more: Record<string, unknown> = {}): Promise<string> => {
      const start = Date.now() + startInMs;
      const res = await fetch(`${server.url}/api/meetings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${host}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'Họp Hà Nội', startsAt: new Date(start).toISOString(), endsAt: new Date(start + 3600_000).toISOString(), audience: { kind: 'provinces', provinces: ['01'] }, ...more }),
      });
      return ((await res.json()) as { id: string }).id;
    };
    openId = await create(-1000);
    laterId = await create(3600_000);
    plannedId = await create(-1000, { title: 'Họp theo kế hoạch', audience: { kind: 'country' }, breakoutPlan: { provinces: ['01'], durationMin: 5 } });
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await pg?.stop();
  }, 60_000);

  const rows = (meetingId: string, teacherId: string) =>
    server.data!.db.query<Row>('SELECT session, joined_at, left_at FROM attendance WHERE meeting_id = $1 AND teacher_id = $2 ORDER BY joined_at', [meetingId, teacherId]);

  it('refuses a teacher outside the audience with a typed error even when the token lists the meeting', async () => {
    const s = await connectClient(server, tokenFor(server, { sub: 'gv-hcm-1', role: 'teacher', meetings: [openId] }));
    const res = await request(s, 'join', { meetingId: openId });
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.code).toBe('forbidden');
    expect(server.sockets.registry.get(openId)).toBeUndefined();
    s.close();
  });

  it('keeps a teacher of the audience out until the meeting opens (not_open), whatever the token says', async () => {
    const s = await connectClient(server, tokenFor(server, { sub: 'gv-hn-1', role: 'teacher', meetings: [MEETING] }));
    const res = await request(s, 'join', { meetingId: laterId });
    expect(res.ok ? 'joined' : res.error.code).toBe('not_open');
    s.close();
  });

  it('admits a teacher of the audience and records the interval; a reconnect within the grace continues it', async () => {
    const token = tokenFor(server, { sub: 'gv-hn-1', role: 'teacher', meetings: ['decoy'] });
    const s1 = await connectClient(server, token);
    await call(s1, 'join', { meetingId: openId });
    let r = await until(async () => {
      const got = await rows(openId, 'gv-hn-1');
      return got.length > 0 && got;
    }, { what: 'the attendance row' });
    expect(r).toHaveLength(1);
    expect(r[0]!.left_at).toBeNull();
    s1.close();
    await until(() => !server.sockets.registry.get(openId)?.peers.has('gv-hn-1'), { what: 'the server to see the disconnect' });
    const s2 = await connectClient(server, token);
    await call(s2, 'join', { meetingId: openId });
    // Deliberate: time is the subject. The grace (3 s) of the first disconnect runs out meanwhile,
    // and must not end the interval the reconnect continued.
    await sleep(3_500);
    await server.data!.attendance.flush();
    r = await rows(openId, 'gv-hn-1');
    expect(r).toHaveLength(1);
    expect(r[0]!.left_at).toBeNull();
    // An explicit leave ends it now.
    await call(s2, 'leave', {});
    await server.data!.attendance.flush();
    r = await rows(openId, 'gv-hn-1');
    expect(r).toHaveLength(1);
    expect(r[0]!.left_at).not.toBeNull();
    s2.close();
  });

  it('a breakout move ends the main interval and opens the province one', async () => {
    const host = await connectClient(server, tokenFor(server, { sub: 'bo-truong', role: 'host' }));
    await call(host, 'join', { meetingId: openId });
    const t = await connectClient(server, tokenFor(server, { sub: 'gv-hn-2', role: 'teacher', province: '01' }));
    await call(t, 'join', { meetingId: openId });
    await call(host, 'startBreakouts', { durationS: 600, nationalOverlay: false });
    await call(host, 'endBreakouts', {});
    await server.data!.attendance.flush();
    const r = await rows(openId, 'gv-hn-2');
    expect(r.map((x) => x.session)).toEqual(['main', '01', 'main']);
    expect(r[0]!.left_at!.getTime()).toBe(r[1]!.joined_at.getTime());
    expect(r[1]!.left_at!.getTime()).toBe(r[2]!.joined_at.getTime());
    expect(r[2]!.left_at).toBeNull();
    host.close();
    t.close();
  });

  it('starts breakouts from the meeting\'s plan when the host gives neither provinces nor a duration', async () => {
    const host = await connectClient(server, tokenFor(server, { sub: 'bo-truong', role: 'host' }));
    await call(host, 'join', { meetingId: plannedId });
    const hn = await connectClient(server, tokenFor(server, { sub: 'gv-hn-1', role: 'teacher', province: '01' }));
    const hcm = await connectClient(server, tokenFor(server, { sub: 'gv-hcm-1', role: 'teacher', province: '79' }));
    await call(hn, 'join', { meetingId: plannedId });
    await call(hcm, 'join', { meetingId: plannedId });
    const started = await call(host, 'startBreakouts', {});
    // The plan: Hà Nội only, for 5 minutes.
    expect(started.provinces).toEqual(['01']);
    expect(started.endsAt! - started.serverNow).toBeGreaterThan(290_000);
    expect(started.endsAt! - started.serverNow).toBeLessThanOrEqual(300_000);
    const meeting = server.sockets.registry.get(plannedId)!;
    expect(meeting.peers.get('gv-hn-1')!.sessionKey).toBe('01');
    expect(meeting.peers.get('gv-hcm-1')!.sessionKey).toBe('main');
    await call(host, 'endBreakouts', {});
    // What the host says wins over the plan.
    const chosen = await call(host, 'startBreakouts', { provinces: ['79'], durationS: 60 });
    expect(chosen.provinces).toEqual(['79']);
    expect(chosen.endsAt! - chosen.serverNow).toBeLessThanOrEqual(60_000);
    expect(meeting.peers.get('gv-hcm-1')!.sessionKey).toBe('79');
    expect(meeting.peers.get('gv-hn-1')!.sessionKey).toBe('main');
    await call(host, 'endBreakouts', {});
    for (const s of [host, hn, hcm]) s.close();
  });
});
