import { useEffect } from 'react';
import { useStore } from './state/store';
import { useMeetingClient } from './client/useMeetingClient';
import { StatusBar } from './components/StatusBar';
import { SignInPage } from './pages/SignInPage';
import { HostPage } from './pages/HostPage';
import { TeacherPage } from './pages/TeacherPage';

/** Hosts and province hosts get the console; teachers the receive-only view. */
function Meeting({ token, meetingId, isHost }: { token: string; meetingId: string; isHost: boolean }) {
  const client = useMeetingClient(token, meetingId);
  if (!client) return null;
  return isHost ? <HostPage client={client} /> : <TeacherPage client={client} />;
}

export function App() {
  const token = useStore((s) => s.token);
  const meetingId = useStore((s) => s.meetingId);
  const role = useStore((s) => s.account?.role);
  const lang = useStore((s) => s.lang);

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  useEffect(() => {
    const path = !token ? '/' : role === 'host' ? '/host' : role === 'province_host' ? '/province' : '/teacher';
    if (window.location.pathname !== path) window.history.replaceState(null, '', path);
  }, [token, role]);

  return (
    <>
      <StatusBar />
      {token && meetingId ? (
        <Meeting token={token} meetingId={meetingId} isHost={role === 'host' || role === 'province_host'} />
      ) : (
        <SignInPage />
      )}
    </>
  );
}
