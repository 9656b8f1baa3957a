/**
 * Co-hosts, chosen by name from the staff who may host (GET /api/staff), never typed as ids: a
 * search (no diacritics needed: "vu truong" finds "Vụ trưởng"), its results as buttons, and the
 * chosen ones as a list, each with its own "remove". Up to 20, as the server allows.
 */
import { useEffect, useId, useState } from 'react';
import { useT } from '../i18n/useT';
import { useProvinces } from '../components/useProvinces';
import { errorText } from '../i18n/errors';
import { api } from './api';
import type { StaffAnswer, StaffMember } from '../../../signaling/protocol/http';

export const MAX_COHOSTS = 20;
/** Typing settles this long before a search goes out. */
const SEARCH_DELAY_MS = 250;

export function CoHostPicker({ token, chosen, onChange, exclude }: { token: string; chosen: StaffMember[]; onChange: (next: StaffMember[]) => void; exclude: string | null }) {
  const t = useT();
  const provinces = useProvinces();
  const ids = useId();
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<StaffMember[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const q = query.trim();
    if (q.length === 0) {
      setFound(null);
      return;
    }
    let stop = false;
    const timer = setTimeout(() => {
      api<StaffAnswer>(token, 'GET', `/api/staff?q=${encodeURIComponent(q)}`)
        .then((r) => {
          if (stop) return;
          setError(null);
          setFound(r.staff);
        })
        .catch((e: unknown) => !stop && setError(errorText(t, e)));
    }, SEARCH_DELAY_MS);
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [query, token, t]);

  const describe = (s: StaffMember): string =>
    s.role === 'host' ? t('staffMinistry') : `${t('staffProvince')} ${s.province ? provinces.names.get(s.province) ?? s.province : ''}`.trim();
  const taken = new Set(chosen.map((c) => c.id));
  const offered = (found ?? []).filter((s) => !taken.has(s.id) && s.id !== exclude);
  const full = chosen.length >= MAX_COHOSTS;

  return (
    <fieldset className="cohosts" aria-describedby={`${ids}-hint`}>
      <legend>{t('coHosts')}</legend>
      <p id={`${ids}-hint`} className="hint">{t('coHostsHint')}</p>
      {chosen.length > 0 && (
        <ul className="chosen-cohosts" aria-label={t('coHostsChosen')}>
          {chosen.map((c) => (
            <li key={c.id} data-cohost={c.id}>
              <span className="name">
                <strong>{c.name}</strong> <small>{describe(c)}</small>
              </span>
              <button type="button" data-action="remove-cohost" aria-label={t('removeCoHost', { name: c.name })} onClick={() => onChange(chosen.filter((x) => x.id !== c.id))}>
                {t('remove')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <label htmlFor={`${ids}-q`}>{t('findCoHost')}</label>
      <input
        id={`${ids}-q`}
        type="search"
        name="cohost-search"
        value={query}
        maxLength={64}
        disabled={full}
        autoComplete="off"
        placeholder={t('findCoHostPlaceholder')}
        aria-controls={`${ids}-found`}
        onChange={(e) => setQuery(e.target.value)}
      />
      {error && <p className="error" role="alert">{error}</p>}
      <div id={`${ids}-found`} role="status" aria-live="polite">
        {full ? (
          <p className="hint">{t('coHostsFull', { n: MAX_COHOSTS })}</p>
        ) : found !== null && offered.length === 0 ? (
          <p className="hint">{t('noStaffFound')}</p>
        ) : (
          offered.length > 0 && (
            <ul className="staff-found">
              {offered.map((s) => (
                <li key={s.id}>
                  <button type="button" data-staff={s.id} onClick={() => (onChange([...chosen, s]), setQuery(''))}>
                    <strong>{s.name}</strong> <small>{describe(s)}</small>
                  </button>
                </li>
              ))}
            </ul>
          )
        )}
      </div>
    </fieldset>
  );
}

/** The co-hosts of a meeting being edited, with their names (an id the directory does not know keeps its id as name). */
export async function loadCoHosts(token: string, ids: string[]): Promise<StaffMember[]> {
  if (ids.length === 0) return [];
  const { staff } = await api<StaffAnswer>(token, 'GET', `/api/staff?ids=${ids.map(encodeURIComponent).join(',')}`);
  const byId = new Map(staff.map((s) => [s.id, s]));
  return ids.map((id) => byId.get(id) ?? { id, name: id, role: 'host', province: null });
}
