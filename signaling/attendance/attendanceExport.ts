/**
 * Attendance exports, one row per teacher of the audience within the caller's scope: CSV (UTF-8
 * with a BOM so that spreadsheet programs read Vietnamese correctly) and XLSX (exceljs, streamed).
 * In Vietnamese by default (viFormat.ts: headers, Có/Không, Việt Nam local time, the school's code
 * beside its name); `en` is the older machine-readable format, unchanged.
 * Cells that a spreadsheet would run as a formula are prefixed with an apostrophe (formulaGuard.ts).
 */
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { TeacherRow } from './attendanceQueries';
import { safeCell, safeText } from './formulaGuard';
import { timeHeader, vnTime, yesNo, type ExportLang } from './viFormat';

/** The machine-readable columns (`lang=en`). */
export const EXPORT_COLUMNS = [
  'province',
  'province_name',
  'school',
  'school_name',
  'teacher_id',
  'teacher_name',
  'subject',
  'present',
  'first_join',
  'last_leave',
  'intervals',
  'minutes',
  'late',
] as const;

/** The Vietnamese columns (the default). */
export const VI_EXPORT_COLUMNS = [
  'Mã tỉnh',
  'Tỉnh/Thành phố',
  'Mã trường',
  'Trường',
  'Mã giáo viên',
  'Họ và tên',
  'Môn dạy',
  'Đã tham dự',
  'Còn trong cuộc họp lúc xuất',
  timeHeader('Vào lần đầu lúc'),
  timeHeader('Rời lần cuối lúc'),
  'Số lần vào',
  'Số phút tham dự',
  'Vào muộn (quá 5 phút)',
] as const;

/**
 * A teacher's row in Vietnamese: who never came has no times and no "late"; who is still in the
 * meeting has no "left" time (an earlier interval's end would read as if they had gone); minutes
 * are whole (a decimal point reads differently in Vietnamese spreadsheets).
 */
export function viExportValues(r: TeacherRow): (string | number)[] {
  const attended = r.intervals > 0;
  return [
    r.province,
    r.provinceName,
    r.school,
    r.schoolName,
    r.id,
    r.name,
    r.subject,
    yesNo(attended),
    yesNo(r.present),
    vnTime(r.firstJoin),
    r.present ? '' : vnTime(r.lastLeave),
    r.intervals,
    Math.round(r.minutes),
    attended ? yesNo(r.late) : '',
  ];
}

export function exportValues(r: TeacherRow): (string | number)[] {
  return [
    r.province,
    r.provinceName,
    r.school,
    r.schoolName,
    r.id,
    r.name,
    r.subject,
    r.present ? 'yes' : 'no',
    r.firstJoin ? r.firstJoin.toISOString() : '',
    r.lastLeave ? r.lastLeave.toISOString() : '',
    r.intervals,
    r.minutes,
    r.late ? 'yes' : 'no',
  ];
}

export function csvField(v: string | number): string {
  if (typeof v === 'number') return String(v);
  const s = safeText(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function write(out: Writable, chunk: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (out.write(chunk)) resolve();
    else {
      out.once('drain', resolve);
      out.once('error', reject);
    }
  });
}

const FORMATS = {
  vi: { columns: VI_EXPORT_COLUMNS, values: viExportValues, sheet: 'Điểm danh' },
  en: { columns: EXPORT_COLUMNS, values: exportValues, sheet: 'Attendance' },
} as const;

export async function writeCsv(out: Writable, pages: AsyncIterable<TeacherRow[]>, lang: ExportLang = 'vi'): Promise<number> {
  const f = FORMATS[lang];
  let count = 0;
  await write(out, '\uFEFF' + f.columns.map(csvField).join(',') + '\r\n');
  for await (const page of pages) {
    let chunk = '';
    for (const r of page) chunk += f.values(r).map(csvField).join(',') + '\r\n';
    count += page.length;
    await write(out, chunk);
  }
  out.end();
  return count;
}

export async function writeXlsx(out: Writable, pages: AsyncIterable<TeacherRow[]>, title: string, lang: ExportLang = 'vi'): Promise<number> {
  const f = FORMATS[lang];
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const ws = wb.addWorksheet(f.sheet);
  ws.addRow([...f.columns]).commit();
  let count = 0;
  for await (const page of pages) {
    for (const r of page) ws.addRow(f.values(r).map(safeCell)).commit();
    count += page.length;
  }
  ws.commit();
  wb.creator = 'hoinghi';
  wb.title = title.slice(0, 200);
  await wb.commit();
  return count;
}
