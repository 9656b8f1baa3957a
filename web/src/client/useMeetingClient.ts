import { useEffect, useState } from 'react';
import { MeetingClient } from './MeetingClient';
import { useStore } from '../state/store';
import type { DemoSignInAnswer } from '../../../signaling/protocol/http';

/** Demo accounts get a fresh token from the demo sign-in; real deployments plug in their IdP here. */
async function refreshDemoToken(): Promise<string | null> {
  const { account, meetingId } = useStore.getState();
  if (!account || !meetingId) return null;
  const res = await fetch('/api/demo/signin', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ accountId: account.id }),
  });
  if (!res.ok) return null;
  const body = (await res.json()) as DemoSignInAnswer;
  // Keep the stored session in step, without re-creating the client.
  sessionStorage.setItem('hoinghi.session', JSON.stringify({ token: body.token, meetingId, account }));
  return body.token;
}

/** One MeetingClient for the signed-in session, closed when the page unmounts or signs out. */
export function useMeetingClient(token: string, meetingId: string): MeetingClient | null {
  const [client, setClient] = useState<MeetingClient | null>(null);
  useEffect(() => {
    const c = new MeetingClient(token, meetingId, { refreshToken: refreshDemoToken });
    setClient(c);
    return () => {
      c.close();
      setClient(null);
    };
  }, [token, meetingId]);
  return client;
}
