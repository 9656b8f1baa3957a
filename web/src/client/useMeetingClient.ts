import { useEffect, useState } from 'react';
import { MeetingClient } from './MeetingClient';
import { storeRefreshedToken, useStore } from '../state/store';
import type { DemoSignInAnswer } from '../../../signaling/protocol/http';
import { sessionToken } from '../auth/oidcSession';

/** A fresh token: from the server's session (the ministry's account), or the demo sign-in again. */
async function refreshToken(): Promise<string | null> {
  if (useStore.getState().signedInWith !== 'oidc') return refreshDemoToken();
  const answer = await sessionToken();
  if (!answer) return null;
  storeRefreshedToken(answer.token);
  return answer.token;
}

/** Demo accounts get a fresh token from the demo sign-in. */
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
  storeRefreshedToken(body.token);
  return body.token;
}

/** One MeetingClient for the signed-in session, closed when the page unmounts or signs out. */
export function useMeetingClient(token: string, meetingId: string): MeetingClient | null {
  const [client, setClient] = useState<MeetingClient | null>(null);
  useEffect(() => {
    const c = new MeetingClient(token, meetingId, { refreshToken });
    setClient(c);
    return () => {
      c.close();
      setClient(null);
    };
  }, [token, meetingId]);
  return client;
}
