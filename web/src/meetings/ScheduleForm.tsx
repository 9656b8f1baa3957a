/** Scheduling and editing a meeting (hosts). A province host's audience stays in their province. */
import { useEffect, useState, type FormEvent } from 'react';
import { useT } from '../i18n/useT';
import { useStore } from '../state/store';
import { useProvinces } from '../components/useProvinces';
import { errorText } from '../i18n/errors';
import { ApiError, api, type MeetingView } from './api';
import type { SchoolsAnswer, StaffMember } from '../../../signaling/protocol/http';
import { CoHostPicker, loadCoHosts } from './CoHostPicker';

type Kind = 'country' | 'provinces' | 'schools';

/** A Date as the value of a datetime-local input (local time). */
function localInput(d: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function ScheduleForm({ token, meeting, onDone }: { token: string; meeting: MeetingView | null; onDone: () => void }) {
  const t = useT();
  const account = useStore((s) => s.account);
  const provinces = useProvinces();
  const own = account?.role === 'province_host' ? account.province : null;
  const [title, setTitle] = useState(meeting?.title ?? '');
  const [agenda, setAgenda] = useState(meeting?.agenda ?? '');
  const [start, setStart] = useState(localInput(meeting ? new Date(meeting.startsAt) : new Date(Date.now() + 3600_000)));
  const [duration, setDuration] = useState(meeting ? Math.round((Date.parse(meeting.endsAt) - Date.parse(meeting.startsAt)) / 60_000) : 90);
  const [kind, setKind] = useState<Kind>(meeting?.audience.kind ?? (own ? 'provinces' : 'country'));
  const [chosenProvinces, setChosenProvinces] = useState<string[]>(
    meeting?.audience.kind === 'provinces' ? meeting.audience.provinces : own ? [own] : [],
  );
  const [schoolProvince, setSchoolProvince] = useState(own ?? '01');
  const [schools, setSchools] = useState<{ code: string; name: string }[]>([]);
  const [chosenSchools, setChosenSchools] = useState<string[]>(meeting?.audience.kind === 'schools' ? meeting.audience.schools : []);
  const [coHosts, setCoHosts] = useState<StaffMember[]>(() => (meeting?.coHosts ?? []).map((id) => ({ id, name: id, role: 'host', province: null })));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // Editing: the co-hosts' names, from the staff directory.
  useEffect(() => {
    if (!meeting || meeting.coHosts.length === 0) return;
    loadCoHosts(token, meeting.coHosts)
      .then(setCoHosts)
      .catch(() => undefined); // the ids stay shown; saving keeps them
  }, [meeting, token]);

  useEffect(() => {
    if (kind !== 'schools') return;
    api<SchoolsAnswer>(token, 'GET', `/api/schools?province=${schoolProvince}`)
      .then((r) => setSchools(r.schools))
      .catch((e: Error) => setError(e.message));
  }, [kind, schoolProvince, token]);

  async function submit(e: FormEvent): Promise<void> {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const startsAt = new Date(start);
    const body = {
      title,
      agenda,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + duration * 60_000).toISOString(),
      audience: kind === 'country' ? { kind } : kind === 'provinces' ? { kind, provinces: chosenProvinces } : { kind, schools: chosenSchools },
      coHosts: coHosts.map((c) => c.id),
    };
    try {
      await api(token, meeting ? 'PUT' : 'POST', meeting ? `/api/meetings/${meeting.id}` : '/api/meetings', body);
      onDone();
    } catch (err) {
      // A quota is explained in the reader's language; a refused field keeps the server's words (which field, why).
      setError(err instanceof ApiError && err.code === 'quota_exceeded' ? errorText(t, err) : (err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  const toggle = (list: string[], set: (v: string[]) => void, code: string): void =>
    set(list.includes(code) ? list.filter((c) => c !== code) : [...list, code]);

  return (
    <form className="panel schedule-form" onSubmit={(e) => void submit(e)}>
      <h2>{meeting ? t('editMeeting') : t('scheduleMeeting')}</h2>
      <label>
        {t('meetingTitle')}
        <input name="title" required maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} />
      </label>
      <label>
        {t('meetingAgenda')}
        <textarea name="agenda" maxLength={5000} rows={3} value={agenda} onChange={(e) => setAgenda(e.target.value)} />
      </label>
      <div className="form-row">
        <label>
          {t('meetingStart')}
          <input name="start" type="datetime-local" required value={start} onChange={(e) => setStart(e.target.value)} />
        </label>
        <label>
          {t('meetingDuration')}
          <input name="duration" type="number" min={5} max={1440} required value={duration} onChange={(e) => setDuration(Number(e.target.value))} />
        </label>
      </div>
      <fieldset>
        <legend>{t('audience')}</legend>
        {(['country', 'provinces', 'schools'] as const)
          .filter((k) => !own || k !== 'country')
          .map((k) => (
            <label key={k} className="inline">
              <input type="radio" name="audience" value={k} checked={kind === k} onChange={() => setKind(k)} />
              {t(k === 'country' ? 'audienceCountry' : k === 'provinces' ? 'audienceProvinces' : 'audienceSchools')}
            </label>
          ))}
        {kind === 'provinces' && (
          <div className="checks">
            {provinces.list
              .filter(({ code }) => !own || code === own)
              .map(({ code, name }) => (
                <label key={code} className="inline">
                  <input type="checkbox" value={code} checked={chosenProvinces.includes(code)} onChange={() => toggle(chosenProvinces, setChosenProvinces, code)} />
                  {name}
                </label>
              ))}
          </div>
        )}
        {kind === 'schools' && (
          <div>
            {!own && (
              <select aria-label={t('province')} value={schoolProvince} onChange={(e) => setSchoolProvince(e.target.value)}>
                {provinces.list.map(({ code, name }) => (
                  <option key={code} value={code}>
                    {name}
                  </option>
                ))}
              </select>
            )}
            <div className="checks schools-list" aria-label={t('chooseSchools')}>
              {schools.map((s) => (
                <label key={s.code} className="inline">
                  <input type="checkbox" value={s.code} checked={chosenSchools.includes(s.code)} onChange={() => toggle(chosenSchools, setChosenSchools, s.code)} />
                  {s.name}
                </label>
              ))}
            </div>
          </div>
        )}
      </fieldset>
      <CoHostPicker token={token} chosen={coHosts} onChange={setCoHosts} exclude={account?.id ?? null} />
      {error && <p className="error" role="alert">{error}</p>}
      <div className="controls">
        <button className="primary" type="submit" disabled={busy}>
          {t('save')}
        </button>
        <button type="button" onClick={onDone}>
          {t('cancel')}
        </button>
      </div>
    </form>
  );
}
