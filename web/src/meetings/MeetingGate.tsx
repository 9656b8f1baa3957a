/**
 * A meeting's join link. Before it opens: the lobby (title, agenda, a countdown to the start;
 * hosts get "Open the meeting"). Once open: the meeting itself (whose join the cluster admission
 * paces). After the end: a summary instead of a black video. The state is polled, so the lobby
 * lets the teacher in by itself when the host opens, and the meeting gives way to the summary; when
 * the server says the meeting ended (`meetingEnded`, or a join refused with not_open) the state is
 * read again at once: the summary says the host ended it and where the replay is, or that it was
 * cancelled.
 */
import { CalendarButton } from './CalendarButton';
import { useEffect, useState, type ReactNode } from 'react';
import { useT } from '../i18n/useT';
import { useStore } from '../state/store';
import { ApiError, api, go, type MeetingView } from './api';
import { when } from './MyMeetingsPage';
import { RecordingsList } from '../components/Recording';
import { ConfirmDialog } from '../components/ConfirmDialog';

const POLL_MS = 2_000;

function countdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

export function MeetingGate({ token, meetingId, renderMeeting }: { token: string; meetingId: string; renderMeeting: (id: string) => ReactNode }) {
  const t = useT();
  const lang = useStore((s) => s.lang);
  const [meeting, setMeeting] = useState<MeetingView | null>(null);
  const [error, setError] = useState<ApiError | Error | null>(null);
  /** Server clock minus ours, so the countdown is right on a badly set computer. */
  const [skew, setSkew] = useState(0);
  const [now, setNow] = useState(Date.now());
  /** The host's "end" request is under way (it answers once the recordings are replays). */
  const [ending, setEnding] = useState(false);
  /** "End the meeting" was pressed: the confirmation is shown. */
  const [confirmEnd, setConfirmEnd] = useState(false);
  const ended = useStore((s) => s.status === 'ended');
  const endedInfo = useStore((s) => (s.meetingEnded?.meetingId === meetingId ? s.meetingEnded : null));
  /** This page showed the meeting open: an end seen now happened while the person was in it. */
  const [sawOpen, setSawOpen] = useState(false);
  const isOpen = meeting?.state === 'open' || meeting?.state === 'live';
  useEffect(() => {
    if (isOpen) setSawOpen(true);
  }, [isOpen]);
  /** Replays listed on the summary (null until listed). */
  const [replays, setReplays] = useState<number | null>(null);

  useEffect(() => {
    let stop = false;
    const load = (): void => {
      api<MeetingView>(token, 'GET', `/api/meetings/${meetingId}`)
        .then((m) => {
          if (stop) return;
          setMeeting(m);
          setError(null);
          if (m.serverTime) setSkew(Date.parse(m.serverTime) - Date.now());
        })
        .catch((e: Error) => !stop && setError(e));
    };
    load();
    const poll = setInterval(load, POLL_MS);
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      stop = true;
      clearInterval(poll);
      clearInterval(tick);
    };
  }, [token, meetingId]);

  // The meeting client heard the end: show it now, not at the next poll.
  useEffect(() => {
    if (!ended) return;
    let stop = false;
    api<MeetingView>(token, 'GET', `/api/meetings/${meetingId}`)
      .then((m) => !stop && setMeeting(m))
      .catch((e: Error) => !stop && setError(e));
    return () => {
      stop = true;
    };
  }, [ended, token, meetingId]);

  const endMeeting = (id: string): void => {
    setEnding(true);
    api<MeetingView>(token, 'POST', `/api/meetings/${id}/end`)
      .then(setMeeting)
      .catch((e: Error) => setError(e))
      .finally(() => setEnding(false));
  };

  const back = (
    <a href="/meetings" className="back" onClick={(e) => { e.preventDefault(); go('/meetings'); }}>
      {t('backToList')}
    </a>
  );

  if (endedInfo?.reason === 'deleted' && (!meeting || meeting.state !== 'ended')) {
    return (
      <main className="lobby ended" data-state="deleted">
        {back}
        <h1>{t('deletedTitle')}</h1>
        <p>{t('deletedText')}</p>
      </main>
    );
  }
  if (error instanceof ApiError && (error.status === 404 || error.status === 403)) {
    return <main className="lobby">{back}<p className="error" role="alert">{t('lobbyNotForYou')}</p></main>;
  }
  if (!meeting) return <main className="lobby">{back}<p className="hint">{error ? t('loadFailed') : t('meetingsLoading')}</p></main>;

  if (meeting.state === 'ended') {
    const minutes = Math.round((Date.parse(meeting.endedAt ?? meeting.endsAt) - Date.parse(meeting.openedAt ?? meeting.startsAt)) / 60_000);
    return (
      <main className="lobby ended" data-state="ended">
        {back}
        <h1>{t('endedTitle')}</h1>
        <h2>{meeting.title}</h2>
        <p>{when(meeting.openedAt ?? meeting.startsAt, lang)} · {minutes} {t('minutesUnit')}</p>
        {meeting.agenda && <p className="agenda">{meeting.agenda}</p>}
        {(endedInfo || sawOpen) && <p role="status">{t(meeting.rights.manage ? 'endedForAll' : 'endedByHost')}</p>}
        <p>{t('endedSummary')} {t(replays ? 'endedNextReplay' : 'endedNext')}</p>
        <RecordingsList meetingId={meeting.id} token={token} onCount={setReplays} />
        {meeting.rights.dashboard && (
          <a className="button" href={`/m/${meeting.id}/attendance`} onClick={(e) => { e.preventDefault(); go(`/m/${meeting.id}/attendance`); }}>
            {t('dashboard')}
          </a>
        )}
      </main>
    );
  }

  const hostView = meeting.rights.manage;
  if (meeting.state !== 'scheduled') {
    // Everyone in the meeting sees what it is and how to leave; its hosts also the attendance
    // (a province host: their province's) and, for who runs it, the end (asked first).
    return (
      <>
        <div className="meeting-bar" data-testid="meeting-bar">
          <a href="/meetings" className="back" data-action="leave" onClick={(e) => { e.preventDefault(); go('/meetings'); }}>
            {t('leaveMeeting')}
          </a>
          <strong className="meeting-title" data-testid="meeting-title">{meeting.title}</strong>
          <span className="spacer" />
          {meeting.rights.dashboard && (
            <a className="button secondary" data-action="attendance" href={`/m/${meeting.id}/attendance`} target="_blank" rel="noreferrer">{t('dashboard')}</a>
          )}
          {hostView && (
            <button data-action="end-meeting" disabled={ending} aria-busy={ending} onClick={() => setConfirmEnd(true)}>
              {t(ending ? 'endingMeeting' : 'endMeeting')}
            </button>
          )}
        </div>
        {confirmEnd && (
          <ConfirmDialog
            id="end-meeting"
            title={t('endMeetingAsk')}
            text={t('endMeetingConsequence')}
            confirm={t('endMeetingConfirm')}
            onCancel={() => setConfirmEnd(false)}
            onConfirm={() => {
              setConfirmEnd(false);
              endMeeting(meeting.id);
            }}
          />
        )}
        {renderMeeting(meeting.id)}
      </>
    );
  }

  const left = Date.parse(meeting.startsAt) - (now + skew);
  return (
    <main className="lobby" data-state="lobby">
      {back}
      <p className="hint">{t('lobbyTitle')}</p>
      <h1>{meeting.title}</h1>
      <p className="hint">{when(meeting.startsAt, lang)}</p>
      {meeting.agenda && (
        <section className="agenda panel">
          <h2>{t('meetingAgenda')}</h2>
          <p>{meeting.agenda}</p>
        </section>
      )}
      {left > 0 ? (
        <div className="countdown" role="timer" aria-live="off">
          <span>{t('lobbyStartsIn')}</span>
          <strong data-countdown>{countdown(left)}</strong>
        </div>
      ) : (
        <p className="countdown" role="status">{t('lobbyWaitHost')}</p>
      )}
      <CalendarButton meetingId={meeting.id} token={token} />
      {hostView ? (
        <button className="primary" onClick={() => void api<MeetingView>(token, 'POST', `/api/meetings/${meeting.id}/open`).then(setMeeting)}>
          {t('openMeeting')}
        </button>
      ) : (
        <p role="status">{t('lobbyWaiting')}</p>
      )}
    </main>
  );
}
