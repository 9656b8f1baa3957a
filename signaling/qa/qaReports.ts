/**
 * A meeting's questions and poll results as a Vietnamese office reads them (viFormat.ts):
 * Vietnamese headers, Có/Không, Việt Nam local time, province and school names beside their codes.
 * One table each, as CSV (UTF-8 with a BOM) or XLSX; within the caller's scope (a province host
 * gets their province's questions and votes). Formula-looking cells are defused (formulaGuard.ts).
 */
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Db } from '../db/Db';
import { csvField } from '../attendance/attendanceExport';
import { safeCell } from '../attendance/formulaGuard';
import { timeHeader, vnTime, yesNo } from '../attendance/viFormat';
import { pollTallies } from './pollTallies';

export interface Report {
  sheet: string;
  columns: readonly string[];
  rows: (string | number)[][];
}

export const QUESTION_COLUMNS = [
  'Mã câu hỏi',
  'Mã tỉnh',
  'Tỉnh/Thành phố',
  'Người hỏi',
  'Mã trường',
  'Trường',
  'Câu hỏi',
  'Số lượt ủng hộ',
  'Đã trả lời',
  'Đã ẩn',
  timeHeader('Gửi lúc'),
] as const;

export const POLL_COLUMNS = [
  'Mã bình chọn',
  'Câu hỏi bình chọn',
  'Trạng thái',
  timeHeader('Mở lúc'),
  'Mã tỉnh',
  'Tỉnh/Thành phố',
  'Số người bình chọn',
  'Lựa chọn',
  'Số phiếu',
] as const;

const POLL_STATE: Record<string, string> = { draft: 'Chưa mở', open: 'Đang mở', closed: 'Đã đóng' };
/** The row of a poll's total over the caller's scope (the whole country, or their province). */
export const TOTAL_LABEL = 'Tổng cộng';
const NO_PROVINCE = '(không thuộc tỉnh nào)';

/** Questions by votes, most first. */
export async function questionReport(db: Db, meetingId: string, province: string | null): Promise<Report> {
  const qs = await db.query<{ id: string; province: string | null; province_name: string | null; author_name: string; school: string | null; school_name: string | null; text: string; votes: string; answered: boolean; hidden: boolean; asked_at: Date }>(
    `SELECT q.id, q.province, p.name AS province_name, q.author_name, q.school, s.name AS school_name, q.text, q.answered, q.hidden, q.asked_at,
            (SELECT count(*) FROM qa_votes v WHERE v.meeting_id = q.meeting_id AND v.question_id = q.id) AS votes
     FROM qa_questions q LEFT JOIN provinces p ON p.code = q.province LEFT JOIN schools s ON s.code = q.school
     WHERE q.meeting_id = $1 AND ($2::text IS NULL OR q.province = $2)
     ORDER BY votes DESC, length(q.id), q.id`,
    [meetingId, province],
  );
  return {
    sheet: 'Câu hỏi',
    columns: QUESTION_COLUMNS,
    rows: qs.map((q) => [q.id, q.province ?? '', q.province_name ?? '', q.author_name, q.school ?? '', q.school_name ?? '', q.text, Number(q.votes), yesNo(q.answered), yesNo(q.hidden), vnTime(q.asked_at)]),
  };
}

/** One row per poll, province (then the total) and option; the voters' count on each row. */
export async function pollReport(db: Db, meetingId: string, province: string | null): Promise<Report> {
  const names = new Map((await db.query<{ code: string; name: string }>('SELECT code, name FROM provinces')).map((p) => [p.code, p.name]));
  const rows: (string | number)[][] = [];
  for (const p of await pollTallies(db, meetingId, province)) {
    for (const scope of p.scopes) {
      const [code, name] =
        scope.province === null ? ['', TOTAL_LABEL] : scope.province === '--' ? ['', NO_PROVINCE] : [scope.province, names.get(scope.province) ?? ''];
      p.options.forEach((option, i) =>
        rows.push([p.id, p.question, POLL_STATE[p.state] ?? p.state, vnTime(p.openedAt), code, name, scope.voters, option, scope.votes[i] ?? 0]),
      );
    }
  }
  return { sheet: 'Kết quả bình chọn', columns: POLL_COLUMNS, rows };
}

export function writeReportCsv(out: Writable, r: Report): void {
  let body = '\uFEFF' + r.columns.map(csvField).join(',') + '\r\n';
  for (const row of r.rows) body += row.map(csvField).join(',') + '\r\n';
  out.end(body);
}

export async function writeReportXlsx(out: Writable, r: Report, title: string): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const ws = wb.addWorksheet(r.sheet);
  ws.addRow([...r.columns]).commit();
  for (const row of r.rows) ws.addRow(row.map(safeCell)).commit();
  ws.commit();
  wb.creator = 'hoinghi';
  wb.title = title.slice(0, 200);
  await wb.commit();
}
