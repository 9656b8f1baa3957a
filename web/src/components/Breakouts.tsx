import { useId, useState } from 'react';
import { noticeKey, useStore } from '../state/store';
import { useT } from '../i18n/useT';
import { errorText } from '../i18n/errors';
import type { MeetingClient } from '../client/MeetingClient';
import { useProvinces } from './useProvinces';
import { ConfirmDialog } from './ConfirmDialog';
import { Icon } from './Icon';
import { useNow } from './useNow';

/** A breakout warns this long before it ends. */
const ENDING_WARNING_MS = 60_000;

/** Seconds left in timed breakouts (server clock), or null. */
function useSecondsLeft(): number | null {
  const breakouts = useStore((s) => s.breakouts);
  const now = useNow();
  if (!breakouts?.active || !breakouts.endsAt) return null;
  const skew = breakouts.serverNow - breakouts.receivedAt;
  return Math.max(0, Math.round((breakouts.endsAt - (now + skew)) / 1000));
}

const clock = (left: number): string => `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;

/**
 * Where this participant is (national or province session), the timer, the warning a minute
 * before a breakout ends, the national host speaking to all, and notices (each can be closed).
 */
export function SessionBanner() {
  const t = useT();
  const session = useStore((s) => s.session);
  const notices = useStore((s) => s.notices);
  const dismissed = useStore((s) => s.dismissed);
  const dismiss = useStore((s) => s.dismissNotice);
  const breakouts = useStore((s) => s.breakouts);
  const provinces = useProvinces();
  const left = useSecondsLeft();
  const inProvince = session && session.key !== 'main';
  const endingKey = `ending:${breakouts?.endsAt ?? 0}`;
  const ending = inProvince && left !== null && left * 1000 <= ENDING_WARNING_MS && !dismissed.includes(endingKey);
  const shown = notices.slice(-3).filter((n) => !dismissed.includes(noticeKey(n)));
  return (
    <div className="session-banner" data-session={session?.key ?? 'main'}>
      <strong>{inProvince ? `${t('provinceSession')}: ${provinces.names.get(session.key) ?? session.key}` : t('mainSession')}</strong>
      {left !== null && (
        <span className="countdown" data-testid="countdown">
          {t('timeLeft')} {clock(left)}
        </span>
      )}
      {inProvince && breakouts?.speakToAll && (
        <p className="speak-to-all-cue" data-testid="speak-to-all-cue" role="status">
          <Icon name="megaphone" /> {t('speakToAllCue')}
        </p>
      )}
      {ending && (
        <p className="notice warning" data-notice="ending" role="alert">
          <Icon name="warning" /> <span>{t('endingSoon')}</span>
          <button className="icon-button" aria-label={t('dismiss')} onClick={() => dismiss(endingKey)}>
            <Icon name="close" />
          </button>
        </p>
      )}
      {shown.map((n) => (
        <p key={noticeKey(n)} className="notice" data-notice={n.kind} role="status">
          <Icon name="megaphone" /> <span>{n.kind === 'hands_cleared' ? t('handsCleared') : `${n.from}: ${n.text}`}</span>
          <button className="icon-button" data-action="dismiss-notice" aria-label={t('dismiss')} onClick={() => dismiss(noticeKey(n))}>
            <Icon name="close" />
          </button>
        </p>
      ))}
    </div>
  );
}

/** National host: start, extend and end breakouts, speak to all, notices, and monitoring. */
export function BreakoutPanel({ client }: { client: MeetingClient }) {
  const t = useT();
  const breakouts = useStore((s) => s.breakouts);
  const status = useStore((s) => s.breakoutStatus);
  const provinces = useProvinces();
  const left = useSecondsLeft();
  const [minutes, setMinutes] = useState('');
  const [overlay, setOverlay] = useState(false);
  const [notice, setNotice] = useState('');
  const [error, setError] = useState<string | null>(null);
  /** "Call everyone back" was pressed: the confirmation is shown. */
  const [confirmRecall, setConfirmRecall] = useState(false);
  const ids = useId();
  const act = (p: Promise<unknown>): void => {
    setError(null);
    p.catch((e: unknown) => setError(errorText(t, e)));
  };
  const active = breakouts?.active ?? false;
  return (
    <section className="panel breakout-panel" data-breakouts={active ? 'active' : 'idle'} aria-labelledby={`${ids}-h`}>
      <header>
        <h2 id={`${ids}-h`}>{t('breakouts')}</h2>
        {left !== null && <span className="countdown">{t('timeLeft')} {clock(left)}</span>}
        {/* The option of the next start, beside the title: the start itself stays on the first row. */}
        {!active && (
          <label className="check">
            <input type="checkbox" checked={overlay} onChange={(e) => setOverlay(e.target.checked)} /> {t('nationalOverlay')}
          </label>
        )}
      </header>
      {!active ? (
        <div className="row">
          <span className="field">
            <label htmlFor={`${ids}-min`}>{t('durationLabel')}</label>
            <input id={`${ids}-min`} type="number" min={1} max={480} value={minutes} onChange={(e) => setMinutes(e.target.value)} aria-describedby={`${ids}-min-hint`} />
            <small id={`${ids}-min-hint`} className="hint" data-testid="duration-hint">{t('durationHint')}</small>
          </span>
          <button data-action="start-breakouts" className="on" onClick={() => act(client.startBreakouts(minutes ? Number(minutes) * 60 : undefined, overlay))}>
            {t('startBreakouts')}
          </button>
        </div>
      ) : (
        <div className="row">
          <button data-action="speak-to-all" aria-pressed={breakouts?.speakToAll ?? false} className={breakouts?.speakToAll ? 'on' : ''} onClick={() => act(client.speakToAll(!breakouts?.speakToAll))}>
            <Icon name="megaphone" /> {t(breakouts?.speakToAll ? 'stopSpeakToAll' : 'speakToAll')}
          </button>
          {breakouts?.endsAt && <button onClick={() => act(client.extendBreakouts(300))}>{t('extend5')}</button>}
          <button data-action="recall" onClick={() => setConfirmRecall(true)}>
            {t('recall')}
          </button>
        </div>
      )}
      {confirmRecall && active && (
        <ConfirmDialog
          id="recall"
          title={t('recallAsk')}
          text={t('recallConsequence')}
          confirm={t('recall')}
          onCancel={() => setConfirmRecall(false)}
          onConfirm={() => {
            setConfirmRecall(false);
            act(client.endBreakouts());
          }}
        />
      )}
      <form className="row" onSubmit={(e) => (e.preventDefault(), act(client.sendNotice(notice).then(() => setNotice(''))))}>
        <label htmlFor={`${ids}-notice`}>{t('noticeLabel')}</label>
        <input id={`${ids}-notice`} value={notice} maxLength={500} onChange={(e) => setNotice(e.target.value)} placeholder={t('noticePlaceholder')} />
        <button type="submit" disabled={!notice.trim()}>{t('sendNotice')}</button>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
      {active && status.length > 0 && (
        <table className="breakout-status">
          <tbody>
            {status.map((s) => (
              <tr key={s.province} data-province={s.province}>
                <td>{provinces.names.get(s.province) ?? s.province}</td>
                <td className={s.hostPresent ? 'ok' : 'warn'}>{t(s.hostPresent ? 'hostPresent' : 'hostAbsent')}</td>
                <td>{s.teachers} {t('teachers')}</td>
                <td>{s.hands} {t('hands')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
