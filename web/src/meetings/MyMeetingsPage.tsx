/**
 * "My meetings": every meeting happening now first, then upcoming and past ones a page at a time
 * ("more" asks the server for the next page), each with its join link (to open or copy), ended
 * ones with "replay" when they have a recording; hosts schedule and edit.
 */
import { useCallback, useEffect, useState } from 'react';
import { useT } from '../i18n/useT';
import { useStore } from '../state/store';
import { api, go, type MeetingView } from './api';
import type { MeetingPageAnswer } from '../../../signaling/schedule/types';
import { ScheduleForm } from './ScheduleForm';
import { ReplayLink } from './ReplayLink';
import { JoinLink } from './JoinLink';
import { CalendarButton } from './CalendarButton';
import type { StringKey } from '../i18n/strings';

interface Lists {
  live: MeetingView[];
  upcoming: MeetingView[];
  past: MeetingView[];
  next?: { upcoming: string | null; past: string | null };
}

type Paged = 'upcoming' | 'past';
/** Pages loaded after the first (which the 10 s refresh replaces), and where the next one starts. */
type Extra = Record<Paged, { items: MeetingView[]; next: string | null } | null>;

/** The first page, then the later ones, each meeting once (and not if it has moved to `elsewhere`, e.g. started). */
function joined(first: MeetingView[], later: MeetingView[], elsewhere: MeetingView[]): MeetingView[] {
  const seen = new Set([...first, ...elsewhere].map((m) => m.id));
  return [...first, ...later.filter((m) => !seen.has(m.id))];
}

export const STATE_TEXT: Record<string, StringKey> = { scheduled: 'stateScheduled', open: 'stateOpen', live: 'stateLive', ended: 'stateEnded' };

export function when(iso: string, lang: string): string {
  return new Date(iso).toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

export function MyMeetingsPage({ token }: { token: string }) {
  const t = useT();
  const lang = useStore((s) => s.lang);
  const role = useStore((s) => s.account?.role);
  const [lists, setLists] = useState<Lists | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<MeetingView | 'new' | null>(null);
  const [extra, setExtra] = useState<Extra>({ upcoming: null, past: null });
  const [loadingMore, setLoadingMore] = useState<Paged | null>(null);

  const nextOf = (kind: Paged): string | null => (extra[kind] ? extra[kind].next : (lists?.next?.[kind] ?? null));
  const more = (kind: Paged): void => {
    const cursor = nextOf(kind);
    if (!cursor) return;
    setLoadingMore(kind);
    api<MeetingPageAnswer>(token, 'GET', `/api/meetings?state=${kind === 'past' ? 'ended' : 'upcoming'}&cursor=${encodeURIComponent(cursor)}`)
      .then((p) => setExtra((x) => ({ ...x, [kind]: { items: [...(x[kind]?.items ?? []), ...(p.meetings as MeetingView[])], next: p.next } })))
      .catch((e: Error) => setError(e.message))
      .finally(() => setLoadingMore(null));
  };

  const load = useCallback(() => {
    api<Lists>(token, 'GET', '/api/meetings')
      .then((l) => {
        setLists(l);
        setError(null);
      })
      .catch((e: Error) => setError(e.message));
  }, [token]);
  useEffect(() => {
    load();
    const timer = setInterval(load, 10_000);
    return () => clearInterval(timer);
  }, [load]);

  const isHost = role === 'host' || role === 'province_host';
  const section = (key: StringKey, items: MeetingView[], kind: string, paged?: Paged) => (
    <section className="meeting-section" aria-labelledby={`h-${kind}`}>
      <h2 id={`h-${kind}`}>{t(key)}</h2>
      {items.length === 0 ? (
        <p className="hint">{t('meetingsNone')}</p>
      ) : (
        <ul className="meeting-list">
          {items.map((m) => (
            <li key={m.id} className="meeting-card" data-meeting={m.id}>
              <div className="meeting-card-head">
                <strong>{m.title}</strong>
                <span className={`state state-${m.state}`}>{t(STATE_TEXT[m.state]!)}</span>
              </div>
              <div className="hint">
                {when(m.startsAt, lang)} – {new Date(m.endsAt).toLocaleTimeString(lang === 'vi' ? 'vi-VN' : 'en-GB', { timeStyle: 'short' })}
              </div>
              {m.agenda && <p className="agenda">{m.agenda}</p>}
              <div className="controls">
                {m.state !== 'ended' && (
                  <a className="button" href={`/m/${m.id}`} onClick={(e) => { e.preventDefault(); go(`/m/${m.id}`); }}>
                    {t('join')}
                  </a>
                )}
                {m.state === 'ended' && <ReplayLink meetingId={m.id} token={token} />}
                {m.rights.manage && m.state !== 'ended' && <button data-action="edit" onClick={() => setEditing(m)}>{t('editMeeting')}</button>}
                {m.rights.dashboard && (
                  <a className="button secondary" href={`/m/${m.id}/attendance`} onClick={(e) => { e.preventDefault(); go(`/m/${m.id}/attendance`); }}>
                    {t('dashboard')}
                  </a>
                )}
                {m.state !== 'ended' && <CalendarButton meetingId={m.id} token={token} />}
                <JoinLink meetingId={m.id} />
              </div>
            </li>
          ))}
        </ul>
      )}
      {paged && nextOf(paged) && (
        <button className="secondary" data-more={paged} disabled={loadingMore === paged} onClick={() => more(paged)}>
          {loadingMore === paged ? t('meetingsLoadingMore') : t('meetingsMore')}
        </button>
      )}
    </section>
  );

  return (
    <main className="meetings">
      <div className="meetings-head">
        <h1>{t('myMeetings')}</h1>
        {isHost && !editing && (
          <button className="primary" onClick={() => setEditing('new')}>
            {t('scheduleMeeting')}
          </button>
        )}
      </div>
      {editing && (
        <ScheduleForm
          token={token}
          meeting={editing === 'new' ? null : editing}
          onDone={() => {
            setEditing(null);
            setExtra({ upcoming: null, past: null });
            load();
          }}
        />
      )}
      {error && <p className="error" role="alert">{t('loadFailed')} ({error})</p>}
      {!lists && !error && <p className="hint">{t('meetingsLoading')}</p>}
      {lists && (
        <>
          {section('meetingsLive', lists.live, 'live')}
          {section('meetingsUpcoming', joined(lists.upcoming, extra.upcoming?.items ?? [], [...lists.live, ...lists.past]), 'upcoming', 'upcoming')}
          {section('meetingsPast', joined(lists.past, extra.past?.items ?? [], lists.live), 'past', 'past')}
        </>
      )}
    </main>
  );
}
