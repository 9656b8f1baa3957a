/**
 * A CSV file read one record per physical line, so that one bad line is reported with its number
 * and the next line is read as if nothing happened: an unbalanced quote, a NUL byte, bytes that
 * are not UTF-8 or a record longer than the cap spoil their own line only (a streaming CSV parser
 * stops at the first such error, or swallows the rest of the file into one quoted field). The
 * organisation's files have no field that spans lines (codes, names, subjects), so a quoted
 * field continued on the next line is a broken line, not a feature.
 * Lines end with \n, \r\n or \r; a line over `maxBytes` is skipped without being held in memory.
 * A quote inside an unquoted field (`THPT "Nguyễn Du"`) is kept as text.
 */
import { parse } from 'csv-parse/sync';

/** One physical line: its fields, or why it cannot be read. `line` is 1-based; the header is line 1. */
export type CsvLine = { line: number; fields: string[] } | { line: number; error: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'CSV_QUOTE_NOT_CLOSED') return 'unbalanced quote (a quoted field is not closed on its line)';
  if (code === 'CSV_INVALID_CLOSING_QUOTE' || code === 'INVALID_CLOSING_QUOTE') return 'text after a closing quote';
  return `not a CSV record: ${error instanceof Error ? error.message.slice(0, 120) : String(error)}`;
}

function readLine(line: number, bytes: Buffer, tooLong: boolean, maxBytes: number): CsvLine | null {
  if (tooLong) return { line, error: `record longer than ${maxBytes} bytes` };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { line, error: 'not valid UTF-8 (save the file as UTF-8)' };
  }
  if (line === 1 && text.startsWith('\uFEFF')) text = text.slice(1);
  if (text.trim() === '') return null;
  if (text.includes('\u0000')) return { line, error: 'NUL byte in the line' };
  try {
    const records = parse(text, { relax_column_count: true, relax_quotes: true }) as string[][];
    if (records.length !== 1) return { line, error: 'not a CSV record' };
    return { line, fields: records[0]! };
  } catch (error) {
    return { line, error: reasonOf(error) };
  }
}

/** The lines of a CSV stream (empty lines left out), each parsed on its own. */
export async function* csvLines(input: AsyncIterable<Buffer | string>, maxBytes: number): AsyncGenerator<CsvLine> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  let line = 1;
  let afterCr = false;
  const take = (part: Buffer): void => {
    if (part.length === 0 || tooLong) return;
    size += part.length;
    if (size > maxBytes) {
      tooLong = true;
      parts = [];
      return;
    }
    parts.push(part);
  };
  const end = (): CsvLine | null => {
    const out = readLine(line, Buffer.concat(parts), tooLong, maxBytes);
    parts = [];
    size = 0;
    tooLong = false;
    line += 1;
    return out;
  };
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i]!;
      if (afterCr) {
        afterCr = false;
        if (b === 0x0a) {
          start = i + 1;
          continue;
        }
      }
      if (b !== 0x0a && b !== 0x0d) continue;
      take(buf.subarray(start, i));
      const out = end();
      if (out) yield out;
      start = i + 1;
      afterCr = b === 0x0d;
    }
    take(buf.subarray(start));
  }
  if (size > 0 || tooLong) {
    const out = end();
    if (out) yield out;
  }
}
