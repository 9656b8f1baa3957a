/**
 * Attendance exports, one row per teacher of the audience within the caller's scope: CSV (UTF-8
 * with a BOM so that spreadsheet programs read Vietnamese correctly) and XLSX (exceljs, streamed).
 * Cells that a spreadsheet would run as a formula are prefixed with an apostrophe (formulaGuard.ts).
 */
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { TeacherRow } from './attendanceQueries';
import { safeCell, safeText } from './formulaGuard';

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

export async function writeCsv(out: Writable, pages: AsyncIterable<TeacherRow[]>): Promise<number> {
  let count = 0;
  await write(out, '\uFEFF' + EXPORT_COLUMNS.join(',') + '\r\n');
  for await (const page of pages) {
    let chunk = '';
    for (const r of page) chunk += exportValues(r).map(csvField).join(',') + '\r\n';
    count += page.length;
    await write(out, chunk);
  }
  out.end();
  return count;
}

export async function writeXlsx(out: Writable, pages: AsyncIterable<TeacherRow[]>, title: string): Promise<number> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const ws = wb.addWorksheet('Attendance');
  ws.addRow([...EXPORT_COLUMNS]).commit();
  let count = 0;
  for await (const page of pages) {
    for (const r of page) ws.addRow(exportValues(r).map(safeCell)).commit();
    count += page.length;
  }
  ws.commit();
  wb.creator = 'hoinghi';
  wb.title = title.slice(0, 200);
  await wb.commit();
  return count;
}
