/**
 * The interaction part of a meeting's export: its questions (with votes), its polls (votes per
 * option, nationwide and by province) and its reactions (by province), read from the database.
 * CSV: one file, one row per item, a `kind` column saying which; XLSX: one sheet per kind. Cells a
 * spreadsheet would run as a formula are prefixed with an apostrophe (csvField). This is the
 * machine-readable export (English codes, UTC times); qaReports.ts has the Vietnamese reports.
 */
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Db } from '../db/Db';
import { csvField } from '../attendance/attendanceExport';
import { safeCell } from '../attendance/formulaGuard';
import { pollTallies } from './pollTallies';

export const INTERACTION_COLUMNS = ['kind', 'id', 'province', 'name', 'school', 'text', 'count', 'state', 'at'] as const;
type Row = [string, string, string, string, string, string, number, string, string];

/** No province ('--' in the store) is an empty cell. */
const noneAsEmpty = (p: string): string => (p === '--' ? '' : p);
const iso = (d: Date | null): string => (d ? d.toISOString() : '');
/** A question's state: visible, answered, hidden (or both). */
const qState = (answered: boolean, hidden: boolean): string => [hidden ? 'hidden' : 'visible', ...(answered ? ['answered'] : [])].join('+');

/** The rows of one meeting; a province scope keeps that province's questions and tallies only. */
export async function interactionRows(db: Db, meetingId: string, province: string | null): Promise<{ questions: Row[]; polls: Row[]; reactions: Row[] }> {
  const qs = await db.query<{ id: string; province: string | null; author_name: string; school: string | null; text: string; votes: string; answered: boolean; hidden: boolean; asked_at: Date }>(
    `SELECT q.id, q.province, q.author_name, q.school, q.text, q.answered, q.hidden, q.asked_at,
            (SELECT count(*) FROM qa_votes v WHERE v.meeting_id = q.meeting_id AND v.question_id = q.id) AS votes
     FROM qa_questions q WHERE q.meeting_id = $1 AND ($2::text IS NULL OR q.province = $2)
     ORDER BY votes DESC, length(q.id), q.id`,
    [meetingId, province],
  );
  const questions: Row[] = qs.map((q) => ['question', q.id, q.province ?? '', q.author_name, q.school ?? '', q.text, Number(q.votes), qState(q.answered, q.hidden), iso(q.asked_at)]);

  const polls: Row[] = [];
  for (const p of await pollTallies(db, meetingId, province)) {
    for (const scope of p.scopes) {
      const label = scope.province === null ? (province ?? 'all') : noneAsEmpty(scope.province);
      polls.push(['poll_voters', p.id, label, p.question, '', '', scope.voters, p.state, iso(p.openedAt)]);
      p.options.forEach((option, i) => polls.push(['poll_option', p.id, label, p.question, '', option, scope.votes[i] ?? 0, p.state, iso(p.openedAt)]));
    }
  }
  const rs = await db.query<{ kind: string; province: string; count: string }>(
    `SELECT kind, province, count FROM reaction_totals WHERE meeting_id = $1 AND ($2::text IS NULL OR province = $2) ORDER BY kind, province`,
    [meetingId, province],
  );
  const reactions: Row[] = rs.map((r) => ['reaction', r.kind, noneAsEmpty(r.province), '', '', '', Number(r.count), '', '']);
  return { questions, polls, reactions };
}

export function writeInteractionCsv(out: Writable, rows: { questions: Row[]; polls: Row[]; reactions: Row[] }): void {
  let body = '\uFEFF' + INTERACTION_COLUMNS.join(',') + '\r\n';
  for (const r of [...rows.questions, ...rows.polls, ...rows.reactions]) body += r.map(csvField).join(',') + '\r\n';
  out.end(body);
}

export async function writeInteractionXlsx(out: Writable, rows: { questions: Row[]; polls: Row[]; reactions: Row[] }, title: string): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  for (const [name, list] of [
    ['Questions', rows.questions],
    ['Polls', rows.polls],
    ['Reactions', rows.reactions],
  ] as const) {
    const ws = wb.addWorksheet(name);
    ws.addRow([...INTERACTION_COLUMNS]).commit();
    for (const r of list) ws.addRow(r.map(safeCell)).commit();
    ws.commit();
  }
  wb.creator = 'hoinghi';
  wb.title = title.slice(0, 200);
  await wb.commit();
}
