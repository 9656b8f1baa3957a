/**
 * Database benchmark, on PGlite (in this process, data in a temporary folder) or on a real
 * PostgreSQL server (Debian's, started as the postgres user on a free loopback port):
 *   1. import: the generated organisation (default 1.5 M teachers in 53,000 schools), in bulk batches;
 *   2. attendance write path: 2,000 joins/s for 15 s through the AttendanceWriter into a national
 *      meeting: the cost of joined() on the caller's path, flush times, and whether writes keep up;
 *   3. dashboard: the province-level query for that meeting (audience: the whole country);
 *   4. export: CSV and XLSX of the province closest to 100,000 teachers.
 *
 *   node --import tsx load-tests/database.ts --engine postgres|pglite [--teachers 1500000] [--schools 53000]
 * Bounded; loopback only. Writes load-tests/results/database-<engine>.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { openDb } from '../signaling/db/openDb';
import type { Db } from '../signaling/db/Db';
import { seedProvinces, upsertSchools, upsertTeachers } from '../signaling/org/orgRepo';
import { generateSchools, generateTeachers } from '../signaling/demo/demoData';
import { MeetingRepo } from '../signaling/schedule/meetingRepo';
import { AttendanceWriter } from '../signaling/attendance/AttendanceWriter';
import { allTeacherRows, groupRows } from '../signaling/attendance/attendanceQueries';
import { writeCsv, writeXlsx } from '../signaling/attendance/attendanceExport';
import { startPostgres, type PostgresServer } from '../harness/postgres';
import { machine, percentile, runBenchmark, writeResult } from './lib';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'postgres' },
    teachers: { type: 'string', default: '1500000' },
    schools: { type: 'string', default: '53000' },
    'joins-per-s': { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '15' },
  },
});
const ENGINE = values.engine === 'pglite' ? 'pglite' : 'postgres';
const TEACHERS = Number(values.teachers);
const SCHOOLS = Number(values.schools);
const RATE = Number(values['joins-per-s']);
const SECONDS = Number(values.seconds);

class CountingSink extends Writable {
  bytes = 0;
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.bytes += chunk.length;
    cb();
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, performance.now() - t0];
}

runBenchmark(async () => {
  let pg: PostgresServer | null = null;
  let dir: string | null = null;
  let db: Db;
  if (ENGINE === 'postgres') {
    pg = await startPostgres();
    db = await openDb({ kind: 'postgres', url: await pg.createDatabase('bench'), maxConnections: 4 });
  } else {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-pglite-bench-'));
    db = await openDb({ kind: 'pglite', dataDir: dir });
  }
  try {
    // 1. Import.
    const opts = { schools: SCHOOLS, teachers: TEACHERS, seed: 1, batch: 5_000 };
    const [, importMs] = await timed(async () => {
      await seedProvinces(db);
      await upsertSchools(db, generateSchools(opts));
      for (const batch of generateTeachers(generateSchools(opts), opts)) await upsertTeachers(db, batch);
    });
    const [counted] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM teachers');
    console.log(`import: ${counted!.n} teachers in ${SCHOOLS} schools, ${(importMs / 1000).toFixed(1)} s (${Math.round(counted!.n / (importMs / 1000))} rows/s)`);

    // 2. Attendance write path.
    const repo = new MeetingRepo(db);
    const now = Date.now();
    await repo.create('bench-national', {
      title: 'Bench', agenda: '', startsAt: new Date(now - 60_000).toISOString(), endsAt: new Date(now + 3600_000).toISOString(),
      audience: { kind: 'country' }, coHosts: [], breakoutPlan: { provinces: [], durationMin: 0 },
    }, 'bench', null);
    const writer = new AttendanceWriter(db, { flushMs: 1000, maxRows: 2000, departureGraceMs: 60_000, maxBuffered: 1_000_000 });
    const callUs: number[] = [];
    let joined = 0;
    const total = RATE * SECONDS;
    const stride = Math.max(1, Math.floor(TEACHERS / total));
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * RATE));
        while (joined < due) {
          const id = `GV${String(1 + ((joined * stride) % TEACHERS)).padStart(7, '0')}`;
          const a = performance.now();
          writer.joined('bench-national', id, 'teacher', 'main');
          callUs.push((performance.now() - a) * 1000);
          joined += 1;
        }
        if (joined >= total) {
          clearInterval(tick);
          resolve();
        }
      }, 5);
    });
    const offeredMs = performance.now() - t0;
    await writer.flush();
    const drainedMs = performance.now() - t0;
    const [rows] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM attendance WHERE meeting_id = $1', ['bench-national']);
    callUs.sort((a, b) => a - b);
    const write = {
      joins: total, ratePerS: RATE, offeredS: offeredMs / 1000, allWrittenS: drainedMs / 1000, rowsInDb: rows!.n, dropped: writer.dropped,
      joinedCallUs: { p50: percentile(callUs, 50), p99: percentile(callUs, 99), max: callUs[callUs.length - 1] },
    };
    console.log(`attendance: ${total} joins at ${RATE}/s offered in ${write.offeredS.toFixed(1)} s, all written after ${write.allWrittenS.toFixed(1)} s; rows ${rows!.n}; joined() p99 ${write.joinedCallUs.p99.toFixed(1)} µs`);

    // 3. Dashboard (whole-country audience, province level), three runs.
    const dashMs: number[] = [];
    let dashRows = 0;
    for (let i = 0; i < 3; i++) {
      const [r, ms] = await timed(() => groupRows(db, 'bench-national', { all: true }, {}));
      dashMs.push(ms);
      dashRows = r.reduce((s, x) => s + x.expected, 0);
    }
    dashMs.sort((a, b) => a - b);
    console.log(`dashboard: ${dashRows} expected, median ${dashMs[1]!.toFixed(0)} ms`);

    // 4. Export of the province closest to 100,000 teachers.
    const sizes = await db.query<{ province: string; n: number }>(
      'SELECT s.province_code AS province, count(*)::int AS n FROM teachers t JOIN schools s ON s.code = t.school_code GROUP BY 1',
    );
    const target = sizes.sort((a, b) => Math.abs(a.n - 100_000) - Math.abs(b.n - 100_000))[0]!;
    const csvSink = new CountingSink();
    const [csvCount, csvMs] = await timed(() => writeCsv(csvSink, allTeacherRows(db, 'bench-national', { all: true }, { province: target.province })));
    const xlsxSink = new CountingSink();
    const [xlsxCount, xlsxMs] = await timed(() => writeXlsx(xlsxSink, allTeacherRows(db, 'bench-national', { all: true }, { province: target.province }), 'bench'));
    console.log(`export: province ${target.province} (${target.n} teachers): CSV ${(csvMs / 1000).toFixed(1)} s (${(csvSink.bytes / 1e6).toFixed(1)} MB), XLSX ${(xlsxMs / 1000).toFixed(1)} s (${(xlsxSink.bytes / 1e6).toFixed(1)} MB)`);
    await writer.close();

    const file = writeResult(`database-${ENGINE}`, {
      engine: ENGINE, machine: machine(), at: new Date().toISOString(),
      import: { teachers: counted!.n, schools: SCHOOLS, seconds: importMs / 1000, rowsPerS: Math.round(counted!.n / (importMs / 1000)) },
      attendanceWrite: write,
      dashboard: { expected: dashRows, msRuns: dashMs, medianMs: dashMs[1] },
      export: { province: target.province, teachers: target.n, csv: { rows: csvCount, seconds: csvMs / 1000, bytes: csvSink.bytes }, xlsx: { rows: xlsxCount, seconds: xlsxMs / 1000, bytes: xlsxSink.bytes } },
    });
    console.log(`wrote ${file}`);
  } finally {
    await db.close();
    await pg?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
});
