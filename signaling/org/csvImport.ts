/**
 * Import of the ministry's records from CSV, as they would be exported: `schools.csv` with the
 * header `code,name,province` and `teachers.csv` with `id,name,school,subject` (UTF-8, an optional
 * BOM, quoted fields allowed). Rows are checked with zod and written in bulk batches; a bad row is
 * reported with its line number and skipped, and an import with too many bad rows stops.
 */
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { z } from 'zod';
import type { Db } from '../db/Db';
import { provinceByCode } from '../data/provinces';
import { BULK_ROWS, upsertSchools, upsertTeachers, type School, type Teacher } from './orgRepo';

const schoolRow = z.object({
  code: z.string().trim().min(1).max(32),
  name: z.string().trim().min(1).max(200),
  province: z
    .string()
    .trim()
    .regex(/^[0-9]{2}$/)
    .refine((p) => provinceByCode(p) !== undefined, 'unknown province code'),
});
const teacherRow = z.object({
  id: z.string().trim().min(1).max(64),
  name: z.string().trim().min(1).max(128),
  school: z.string().trim().min(1).max(32),
  subject: z.string().trim().max(64).default(''),
});

export interface ImportReport {
  imported: number;
  /** Line numbers (1 = header) and reasons of skipped rows, the first 100. */
  errors: { line: number; reason: string }[];
  skipped: number;
}

export class ImportError extends Error {
  override name = 'ImportError';
}

async function importRows<T>(
  input: Readable,
  columns: readonly string[],
  schema: z.ZodType<T>,
  write: (rows: T[]) => Promise<T[]>,
  maxErrors: number,
): Promise<ImportReport> {
  const parser = input.pipe(
    parse({ bom: true, columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), skip_empty_lines: true, relax_column_count: true, max_record_size: 4096 }),
  );
  const report: ImportReport = { imported: 0, errors: [], skipped: 0 };
  let batch: T[] = [];
  let line = 1;
  let checkedHeader = false;
  for await (const record of parser as AsyncIterable<Record<string, string>>) {
    line += 1;
    if (!checkedHeader) {
      const missing = columns.filter((c) => !(c in record) && c !== 'subject');
      if (missing.length > 0) throw new ImportError(`missing column(s): ${missing.join(', ')}`);
      checkedHeader = true;
    }
    const row = schema.safeParse(record);
    if (!row.success) {
      report.skipped += 1;
      if (report.errors.length < 100) report.errors.push({ line, reason: row.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      if (report.skipped > maxErrors) throw new ImportError(`more than ${maxErrors} bad rows; stopped at line ${line}`);
      continue;
    }
    batch.push(row.data);
    if (batch.length >= BULK_ROWS) {
      report.imported += (await write(batch)).length;
      batch = [];
    }
  }
  if (batch.length > 0) report.imported += (await write(batch)).length;
  return report;
}

export async function importSchoolsCsv(db: Db, input: Readable, maxErrors = 1000): Promise<ImportReport> {
  return importRows<School>(input, ['code', 'name', 'province'], schoolRow, async (rows) => {
    await upsertSchools(db, rows);
    return rows;
  }, maxErrors);
}

/** Teachers of schools that do not exist are skipped and reported (the schools come first). */
export async function importTeachersCsv(db: Db, input: Readable, maxErrors = 1000): Promise<ImportReport> {
  const unknownSchools: string[] = [];
  let unknownCount = 0;
  const report = await importRows<Teacher>(input, ['id', 'name', 'school', 'subject'], teacherRow, async (rows) => {
    const codes = [...new Set(rows.map((r) => r.school))];
    const known = new Set((await db.query<{ code: string }>('SELECT code FROM schools WHERE code = ANY($1::text[])', [codes])).map((r) => r.code));
    const ok = rows.filter((r) => known.has(r.school));
    for (const r of rows) {
      if (known.has(r.school)) continue;
      unknownCount += 1;
      if (unknownSchools.length < 100) unknownSchools.push(`${r.id}: unknown school ${r.school}`);
    }
    await upsertTeachers(db, ok);
    return ok;
  }, maxErrors);
  report.skipped += unknownCount;
  for (const reason of unknownSchools) if (report.errors.length < 100) report.errors.push({ line: 0, reason });
  return report;
}
