/**
 * "Add to calendar": the meeting's invitation as an .ics file (GET /api/meetings/:id/invite.ics:
 * the time in Việt Nam, the agenda, the join link), saying so if the download fails.
 */
import { useState } from 'react';
import { useT } from '../i18n/useT';
import { errorText } from '../i18n/errors';
import { download } from './api';

export function CalendarButton({ meetingId, token }: { meetingId: string; token: string }) {
  const t = useT();
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <button
        type="button"
        className="secondary"
        data-action="calendar"
        onClick={() => {
          setError(null);
          download(token, `/api/meetings/${meetingId}/invite.ics`, `hoi-nghi-${meetingId}.ics`).catch((e: unknown) => setError(errorText(t, e)));
        }}
      >
        {t('addToCalendar')}
      </button>
      {error && <span className="error" role="alert">{error}</span>}
    </>
  );
}
