import { useEffect, useState } from 'react';
import type { MeetingClient } from './client/MeetingClient';
import { hasReturnPath, takeReturnPath, useStore } from './state/store';
import { useMeetingClient } from './client/useMeetingClient';
import { StatusBar } from './components/StatusBar';
import { SignInPage } from './pages/SignInPage';
import { HostPage } from './pages/HostPage';
import { TeacherPage } from './pages/TeacherPage';
import { PresenterPage } from './pages/PresenterPage';
import { MeetingsApp } from './meetings/MeetingsApp';
import { useHasMeetings } from './meetings/useHasMeetings';
import { useT } from './i18n/useT';

/** The meeting is over (the demo meeting without scheduling; MeetingGate shows the summary of a scheduled one). */
function MeetingOver() {
  const t = useT();
  const info = useStore((s) => s.meetingEnded);
  return (
    <main className="lobby ended" data-state="ended">
      <h1>{t(info?.reason === 'deleted' ? 'deletedTitle' : 'endedTitle')}</h1>
      <p>{t(info?.reason === 'deleted' ? 'deletedText' : 'endedByHost')}</p>
      <p>{t('endedSummary')} {t('endedPanelText')}</p>
    </main>
  );
}

/**
 * The sign-in is over (expired, revoked, or refused): one thing to do, with one button, and back
 * to this very page afterwards. Nothing behind it keeps asking the server meanwhile (the pages
 * and the meeting's connection are closed while this shows).
 */
function SignInAgain() {
  const t = useT();
  const signInAgain = useStore((s) => s.signInAgain);
  return (
    <main className="lobby" data-state="signin-expired">
      <h1>{t('signInAgainTitle')}</h1>
      <p>{t('signInAgainText')}</p>
      {/* The one action there is: focus goes to it. */}
      <button className="primary" data-action="sign-in-again" autoFocus onClick={signInAgain}>
        {t('signInAgain')}
      </button>
    </main>
  );
}

/** The demo meeting (no database: no list of meetings, no title): leaving goes back to the sign-in page. */
function DemoMeetingBar() {
  const t = useT();
  const signOut = useStore((s) => s.signOut);
  return (
    <div className="meeting-bar" data-testid="meeting-bar">
      <a href="/" className="back" data-action="leave" onClick={(e) => { e.preventDefault(); signOut(); }}>
        {t('leaveMeeting')}
      </a>
    </div>
  );
}

/** Hosts and province hosts get the console; the crew the backstage's page; teachers the receive-only view. */
function Meeting({ token, meetingId, isHost, onClient }: { token: string; meetingId: string; isHost: boolean; onClient: (c: MeetingClient | null) => void }) {
  const client = useMeetingClient(token, meetingId);
  const ended = useStore((s) => s.status === 'ended');
  const presenting = useStore((s) => s.session?.backstage === true);
  // The top bar's "reconnect now" needs the client; it lives above this page.
  useEffect(() => {
    onClient(client);
    return () => onClient(null);
  }, [client, onClient]);
  if (!client) return null;
  if (ended) return <MeetingOver />;
  if (isHost) return <HostPage client={client} />;
  // Named to the crew by a producer: the backstage's page (a captioner works beside the teacher view).
  return presenting ? <PresenterPage client={client} /> : <TeacherPage client={client} />;
}

export function App() {
  const token = useStore((s) => s.token);
  const meetingId = useStore((s) => s.meetingId);
  const role = useStore((s) => s.account?.role);
  const lang = useStore((s) => s.lang);
  const expired = useStore((s) => s.signInExpired);
  // With a database the server schedules meetings: "My meetings" and join links replace the
  // single demo meeting.
  const scheduled = useHasMeetings(token);
  const [client, setClient] = useState<MeetingClient | null>(null);

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  useEffect(() => {
    // Signed in again after the last sign-in expired: back to where it happened.
    const back = token ? takeReturnPath() : null;
    if (back) window.history.replaceState(null, '', back);
    // A join link (/m/<id>) survives signing in (and signing in again keeps the page).
    if (!token && (window.location.pathname.startsWith('/m/') || hasReturnPath())) return;
    if (token && scheduled !== false) {
      if (scheduled && !/^\/(meetings|m\/)/.test(window.location.pathname)) window.history.replaceState(null, '', '/meetings');
      return;
    }
    const path = !token ? '/' : role === 'host' ? '/host' : role === 'province_host' ? '/province' : '/teacher';
    if (window.location.pathname !== path) window.history.replaceState(null, '', path);
  }, [token, role, scheduled]);

  const isHost = role === 'host' || role === 'province_host';
  return (
    <>
      <StatusBar client={client} />
      {token && expired ? (
        <SignInAgain />
      ) : token && scheduled ? (
        <MeetingsApp token={token} renderMeeting={(id) => <Meeting key={id} token={token} meetingId={id} isHost={isHost} onClient={setClient} />} />
      ) : token && scheduled === null ? null : token && meetingId ? (
        <>
          <DemoMeetingBar />
          <Meeting token={token} meetingId={meetingId} isHost={isHost} onClient={setClient} />
        </>
      ) : (
        <SignInPage />
      )}
    </>
  );
}
