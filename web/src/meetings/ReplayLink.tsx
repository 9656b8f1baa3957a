/**
 * "Xem lại" on an ended meeting in "My meetings", when it has a recording to replay: leads to the
 * meeting's page, where the recordings play. The meeting's recordings are asked for once per
 * meeting while the page is open (an ended meeting's recordings no longer change, except while
 * the last is being finished: asked again then); none, or no access, shows nothing.
 */
import { useEffect, useState } from 'react';
import type { RecordingsAnswer } from '../../../signaling/protocol/http';
import { useT } from '../i18n/useT';
import { go } from './api';

/** Replays per meeting already counted (null: one is still being finished). */
const counted = new Map<string, number | null>();

async function countReplays(meetingId: string, token: string): Promise<number | null> {
  const res = await fetch(`/api/meetings/${encodeURIComponent(meetingId)}/recordings`, { headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) return 0;
  const { recordings } = (await res.json()) as RecordingsAnswer;
  if (recordings.some((r) => r.endedAt === null)) return null;
  return recordings.filter((r) => r.durationS > 0).length;
}

export function ReplayLink({ meetingId, token }: { meetingId: string; token: string }) {
  const t = useT();
  const [count, setCount] = useState<number | null>(counted.get(meetingId) ?? null);
  useEffect(() => {
    if (typeof counted.get(meetingId) === 'number') return;
    let cancelled = false;
    let again: ReturnType<typeof setTimeout> | null = null;
    const ask = (): void => {
      countReplays(meetingId, token).then(
        (n) => {
          if (cancelled) return;
          counted.set(meetingId, n);
          if (n === null) again = setTimeout(ask, 5_000);
          else setCount(n);
        },
        () => undefined,
      );
    };
    ask();
    return () => {
      cancelled = true;
      if (again) clearTimeout(again);
    };
  }, [meetingId, token]);
  if (!count) return null;
  const href = `/m/${meetingId}#recordings`;
  return (
    <a
      className="button"
      href={href}
      data-action="replay-meeting"
      onClick={(e) => {
        e.preventDefault();
        go(href);
      }}
    >
      ▶ {t('replay')}
      {count > 1 ? ` (${count})` : ''}
    </a>
  );
}
