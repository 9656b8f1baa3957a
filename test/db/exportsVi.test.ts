/**
 * The exports a province office reads, on both databases: attendance, questions and poll results
 * in Vietnamese — Vietnamese headers, "Có"/"Không", times in Việt Nam's local time (a known UTC
 * instant read back as its UTC+7 wall time), and the school code beside the school's name, so two
 * schools both called "THPT Quang Trung" are told apart. CSV with a BOM, and XLSX read by exceljs;
 * formula-looking text stays defused; `?lang=en` keeps the machine-readable format.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { ENGINES, useDb } from '../../harness/postgres';
import { HN_HOST, NATIONAL, bearer, meetingBody, seedOrg, startApi, type Api } from '../helpers/orgFixture';
import { upsertSchools, upsertTeachers } from '../../signaling/org/orgRepo';
import { AttendanceWriter } from '../../signaling/attendance/AttendanceWriter';
import { QaWriter } from '../../signaling/qa/qaWriter';
import { MemoryQa } from '../../signaling/store/qaMemory';
import type { ClaimsInput } from '../../signaling/auth/tokens';
import { ATTENDANCE_HEADER, POLL_HEADER, QUESTION_HEADER, headerCells } from '../helpers/exportHeaders';

/** Two schools of one name in one province, and their teachers. */
const SAME_NAME = [
  { code: 'HN-QT1', name: 'THPT Quang Trung', province: '01' },
  { code: 'HN-QT2', name: 'THPT Quang Trung', province: '01' },
];
const QT_TEACHERS = [
  { id: 't-qt1-a', name: 'Đỗ Thị Mai', school: 'HN-QT1', subject: 'Toán' },
  { id: 't-qt2-a', name: 'Vũ Văn Nam', school: 'HN-QT2', subject: 'Lịch sử' },
  { id: 't-qt2-b', name: 'Ngô Thị Thu', school: 'HN-QT2', subject: 'Địa lí' },
];

/** 08:00 UTC is 15:00 in Việt Nam. */
const START = Date.parse('2026-12-06T08:00:00Z');
/** 08:09:48 UTC is 15:09:48 in Việt Nam (and 9 minutes late). */
const LATE_JOIN = Date.parse('2026-12-06T08:09:48Z');

/** A CSV export's lines, after checking it is UTF-8 with a BOM (fetch's text() would drop the BOM unseen). */
async function csvOf(api: Api, path: string, who: Omit<ClaimsInput, 'meetings'>): Promise<{ status: number; type: string | null; lines: string[] }> {
  const res = await fetch(api.url + path, { headers: { authorization: `Bearer ${bearer(who)}` } });
  const bytes = Buffer.from(await res.arrayBuffer());
  if (res.status === 200) expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  return { status: res.status, type: res.headers.get('content-type'), lines: bytes.subarray(3).toString('utf8').trim().split('\r\n') };
}

async function sheetOf(api: Api, path: string, who: Omit<ClaimsInput, 'meetings'>): Promise<ExcelJS.Workbook> {
  const res = await fetch(api.url + path, { headers: { authorization: `Bearer ${bearer(who)}` } });
  expect(res.status).toBe(200);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(await res.arrayBuffer()) as never);
  return wb;
}

/** A row's cell values from the first column on, an empty cell as '' (the values array has holes). */
const rowText = (ws: ExcelJS.Worksheet, n: number): unknown[] => Array.from({ length: ws.columnCount }, (_, i) => ws.getRow(n).getCell(i + 1).value ?? '');

describe.each(ENGINES)('Vietnamese exports on %s', (engine) => {
  const db = useDb(engine, { beforeAll, afterAll });
  let api: Api;
  let meetingId = '';
  beforeAll(async () => {
    await seedOrg(db());
    await upsertSchools(db(), SAME_NAME);
    await upsertTeachers(db(), QT_TEACHERS);
    api = await startApi(db());
    const body = meetingBody({ kind: 'schools', schools: ['HN-QT1', 'HN-QT2'] }, 0);
    body.startsAt = new Date(START).toISOString();
    body.endsAt = new Date(START + 2 * 3600_000).toISOString();
    const created = await api.call('POST', '/api/meetings', NATIONAL, body);
    expect(created.status).toBe(201);
    meetingId = created.body.id;

    let now = LATE_JOIN;
    const w = new AttendanceWriter(db(), { flushMs: 10, maxRows: 1000, departureGraceMs: 60_000, maxBuffered: 10_000, now: () => now });
    w.joined(meetingId, 't-qt1-a', 'teacher', 'main');
    now += 30 * 60_000;
    w.left(meetingId, 't-qt1-a', true); // left at 08:39:48 UTC, after 30 minutes
    now = START + 60_000;
    w.joined(meetingId, 't-qt2-a', 'teacher', 'main'); // 15:01:00, and still in the meeting: written, not closed
    await w.flush();

    const store = new MemoryQa();
    const qa = new QaWriter(db(), { flushMs: 10_000, maxRows: 10_000, maxBuffered: 10_000 });
    const limits = { maxQuestions: 100, maxPerUser: 10 };
    const q1 = await store.ask({ text: '=1+1 Lịch kiểm tra?', authorId: 't-qt1-a', authorName: 'Đỗ Thị Mai', province: '01', school: 'HN-QT1' }, limits);
    const q2 = await store.ask({ text: 'Tài liệu tập huấn ở đâu?', authorId: 't-qt2-a', authorName: 'Vũ Văn Nam', province: '01', school: 'HN-QT2' }, limits);
    if (typeof q1 === 'string' || typeof q2 === 'string') throw new Error('not asked');
    qa.question(meetingId, q1);
    qa.question(meetingId, q2);
    qa.questionVote(meetingId, q2.id, 'u1', Date.now());
    qa.questionVote(meetingId, q2.id, 'u2', Date.now());
    await qa.flush();
    qa.question(meetingId, (await store.moderate(q2.id, { answered: true }))!);
    const poll = await store.createPoll({ question: 'Trường đã có phòng máy?', options: ['Có', 'Chưa'], multiple: false, durationS: null });
    const open = await store.launchPoll(poll.id);
    if (typeof open === 'string') throw new Error('not launched');
    qa.poll(meetingId, open);
    qa.pollVote(meetingId, poll.id, { userId: 'a', province: '01', choices: [0], at: Date.now() });
    qa.pollVote(meetingId, poll.id, { userId: 'b', province: '01', choices: [1], at: Date.now() });
    qa.pollVote(meetingId, poll.id, { userId: 'c', province: '79', choices: [0], at: Date.now() });
    await qa.close();
    // Known instants, to read back as Việt Nam time.
    await db().query('UPDATE qa_questions SET asked_at = $2 WHERE meeting_id = $1', [meetingId, new Date(LATE_JOIN).toISOString()]);
    await db().query('UPDATE polls SET opened_at = $2 WHERE meeting_id = $1', [meetingId, new Date(START + 30 * 60_000).toISOString()]);
  });
  afterAll(async () => api?.close());

  it('the attendance CSV is in Vietnamese by default: headers, Có/Không, Việt Nam time, school codes beside the names', async () => {
    const csv = await csvOf(api, `/api/meetings/${meetingId}/attendance.csv`, NATIONAL);
    expect(csv.status).toBe(200);
    expect(csv.type).toBe('text/csv; charset=utf-8');
    const [header, ...rows] = csv.lines;
    expect(header).toBe(ATTENDANCE_HEADER);
    const stillIn = rows[1]!.split(',');
    expect(Number(stillIn[12])).toBeGreaterThan(0);
    expect(rows).toEqual([
      '01,Hà Nội,HN-QT1,THPT Quang Trung,t-qt1-a,Đỗ Thị Mai,Toán,Có,Không,06/12/2026 15:09:48,06/12/2026 15:39:48,1,30,Có',
      `01,Hà Nội,HN-QT2,THPT Quang Trung,t-qt2-a,Vũ Văn Nam,Lịch sử,Có,Có,06/12/2026 15:01:00,,1,${stillIn[12]},Không`,
      '01,Hà Nội,HN-QT2,THPT Quang Trung,t-qt2-b,Ngô Thị Thu,Địa lí,Không,Không,,,0,0,',
    ]);
  });

  it('the attendance XLSX says the same on a sheet named "Điểm danh", minutes as numbers', async () => {
    const wb = await sheetOf(api, `/api/meetings/${meetingId}/attendance.xlsx`, NATIONAL);
    const ws = wb.getWorksheet('Điểm danh')!;
    expect(ws).toBeTruthy();
    expect(rowText(ws, 1)).toEqual(headerCells(ATTENDANCE_HEADER));
    expect(rowText(ws, 2)).toEqual(['01', 'Hà Nội', 'HN-QT1', 'THPT Quang Trung', 't-qt1-a', 'Đỗ Thị Mai', 'Toán', 'Có', 'Không', '06/12/2026 15:09:48', '06/12/2026 15:39:48', 1, 30, 'Có']);
    expect([3, 4].map((n) => ws.getRow(n).getCell(3).value)).toEqual(['HN-QT2', 'HN-QT2']);
    expect(ws.getRow(4).getCell(8).value).toBe('Không');
  });

  it('?lang=en keeps the machine-readable columns (snake_case, yes/no, ISO UTC); an unknown lang is a 400 naming the field', async () => {
    const [header, first] = (await csvOf(api, `/api/meetings/${meetingId}/attendance.csv?lang=en`, NATIONAL)).lines;
    expect(header).toBe('province,province_name,school,school_name,teacher_id,teacher_name,subject,present,first_join,last_leave,intervals,minutes,late');
    expect(first).toBe('01,Hà Nội,HN-QT1,THPT Quang Trung,t-qt1-a,Đỗ Thị Mai,Toán,no,2026-12-06T08:09:48.000Z,2026-12-06T08:39:48.000Z,1,30,yes');
    const bad = await api.call('GET', `/api/meetings/${meetingId}/attendance.csv?lang=fr`, NATIONAL);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'bad_request', field: 'lang' });
  });

  it('the questions export: Vietnamese headers, school codes and names, Có/Không, Việt Nam time, formulas defused', async () => {
    const csv = await csvOf(api, `/api/meetings/${meetingId}/questions.csv`, NATIONAL);
    expect(csv.status).toBe(200);
    const [header, ...rows] = csv.lines;
    expect(header).toBe(QUESTION_HEADER);
    expect(rows).toEqual([
      'q2,01,Hà Nội,Vũ Văn Nam,HN-QT2,THPT Quang Trung,Tài liệu tập huấn ở đâu?,2,Có,Không,06/12/2026 15:09:48',
      "q1,01,Hà Nội,Đỗ Thị Mai,HN-QT1,THPT Quang Trung,'=1+1 Lịch kiểm tra?,0,Không,Không,06/12/2026 15:09:48",
    ]);
    const wb = await sheetOf(api, `/api/meetings/${meetingId}/questions.xlsx`, NATIONAL);
    const ws = wb.getWorksheet('Câu hỏi')!;
    expect(rowText(ws, 1)[0]).toBe('Mã câu hỏi');
    expect(rowText(ws, 3)).toEqual(['q1', '01', 'Hà Nội', 'Đỗ Thị Mai', 'HN-QT1', 'THPT Quang Trung', "'=1+1 Lịch kiểm tra?", 0, 'Không', 'Không', '06/12/2026 15:09:48']);
  });

  it('the poll results: per province with its name, then the total; a province host gets their province only', async () => {
    const csv = await csvOf(api, `/api/meetings/${meetingId}/polls.csv`, NATIONAL);
    expect(csv.status).toBe(200);
    const [header, ...rows] = csv.lines;
    expect(header).toBe(POLL_HEADER);
    const at = '06/12/2026 15:30:00';
    expect(rows).toEqual([
      `p1,Trường đã có phòng máy?,Đang mở,${at},01,Hà Nội,2,Có,1`,
      `p1,Trường đã có phòng máy?,Đang mở,${at},01,Hà Nội,2,Chưa,1`,
      `p1,Trường đã có phòng máy?,Đang mở,${at},79,Thành phố Hồ Chí Minh,1,Có,1`,
      `p1,Trường đã có phòng máy?,Đang mở,${at},79,Thành phố Hồ Chí Minh,1,Chưa,0`,
      `p1,Trường đã có phòng máy?,Đang mở,${at},,Tổng cộng,3,Có,2`,
      `p1,Trường đã có phòng máy?,Đang mở,${at},,Tổng cộng,3,Chưa,1`,
    ]);
    const hn = await csvOf(api, `/api/meetings/${meetingId}/polls.csv`, HN_HOST);
    expect(hn.status).toBe(200);
    expect(hn.lines.join('\n')).not.toContain('Thành phố Hồ Chí Minh');
    expect(hn.lines.slice(1).filter((l) => l.includes(',Tổng cộng,'))).toEqual([`p1,Trường đã có phòng máy?,Đang mở,${at},,Tổng cộng,2,Có,1`, `p1,Trường đã có phòng máy?,Đang mở,${at},,Tổng cộng,2,Chưa,1`]);
    const wb = await sheetOf(api, `/api/meetings/${meetingId}/polls.xlsx`, NATIONAL);
    const ws = wb.getWorksheet('Kết quả bình chọn')!;
    expect(rowText(ws, 1)[8]).toBe('Số phiếu');
    expect(rowText(ws, 6)).toEqual(['p1', 'Trường đã có phòng máy?', 'Đang mở', at, '', 'Tổng cộng', 3, 'Có', 2]);
  });
});
