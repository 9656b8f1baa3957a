/**
 * The live attendance dashboard (hosts): present against expected, drilling down from province
 * to school to teacher (a school with its code: two schools may share a name), late joiners and
 * minutes; downloads of the attendance, questions and poll results (DashboardExports.tsx).
 * The server limits everything to the caller's scope (a province host sees their province).
 */
import { useEffect, useState } from 'react';
import { useT } from '../i18n/useT';
import { useStore } from '../state/store';
import type { AttendanceDashboard } from '../../../signaling/protocol/attendance';
import { api, go } from './api';
import { DashboardExports } from './DashboardExports';

const REFRESH_MS = 3_000;

export function DashboardPage({ token, meetingId }: { token: string; meetingId: string }) {
  const t = useT();
  const lang = useStore((s) => s.lang);
  const [province, setProvince] = useState<{ code: string; name: string } | null>(null);
  const [school, setSchool] = useState<{ code: string; name: string } | null>(null);
  const [data, setData] = useState<AttendanceDashboard | null>(null);
  const [error, setError] = useState<string | null>(null);

  const query = school ? `?school=${encodeURIComponent(school.code)}` : province ? `?province=${province.code}` : '';
  useEffect(() => {
    let stop = false;
    const load = (): void => {
      api<AttendanceDashboard>(token, 'GET', `/api/meetings/${meetingId}/attendance${query}`)
        .then((d) => {
          if (stop) return;
          setData(d);
          setError(null);
        })
        .catch((e: Error) => !stop && setError(e.message));
    };
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [token, meetingId, query]);

  const pct = (a: number, b: number): string => (b === 0 ? '–' : `${Math.round((100 * a) / b)}%`);

  return (
    <main className="dashboard">
      <a href="/meetings" className="back" onClick={(e) => { e.preventDefault(); go('/meetings'); }}>
        {t('backToList')}
      </a>
      <h1>
        {t('dashboard')}: {data?.meeting.title ?? ''}
      </h1>
      {data && 'province' in data.scope && <p className="hint">{t('scopeProvince')}</p>}
      {error && <p className="error" role="alert">{t('loadFailed')} ({error})</p>}
      {data && (
        <>
          <div className="totals" data-testid="totals">
            <div><span>{t('present')}</span><strong data-present>{data.totals.present}</strong></div>
            <div><span>{t('expected')}</span><strong>{data.totals.expected}</strong></div>
            <div><span>{t('attended')}</span><strong>{data.totals.attended} ({pct(data.totals.attended, data.totals.expected)})</strong></div>
            <div><span>{t('late')}</span><strong>{data.totals.late}</strong></div>
            <div><span>{t('minutes')}</span><strong>{data.totals.minutes}</strong></div>
          </div>
          <DashboardExports token={token} meetingId={meetingId} query={query} />
          <nav className="crumbs" aria-label="breadcrumb">
            <button className="link" onClick={() => { setProvince(null); setSchool(null); }}>{t('allProvinces')}</button>
            {province && <> › <button className="link" onClick={() => setSchool(null)}>{province.name}</button></>}
            {school && <> › <span>{school.name} ({school.code})</span></>}
          </nav>
          <div className="table-scroll">
            {data.level === 'teacher' ? (
              <table className="att-table">
                <thead>
                  <tr><th>{t('teacherName')}</th><th>{t('subject')}</th><th>{t('present')}</th><th>{t('firstJoin')}</th><th>{t('minutes')}</th><th>{t('late')}</th></tr>
                </thead>
                <tbody>
                  {data.rows.map((r) => (
                    <tr key={r.id} data-teacher={r.id} className={r.present ? 'is-present' : ''}>
                      <td>{r.name}</td>
                      <td>{r.subject}</td>
                      <td>{r.present ? t('yes') : t('no')}</td>
                      <td>{r.firstJoin ? new Date(r.firstJoin).toLocaleTimeString(lang === 'vi' ? 'vi-VN' : 'en-GB') : '–'}</td>
                      <td>{r.minutes}</td>
                      <td>{r.late ? t('yes') : ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <table className="att-table">
                <thead>
                  <tr><th>{data.level === 'province' ? t('province') : t('school')}</th><th>{t('present')}</th><th>{t('expected')}</th><th>{t('attended')}</th><th>{t('late')}</th><th>{t('minutes')}</th></tr>
                </thead>
                <tbody>
                  {data.rows.map((r) => (
                    <tr key={r.code} data-group={r.code}>
                      <td>
                        <button className="link" onClick={() => (data.level === 'province' ? setProvince({ code: r.code, name: r.name }) : setSchool({ code: r.code, name: r.name }))}>
                          {r.name}
                          {data.level === 'school' && <span className="code"> ({r.code})</span>}
                        </button>
                      </td>
                      <td>{r.present}</td>
                      <td>{r.expected}</td>
                      <td>{r.attended} ({pct(r.attended, r.expected)})</td>
                      <td>{r.late}</td>
                      <td>{r.minutes}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        </>
      )}
    </main>
  );
}
