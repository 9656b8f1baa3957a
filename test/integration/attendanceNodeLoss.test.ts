/**
 * Attendance across the loss of a real signaling process: two signaling processes share one
 * PostgreSQL server and one Redis; teachers joined through the second one, which is then killed
 * with SIGKILL (its buffered state and timers die with it). A teacher who comes back through the
 * first node continues without a gap (the dead node's interval ends where the new one begins);
 * a teacher who never comes back has the interval closed by the survivor after the grace, at the
 * time the dead node was found gone, not left open forever.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startRedis, startSfuNode, type RedisProcess, type SfuNodeProcess } from '../../harness/cluster';
import { clusterToken, connectTo, startSignalingNode, type SignalingProcess } from '../../harness/signaling';
import { startPostgres, type PostgresServer } from '../../harness/postgres';
import { call, type TestSocket } from '../../harness/server';
import { waitFor } from '../../harness/browser';

const MEETING = 'hop-mat-nut';

interface Row {
  session: string;
  joined_at: Date;
  left_at: Date | null;
}

let redis: RedisProcess;
let sfu: SfuNodeProcess;
let postgres: PostgresServer;
let db: pg.Client;
const nodes: SignalingProcess[] = [];
const sockets: TestSocket[] = [];

beforeAll(async () => {
  postgres = await startPostgres();
  const url = await postgres.createDatabase('node_loss');
  redis = await startRedis();
  sfu = await startSfuNode(redis.url, 'sfu-att');
  const env = {
    HOINGHI_DATABASE_URL: url,
    HOINGHI_DEMO_SIGNIN: 'true',
    HOINGHI_DEMO_MEETING: MEETING,
    HOINGHI_DEMO_TEACHERS: '0',
    HOINGHI_DEMO_SCHOOLS: '34',
    HOINGHI_ATTENDANCE_FLUSH_MS: '50',
    HOINGHI_DEPARTURE_GRACE_MS: '2000',
  };
  // One after the other: the first applies the migrations and the demo data.
  nodes.push(await startSignalingNode(redis.url, 'sig-alive', env));
  nodes.push(await startSignalingNode(redis.url, 'sig-doomed', env));
  db = new pg.Client({ connectionString: url });
  await db.connect();
}, 180_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await db?.end();
  await Promise.all(nodes.map((n) => n.stop()));
  await sfu?.stop();
  await redis?.stop();
  await postgres?.stop();
}, 60_000);

const rows = async (teacherId: string): Promise<Row[]> =>
  (await db.query<Row>('SELECT session, joined_at, left_at FROM attendance WHERE meeting_id = $1 AND teacher_id = $2 ORDER BY joined_at', [MEETING, teacherId])).rows;

async function joinThrough(node: SignalingProcess, sub: string): Promise<TestSocket> {
  const socket = await connectTo(node.url, clusterToken({ role: 'teacher', sub, province: '01', meetings: [MEETING] }));
  sockets.push(socket);
  await call(socket, 'join', { meetingId: MEETING });
  return socket;
}

describe('attendance when a signaling process is killed', () => {
  it('continues the interval of a teacher who comes back through another node, and closes that of one who never does', async () => {
    const [alive, doomed] = nodes as [SignalingProcess, SignalingProcess];
    await joinThrough(doomed, 'gv-hn-1');
    await joinThrough(doomed, 'gv-hn-2');
    for (const t of ['gv-hn-1', 'gv-hn-2']) await waitFor(() => rows(t), (r) => r.length === 1, 10_000, `${t}'s interval written`);

    const killedAt = Date.now();
    doomed.kill();
    // gv-hn-1 is back at once, through the live node (as the balancer would send it).
    await joinThrough(alive, 'gv-hn-1');
    const back = await waitFor(() => rows('gv-hn-1'), (r) => r.length === 2, 10_000, 'the interval after the return');
    expect(back[0]!.left_at).not.toBeNull();
    // No gap and no overlap: the dead node's interval ends where the new one begins.
    expect(back[0]!.left_at!.getTime()).toBe(back[1]!.joined_at.getTime());
    expect(back[1]!.left_at).toBeNull();
    expect(back.map((r) => r.session)).toEqual(['main', 'main']);

    // gv-hn-2 never comes back: once the node is known dead (its heartbeat lapses) and the grace
    // has passed, the survivor closes the interval at the time the node was found gone.
    const gone = await waitFor(() => rows('gv-hn-2'), (r) => r[0]?.left_at !== null, 40_000, 'the abandoned interval closed');
    const seenClosedAt = Date.now();
    expect(gone).toHaveLength(1);
    const leftAt = gone[0]!.left_at!.getTime();
    expect(leftAt).toBeGreaterThan(gone[0]!.joined_at.getTime());
    expect(leftAt).toBeGreaterThanOrEqual(killedAt - 1_000);
    // The departure's start, not the moment the grace ran out (that is a grace later).
    expect(leftAt).toBeLessThanOrEqual(seenClosedAt - 2_000);
    // gv-hn-1's present interval is left alone.
    expect((await rows('gv-hn-1'))[1]!.left_at).toBeNull();
  });
});
