/**
 * Attendance on both databases: intervals across a reconnect within the grace, a disconnect past
 * it, a breakout move and a lost signaling node; the dashboard's counts and drill-down; province
 * scope; the machine-readable CSV and XLSX exports checked row by row (the Vietnamese ones:
 * exportsVi.test.ts); retention deletes really delete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { ENGINES, useDb } from '../../harness/postgres';
import { HCM_HOST, HN_HOST, NATIONAL, meetingBody, seedOrg, startApi, teacher, type Api } from '../helpers/orgFixture';
import { AttendanceWriter } from '../../signaling/attendance/AttendanceWriter';
import { EXPORT_COLUMNS } from '../../signaling/attendance/attendanceExport';
import { Retention } from '../../signaling/schedule/retention';
import { until } from '../../harness/wait';

interface Row {
  teacher_id: string;
  session: string;
  joined_at: Date;
  left_at: Date | null;
}

/** A clock the test moves by hand; the grace timer is real but short. */
function clock(start: number) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe.each(ENGINES)('attendance on %s', (engine) => {
  const db = useDb(engine, { beforeAll, afterAll });
  let api: Api;
  let meetingId = '';
  const start = Date.parse('2026-03-02T01:00:00Z');
  beforeAll(async () => {
    await seedOrg(db());
    api = await startApi(db());
    const body = meetingBody({ kind: 'provinces', provinces: ['01', '79'] }, 0);
    body.startsAt = new Date(start).toISOString();
    body.endsAt = new Date(start + 2 * 3600_000).toISOString();
    meetingId = (await api.call('POST', '/api/meetings', NATIONAL, body)).body.id;
  });
  afterAll(async () => api?.close());

  const rows = (teacherId: string) =>
    db().query<Row>('SELECT teacher_id, session, joined_at, left_at FROM attendance WHERE meeting_id = $1 AND teacher_id = $2 ORDER BY joined_at', [meetingId, teacherId]);

  it('a reconnect within the grace continues one interval; a longer absence ends it at the disconnect', async () => {
    const c = clock(start + 60_000);
    const w = new AttendanceWriter(db(), { flushMs: 10, maxRows: 1000, departureGraceMs: 300, maxBuffered: 10_000, now: c.now });
    w.joined(meetingId, 't-hn-a1', 'teacher', 'main');
    c.advance(10_000);
    w.left(meetingId, 't-hn-a1', false);
    c.advance(2_000);
    w.joined(meetingId, 't-hn-a1', 'teacher', 'main'); // back within the grace
    c.advance(30_000);
    w.left(meetingId, 't-hn-a1', false); // gone for good
    const goneAt = c.now();
    c.advance(5_000);
    await until(async () => w.openCount === 0);
    await w.flush();
    expect(await rows('t-hn-a1')).toEqual([{ teacher_id: 't-hn-a1', session: 'main', joined_at: new Date(start + 60_000), left_at: new Date(goneAt) }]);
    // Hosts are not teachers: nothing is recorded for them.
    w.joined(meetingId, 'bo-truong', 'host', 'main');
    await w.close();
    expect(await db().query('SELECT 1 FROM attendance WHERE teacher_id = $1', ['bo-truong'])).toHaveLength(0);
  });

  it('a breakout move closes the main interval and opens the province one at the same time', async () => {
    const c = clock(start + 120_000);
    const w = new AttendanceWriter(db(), { flushMs: 10, maxRows: 1000, departureGraceMs: 60_000, maxBuffered: 10_000, now: c.now });
    w.joined(meetingId, 't-hcm-a1', 'teacher', 'main');
    c.advance(600_000);
    w.moved(meetingId, 't-hcm-a1', '79');
    c.advance(900_000);
    w.moved(meetingId, 't-hcm-a1', 'main');
    c.advance(60_000);
    w.left(meetingId, 't-hcm-a1', true);
    await w.close();
    const t0 = start + 120_000;
    expect(await rows('t-hcm-a1')).toEqual([
      { teacher_id: 't-hcm-a1', session: 'main', joined_at: new Date(t0), left_at: new Date(t0 + 600_000) },
      { teacher_id: 't-hcm-a1', session: '79', joined_at: new Date(t0 + 600_000), left_at: new Date(t0 + 1_500_000) },
      { teacher_id: 't-hcm-a1', session: 'main', joined_at: new Date(t0 + 1_500_000), left_at: new Date(t0 + 1_560_000) },
    ]);
  });

  it('an interval left open by a lost signaling node ends where the teacher rejoins on another node', async () => {
    const c = clock(start + 200_000);
    const lost = new AttendanceWriter(db(), { flushMs: 10, maxRows: 1000, departureGraceMs: 60_000, maxBuffered: 10_000, now: c.now });
    lost.joined(meetingId, 't-hn-b1', 'teacher', 'main');
    await lost.flush(); // the node dies here: its memory (and grace timers) are gone, no close is written
    c.advance(20_000);
    const other = new AttendanceWriter(db(), { flushMs: 10, maxRows: 1000, departureGraceMs: 60_000, maxBuffered: 10_000, now: c.now });
    other.joined(meetingId, 't-hn-b1', 'teacher', 'main');
    await other.flush();
    const r = await rows('t-hn-b1');
    expect(r).toHaveLength(2);
    expect(r[0]).toMatchObject({ joined_at: new Date(start + 200_000), left_at: new Date(start + 220_000) });
    expect(r[1]).toMatchObject({ joined_at: new Date(start + 220_000), left_at: null });
  });

  it('the dashboard counts expected, present, attended and late, and drills down province → school → teacher', async () => {
    const d = await api.call('GET', `/api/meetings/${meetingId}/attendance`, NATIONAL);
    expect(d.status).toBe(200);
    // Audience: provinces 01 (3 teachers) and 79 (1 teacher); t-hn-b1 is present (open interval).
    expect(d.body.totals).toMatchObject({ expected: 4, attended: 3, present: 1 });
    expect(d.body.rows.map((r: { code: string; expected: number; attended: number }) => [r.code, r.expected, r.attended])).toEqual([
      ['01', 3, 2],
      ['79', 1, 1],
    ]);
    // t-hn-b1 came 200 s after the start: not late; nobody is late (all within 5 min).
    expect(d.body.totals.late).toBe(0);
    const schools = await api.call('GET', `/api/meetings/${meetingId}/attendance?province=01`, NATIONAL);
    expect(schools.body.rows.map((r: { code: string; present: number }) => [r.code, r.present])).toEqual([
      ['HN-A', 0],
      ['HN-B', 1],
    ]);
    const teachers = await api.call('GET', `/api/meetings/${meetingId}/attendance?school=HN-A`, NATIONAL);
    expect(teachers.body.rows.map((r: { id: string; minutes: number; present: boolean }) => [r.id, r.minutes, r.present])).toEqual([
      ['t-hn-a1', 0.7, false],
      ['t-hn-a2', 0, false],
    ]);
    expect(teachers.body.rows[0].name).toBe('Nguyễn Thị Lan');
  });

  it('a province host sees only their province in the dashboard and the export; teachers see none', async () => {
    const d = await api.call('GET', `/api/meetings/${meetingId}/attendance`, HCM_HOST);
    expect(d.body.scope).toEqual({ province: '79' });
    expect(d.body.rows.map((r: { code: string }) => r.code)).toEqual(['79']);
    expect(d.body.totals.expected).toBe(1);
    expect((await api.call('GET', `/api/meetings/${meetingId}/attendance?province=01`, HCM_HOST)).status).toBe(403);
    expect((await api.call('GET', `/api/meetings/${meetingId}/attendance?school=HN-A`, HCM_HOST)).body.rows).toEqual([]);
    const csv = await api.call('GET', `/api/meetings/${meetingId}/attendance.csv`, HCM_HOST);
    const lines = csv.text.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]!.startsWith('79,')).toBe(true);
    expect(csv.text).not.toContain('Nguyễn Thị Lan');
    expect((await api.call('GET', `/api/meetings/${meetingId}/attendance.csv`, teacher('t-hn-a1'))).status).toBe(403);
    expect((await api.call('GET', `/api/meetings/${meetingId}/attendance`, HN_HOST)).body.totals.expected).toBe(3);
  });

  it('the machine-readable CSV and XLSX exports (?lang=en) hold one row per teacher with the recorded values', async () => {
    const csv = await api.call('GET', `/api/meetings/${meetingId}/attendance.csv?lang=en`, NATIONAL);
    expect(csv.status).toBe(200);
    const [header, ...lines] = csv.text.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(header).toBe(EXPORT_COLUMNS.join(','));
    const t0 = start + 60_000;
    expect(lines).toEqual([
      `01,Hà Nội,HN-A,THPT Chu Văn An,t-hn-a1,Nguyễn Thị Lan,Toán,no,${new Date(t0).toISOString()},${new Date(t0 + 42_000).toISOString()},1,0.7,no`,
      '01,Hà Nội,HN-A,THPT Chu Văn An,t-hn-a2,Trần Văn Minh,Ngữ văn,no,,,0,0,no',
      `01,Hà Nội,HN-B,THCS Giảng Võ,t-hn-b1,Lê Thị Hồng,Tiếng Anh,yes,${new Date(start + 200_000).toISOString()},${new Date(start + 220_000).toISOString()},2,${lines[2]!.split(',')[11]},no`,
      `79,Thành phố Hồ Chí Minh,HCM-A,THPT Lê Hồng Phong,t-hcm-a1,Phạm Quốc Bảo,Vật lí,no,${new Date(start + 120_000).toISOString()},${new Date(start + 1_680_000).toISOString()},3,26,no`,
    ]);
    const xlsx = await fetch(`${api.url}/api/meetings/${meetingId}/attendance.xlsx?lang=en`, { headers: { authorization: `Bearer ${(await import('../helpers/orgFixture')).bearer(NATIONAL)}` } });
    expect(xlsx.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await xlsx.arrayBuffer()) as never);
    const ws = wb.getWorksheet('Attendance')!;
    const sheet: string[] = [];
    ws.eachRow((row) => sheet.push((row.values as unknown[]).slice(1).map((v) => String(v ?? '')).join(',')));
    expect(sheet[0]).toBe(EXPORT_COLUMNS.join(','));
    expect(sheet.slice(1)).toEqual(lines);
  });

  it('retention really deletes ended meetings with their attendance', async () => {
    await api.call('POST', `/api/meetings/${meetingId}/end`, NATIONAL);
    expect(await new Retention(db(), 30).sweep(Date.now() + 31 * 86_400_000)).toBe(1);
    expect(await db().query('SELECT 1 FROM attendance WHERE meeting_id = $1', [meetingId])).toHaveLength(0);
    expect(await db().query('SELECT 1 FROM meetings WHERE id = $1', [meetingId])).toHaveLength(0);
  });
});
