/**
 * The interaction part of a meeting's export: its questions (with votes), its polls (votes per
 * option, nationwide and by province) and its reactions (by province), read from the database.
 * CSV: one file, one row per item, a `kind` column saying which; XLSX: one sheet per kind. Cells a
 * spreadsheet would run as a formula are prefixed with an apostrophe (csvField).
 */
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Db } from '../db/Db';
import { csvField } from '../attendance/attendanceExport';
import { safeCell } from '../attendance/formulaGuard';

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

  const ps = await db.query<{ id: string; question: string; options: string[]; state: string; closes_at: Date | null; opened_at: Date | null }>(
    `SELECT id, question, options, state, closes_at, opened_at FROM polls WHERE meeting_id = $1 ORDER BY length(id), id`,
    [meetingId],
  );
  const tallies = await db.query<{ poll_id: string; province: string; choice: number | null; n: string }>(
    `SELECT poll_id, province, c AS choice, count(*) AS n
     FROM poll_votes v LEFT JOIN LATERAL unnest(v.choices) AS c ON true
     WHERE meeting_id = $1 AND ($2::text IS NULL OR province = $2)
     GROUP BY GROUPING SETS ((poll_id, province, c), (poll_id, c))`,
    [meetingId, province],
  );
  const voters = await db.query<{ poll_id: string; province: string | null; n: string }>(
    `SELECT poll_id, province, count(*) AS n FROM poll_votes WHERE meeting_id = $1 AND ($2::text IS NULL OR province = $2)
     GROUP BY GROUPING SETS ((poll_id, province), (poll_id))`,
    [meetingId, province],
  );
  const polls: Row[] = [];
  for (const p of ps) {
    // A poll past its deadline is closed, whether or not a node wrote that down.
    const state = p.state === 'open' && p.closes_at && p.closes_at.getTime() <= Date.now() ? 'closed' : p.state;
    const scopes = [...new Set(voters.filter((v) => v.poll_id === p.id).map((v) => v.province))].sort((a, b) => (a === null ? 1 : b === null ? -1 : a < b ? -1 : a > b ? 1 : 0));
    if (scopes.length === 0) scopes.push(null);
    for (const scope of scopes) {
      const label = scope === null ? (province ?? 'all') : noneAsEmpty(scope);
      const n = voters.find((v) => v.poll_id === p.id && v.province === scope);
      polls.push(['poll_voters', p.id, label, p.question, '', '', Number(n?.n ?? 0), state, iso(p.opened_at)]);
      p.options.forEach((option, i) => {
        const t = tallies.find((x) => x.poll_id === p.id && (x.province ?? null) === scope && Number(x.choice) === i);
        polls.push(['poll_option', p.id, label, p.question, '', option, Number(t?.n ?? 0), state, iso(p.opened_at)]);
      });
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
