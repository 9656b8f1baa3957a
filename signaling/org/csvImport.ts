/**
 * Import of the ministry's records from CSV, as they would be exported: `schools.csv` with the
 * header `code,name,province` and `teachers.csv` with `id,name,school,subject` (UTF-8, an optional
 * BOM, quoted fields allowed, one record per line). Every line is checked on its own (csvLines.ts,
 * then zod); a bad line is reported with its number and reason and never stops the others:
 * unreadable (unbalanced quote, NUL byte, not UTF-8, over 4 KB), invalid fields, the same id twice
 * in the file (the first one counts), a teacher of a school that does not exist.
 * Two modes: `valid-lines` (the default) writes the good lines in bulk batches and reports the
 * bad ones; `all-or-nothing` writes everything in one transaction, and nothing at all if any line
 * is bad. An import with more than `maxErrors` bad lines is a wrong file: it stops (ImportError),
 * keeping what was written in `valid-lines` mode.
 */
import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { Db, Queryable } from '../db/Db';
import { provinceByCode } from '../data/provinces';
import { logger } from '../../common/log';
import { csvLines } from './csvLines';
import { BULK_ROWS, upsertSchools, upsertTeachers, type School, type Teacher } from './orgRepo';

const log = logger('org-import');

/** The longest line read (bytes, its end of line excluded). */
export const MAX_LINE_BYTES = 4096;

const noControl = (s: string): boolean => !/[\u0000-\u001F\u007F]/.test(s);
const field = (min: number, max: number) => z.string().trim().min(min).max(max).refine(noControl, 'control characters are not allowed');

const schoolRow = z.object({
  code: field(1, 32),
  name: field(1, 200),
  province: z
    .string()
    .trim()
    .regex(/^[0-9]{2}$/)
    .refine((p) => provinceByCode(p) !== undefined, 'unknown province code'),
});
const teacherRow = z.object({
  id: field(1, 64),
  name: field(1, 128),
  school: field(1, 32),
  subject: field(0, 64).default(''),
});

export const IMPORT_MODES = ['valid-lines', 'all-or-nothing'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];

export interface ImportReport {
  mode: ImportMode;
  /** Rows written (0 when an all-or-nothing import found a bad line). */
  imported: number;
  /** Bad lines. */
  skipped: number;
  /** Line numbers (1 = header) and reasons of bad lines, in file order, the first 100. */
  errors: { line: number; reason: string }[];
  /** Whether the good lines were written (false: all-or-nothing with bad lines). */
  committed: boolean;
}

export interface ImportOptions {
  mode?: ImportMode;
  /** More bad lines than this: a wrong file, the import stops. */
  maxErrors?: number;
}

export class ImportError extends Error {
  override name = 'ImportError';
}

interface Numbered<T> {
  line: number;
  row: T;
}

/** Writes some rows; returns the lines it refused (with reasons) and the count written. */
type Writer<T> = (tx: Queryable, rows: Numbered<T>[]) => Promise<{ written: number; refused: { line: number; reason: string }[] }>;

class Rollback extends Error {}

class Report {
  readonly out: ImportReport;
  readonly #maxErrors: number;

  constructor(mode: ImportMode, maxErrors: number) {
    this.out = { mode, imported: 0, skipped: 0, errors: [], committed: true };
    this.#maxErrors = maxErrors;
  }

  bad(line: number, reason: string): void {
    this.out.skipped += 1;
    if (this.out.errors.length < 100) this.out.errors.push({ line, reason });
    if (this.out.skipped > this.#maxErrors) throw new ImportError(`more than ${this.#maxErrors} bad lines; stopped at line ${line}`);
  }
}

async function importRows<T>(
  db: Db,
  input: Readable,
  columns: readonly string[],
  optional: readonly string[],
  schema: z.ZodType<T>,
  keyOf: (row: T) => string,
  keyName: string,
  write: Writer<T>,
  options: ImportOptions,
): Promise<ImportReport> {
  const mode = options.mode ?? 'valid-lines';
  const report = new Report(mode, options.maxErrors ?? 1000);
  const firstLineOf = new Map<string, number>();

  /** Writes a batch; in valid-lines mode a batch the database refuses is retried line by line. */
  const flush = async (tx: Queryable | null, batch: Numbered<T>[]): Promise<void> => {
    if (batch.length === 0) return;
    const count = (result: Awaited<ReturnType<Writer<T>>>): void => {
      report.out.imported += result.written;
      for (const r of result.refused) report.bad(r.line, r.reason);
    };
    if (tx) {
      count(await write(tx, batch));
      return;
    }
    let result: Awaited<ReturnType<Writer<T>>>;
    try {
      result = await db.transaction((q) => write(q, batch));
    } catch (error) {
      log.warn({ err: String(error), lines: [batch[0]!.line, batch.at(-1)!.line] }, 'batch refused by the database; writing its lines one by one');
      for (const one of batch) {
        let single: Awaited<ReturnType<Writer<T>>>;
        try {
          single = await db.transaction((q) => write(q, [one]));
        } catch (e) {
          report.bad(one.line, `refused by the database: ${e instanceof Error ? e.message.slice(0, 120) : String(e)}`);
          continue;
        }
        count(single);
      }
      return;
    }
    count(result);
  };

  const run = async (tx: Queryable | null): Promise<void> => {
    let header: string[] | null = null;
    let batch: Numbered<T>[] = [];
    for await (const l of csvLines(input, MAX_LINE_BYTES)) {
      if (!header) {
        if ('error' in l) throw new ImportError(`the header (line ${l.line}) cannot be read: ${l.error}`);
        header = l.fields.map((h) => h.trim().toLowerCase());
        const missing = columns.filter((c) => !header!.includes(c) && !optional.includes(c));
        if (missing.length > 0) throw new ImportError(`missing column(s): ${missing.join(', ')}`);
        continue;
      }
      if ('error' in l) {
        report.bad(l.line, l.error);
        continue;
      }
      const record: Record<string, string> = {};
      header.forEach((h, i) => {
        if (i < l.fields.length) record[h] = l.fields[i]!;
      });
      const parsed = schema.safeParse(record);
      if (!parsed.success) {
        report.bad(l.line, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
        continue;
      }
      const key = keyOf(parsed.data);
      const first = firstLineOf.get(key);
      if (first !== undefined) {
        report.bad(l.line, `duplicate ${keyName} ${key} (first on line ${first})`);
        continue;
      }
      firstLineOf.set(key, l.line);
      batch.push({ line: l.line, row: parsed.data });
      if (batch.length >= BULK_ROWS) {
        await flush(tx, batch);
        batch = [];
      }
    }
    if (!header) throw new ImportError('the file is empty');
    await flush(tx, batch);
  };

  if (mode === 'valid-lines') {
    await run(null);
  } else {
    try {
      await db.transaction(async (tx) => {
        await run(tx);
        if (report.out.skipped > 0) throw new Rollback();
      });
    } catch (error) {
      if (!(error instanceof Rollback)) throw error;
      report.out.imported = 0;
      report.out.committed = false;
    }
  }
  report.out.errors.sort((a, b) => a.line - b.line);
  return report.out;
}

export async function importSchoolsCsv(db: Db, input: Readable, options: ImportOptions = {}): Promise<ImportReport> {
  return importRows<School>(db, input, ['code', 'name', 'province'], [], schoolRow, (s) => s.code, 'school code', async (tx, rows) => {
    await upsertSchools(tx, rows.map((r) => r.row));
    return { written: rows.length, refused: [] };
  }, options);
}

/** Teachers of schools that do not exist are reported with their line (the schools come first). */
export async function importTeachersCsv(db: Db, input: Readable, options: ImportOptions = {}): Promise<ImportReport> {
  return importRows<Teacher>(db, input, ['id', 'name', 'school', 'subject'], ['subject'], teacherRow, (t) => t.id, 'teacher id', async (tx, rows) => {
    const codes = [...new Set(rows.map((r) => r.row.school))];
    const known = new Set((await tx.query<{ code: string }>('SELECT code FROM schools WHERE code = ANY($1::text[])', [codes])).map((r) => r.code));
    const ok = rows.filter((r) => known.has(r.row.school));
    await upsertTeachers(tx, ok.map((r) => r.row));
    return { written: ok.length, refused: rows.filter((r) => !known.has(r.row.school)).map((r) => ({ line: r.line, reason: `unknown school ${r.row.school}` })) };
  }, options);
}
