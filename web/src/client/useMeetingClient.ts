import { useEffect, useState } from 'react';
import { MeetingClient } from './MeetingClient';

/** One MeetingClient for the signed-in session, closed when the page unmounts or signs out. */
export function useMeetingClient(token: string, meetingId: string): MeetingClient | null {
  const [client, setClient] = useState<MeetingClient | null>(null);
  useEffect(() => {
    const c = new MeetingClient(token, meetingId);
    setClient(c);
    return () => {
      c.close();
      setClient(null);
    };
  }, [token, meetingId]);
  return client;
}
