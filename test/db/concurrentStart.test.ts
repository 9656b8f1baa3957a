/**
 * Several signaling nodes starting at once on one fresh PostgreSQL database (what
 * scripts/start-cluster.sh does): each migrates and seeds the demo data at start-up, and they must
 * all come up, with every migration applied once and the demo data loaded once. Each `openDb` here
 * has its own connection pool, as a separate process would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../signaling/db/Db';
import { MIGRATIONS_DIR } from '../../signaling/db/migrate';
import { openDb } from '../../signaling/db/openDb';
import { seedDemo } from '../../signaling/demo/seedDemo';
import { orgCounts } from '../../signaling/org/orgRepo';
import { startPostgres, type PostgresServer } from '../../harness/postgres';
import fs from 'node:fs';
import { until } from '../../harness/wait';

describe('nodes starting at once on one PostgreSQL database', () => {
  let pg: PostgresServer;
  const opened: Db[] = [];
  beforeAll(async () => {
    pg = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await Promise.all(opened.map((db) => db.close()));
    await pg?.stop();
  }, 60_000);

  it('all start: each migration is applied once and the demo data is seeded once', async () => {
    const url = await pg.createDatabase('concurrent_start');
    // One of them with a pool of one connection: its lock must not take the connection its own work needs.
    const startNode = async (maxConnections = 5): Promise<Db> => {
      const db = await openDb({ kind: 'postgres', url, maxConnections });
      opened.push(db);
      await seedDemo(db, { schools: 34, teachers: 300, meetingId: 'demo-meeting' });
      return db;
    };
    const results = await Promise.allSettled([startNode(), startNode(), startNode(), startNode(1)]);
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'started'))).toEqual(['started', 'started', 'started', 'started']);
    const db = opened[0]!;
    const migrations = fs.readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
    const applied = await db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    expect(applied.map((r) => r.name)).toEqual(migrations);
    const counts = await orgCounts(db);
    expect(counts.provinces).toBe(34);
    // The generated set is deterministic: loaded once or four times, the same 300 teachers (plus the demo accounts' own).
    expect(counts.teachers).toBeGreaterThanOrEqual(300);
    expect(counts.teachers).toBeLessThan(320);
    expect(await db.query('SELECT id FROM meetings WHERE id = $1', ['demo-meeting'])).toHaveLength(1);
  });

  it('an exclusive section on one node waits for the same section on another to finish', async () => {
    const url = await pg.createDatabase('exclusive_sections');
    const [a, b] = await Promise.all([openDb({ kind: 'postgres', url, maxConnections: 2 }), openDb({ kind: 'postgres', url, maxConnections: 2 })]);
    opened.push(a, b);
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const aEntered = new Promise<void>((r) => (entered = r));
    const first = a.exclusive('test-section', async () => {
      order.push('a in');
      entered();
      await held;
      order.push('a out');
    });
    await aEntered;
    const second = b.exclusive('test-section', async () => {
      order.push('b in');
    });
    // b is queued on the server's lock while a holds it: let b's lock request reach the server, then release a.
    const waiting = async (): Promise<number> =>
      (await a.query<{ n: number }>("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"))[0]!.n;
    await until(async () => (await waiting()) > 0, { what: "b's lock request to reach the server" });
    expect(order).toEqual(['a in']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['a in', 'a out', 'b in']);
    // A section that throws releases the lock too.
    await expect(a.exclusive('test-section', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await b.exclusive('test-section', async () => undefined);
  });

  it('on PGlite, sections of one name run one after another, and one that throws does not stop the next', async () => {
    const db = await openDb({ kind: 'pglite', dataDir: 'memory://' });
    opened.push(db);
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = db.exclusive('s', async () => {
      order.push('1 in');
      await held;
      order.push('1 out');
    });
    const failing = db.exclusive('s', async () => {
      order.push('2');
      throw new Error('boom');
    });
    const third = db.exclusive('s', async () => {
      order.push('3');
      return 3;
    });
    const other = db.exclusive('another', async () => {
      order.push('another');
    });
    await other;
    expect(order).toEqual(['1 in', 'another']);
    release();
    await first;
    await expect(failing).rejects.toThrow('boom');
    expect(await third).toBe(3);
    expect(order).toEqual(['1 in', 'another', '1 out', '2', '3']);
  });
});
