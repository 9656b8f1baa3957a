/**
 * The dashboard's downloads, for a host or a province office after a meeting: attendance at the
 * level shown, the questions and the poll results of the whole meeting (all in the caller's
 * scope, in Vietnamese with Việt Nam times: signaling/qa/qaReports.ts, attendanceExport.ts).
 * Each download says that it is being prepared, that it is done, or why it failed.
 */
import { useState } from 'react';
import { useT } from '../i18n/useT';
import type { StringKey } from '../i18n/strings';
import { download } from './api';

interface ExportFile {
  /** data-export, and the file's name prefix. */
  id: string;
  label: StringKey;
  path: string;
  file: string;
}

export function DashboardExports({ token, meetingId, query }: { token: string; meetingId: string; query: string }) {
  const t = useT();
  const [busy, setBusy] = useState<string | null>(null);
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const base = `/api/meetings/${meetingId}`;
  const files: ExportFile[] = [
    { id: 'attendance-csv', label: 'exportCsv', path: `${base}/attendance.csv${query}`, file: `diem-danh-${meetingId}.csv` },
    { id: 'attendance-xlsx', label: 'exportXlsx', path: `${base}/attendance.xlsx${query}`, file: `diem-danh-${meetingId}.xlsx` },
    { id: 'questions-csv', label: 'exportQuestionsCsv', path: `${base}/questions.csv`, file: `cau-hoi-${meetingId}.csv` },
    { id: 'questions-xlsx', label: 'exportQuestionsXlsx', path: `${base}/questions.xlsx`, file: `cau-hoi-${meetingId}.xlsx` },
    { id: 'polls-csv', label: 'exportPollsCsv', path: `${base}/polls.csv`, file: `binh-chon-${meetingId}.csv` },
    { id: 'polls-xlsx', label: 'exportPollsXlsx', path: `${base}/polls.xlsx`, file: `binh-chon-${meetingId}.xlsx` },
  ];

  const get = (f: ExportFile): void => {
    setBusy(f.id);
    setStatus({ ok: true, text: t('exportBusy') });
    download(token, f.path, f.file)
      .then(() => setStatus({ ok: true, text: t('exportDone', { name: f.file }) }))
      .catch((e: Error) => setStatus({ ok: false, text: t('exportFailed', { reason: e.message }) }))
      .finally(() => setBusy(null));
  };

  return (
    <section className="exports" aria-labelledby="exports-title" data-testid="exports">
      <h2 id="exports-title">{t('exportsTitle')}</h2>
      <p className="hint">{t('exportsHint')}</p>
      <div className="export-buttons">
        {files.map((f) => (
          <button key={f.id} data-export={f.id} disabled={busy !== null} onClick={() => get(f)}>
            {t(f.label)}
          </button>
        ))}
      </div>
      <p className={status?.ok === false ? 'error' : 'hint'} role="status" aria-live="polite" data-export-status>
        {status?.text ?? ''}
      </p>
    </section>
  );
}
