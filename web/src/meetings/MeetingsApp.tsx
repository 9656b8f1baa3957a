/**
 * The scheduled-meetings client (when the server has a database): "My meetings" at /meetings,
 * a meeting's join link /m/<id> (lobby → meeting → ended summary), and /m/<id>/attendance.
 */
import { useEffect, type ReactNode } from 'react';
import { useStore } from '../state/store';
import { usePath } from './usePath';
import { MyMeetingsPage } from './MyMeetingsPage';
import { MeetingGate } from './MeetingGate';
import { DashboardPage } from './DashboardPage';

export function MeetingsApp({ token, renderMeeting }: { token: string; renderMeeting: (meetingId: string) => ReactNode }) {
  const path = usePath();
  const setStatus = useStore((s) => s.setStatus);
  // Outside a meeting there is no connection to report (the meeting's client sets it again).
  const inMeeting = /^\/m\/[a-z0-9-]{1,64}$/.test(path);
  useEffect(() => {
    if (!inMeeting) setStatus('idle');
  }, [inMeeting, setStatus]);
  const dash = /^\/m\/([a-z0-9-]{1,64})\/attendance$/.exec(path);
  if (dash) return <DashboardPage token={token} meetingId={dash[1]!} />;
  const m = /^\/m\/([a-z0-9-]{1,64})$/.exec(path);
  if (m) return <MeetingGate key={m[1]} token={token} meetingId={m[1]!} renderMeeting={renderMeeting} />;
  return <MyMeetingsPage token={token} />;
}
