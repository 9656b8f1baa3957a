import { useEffect, useState } from 'react';
import { useStore } from '../state/store';
import { useT } from '../i18n/useT';
import type { MeetingClient } from '../client/MeetingClient';
import { useProvinces } from './useProvinces';

function useCountdown(): string | null {
  const breakouts = useStore((s) => s.breakouts);
  const [, tick] = useState(0);
  useEffect(() => {
    const id = setInterval(() => tick((x) => x + 1), 1000);
    return () => clearInterval(id);
  }, []);
  if (!breakouts?.active || !breakouts.endsAt) return null;
  const skew = breakouts.serverNow - breakouts.receivedAt;
  const left = Math.max(0, Math.round((breakouts.endsAt - (Date.now() + skew)) / 1000));
  return `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
}

/** Where this participant is (national or province session), the timer, and notices. */
export function SessionBanner() {
  const t = useT();
  const session = useStore((s) => s.session);
  const notices = useStore((s) => s.notices);
  const provinces = useProvinces();
  const countdown = useCountdown();
  const inProvince = session && session.key !== 'main';
  return (
    <div className="session-banner" data-session={session?.key ?? 'main'}>
      <strong>{inProvince ? `${t('provinceSession')}: ${provinces[session.key] ?? session.key}` : t('mainSession')}</strong>
      {countdown && (
        <span className="countdown" data-testid="countdown">
          {t('timeLeft')} {countdown}
        </span>
      )}
      {notices.slice(-3).map((n) => (
        <p key={n.at + n.kind} className="notice" data-notice={n.kind}>
          📣 {n.kind === 'hands_cleared' ? t('handsCleared') : `${n.from}: ${n.text}`}
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
  const countdown = useCountdown();
  const [minutes, setMinutes] = useState('');
  const [overlay, setOverlay] = useState(false);
  const [notice, setNotice] = useState('');
  const [error, setError] = useState<string | null>(null);
  const act = (p: Promise<unknown>): void => {
    setError(null);
    p.catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  };
  const active = breakouts?.active ?? false;
  return (
    <section className="panel breakout-panel" data-breakouts={active ? 'active' : 'idle'}>
      <header>
        <h2>{t('breakouts')}</h2>
        {countdown && <span className="countdown">{t('timeLeft')} {countdown}</span>}
      </header>
      {!active ? (
        <div className="row">
          <input type="number" min={1} max={480} value={minutes} onChange={(e) => setMinutes(e.target.value)} placeholder={t('durationMinutes')} />
          <label>
            <input type="checkbox" checked={overlay} onChange={(e) => setOverlay(e.target.checked)} /> {t('nationalOverlay')}
          </label>
          <button data-action="start-breakouts" className="on" onClick={() => act(client.startBreakouts(minutes ? Number(minutes) * 60 : undefined, overlay))}>
            {t('startBreakouts')}
          </button>
        </div>
      ) : (
        <div className="row">
          <button data-action="speak-to-all" className={breakouts?.speakToAll ? 'on' : ''} onClick={() => act(client.speakToAll(!breakouts?.speakToAll))}>
            🎙 {t(breakouts?.speakToAll ? 'stopSpeakToAll' : 'speakToAll')}
          </button>
          {breakouts?.endsAt && <button onClick={() => act(client.extendBreakouts(300))}>{t('extend5')}</button>}
          <button data-action="recall" onClick={() => act(client.endBreakouts())}>
            {t('recall')}
          </button>
        </div>
      )}
      <form className="row" onSubmit={(e) => (e.preventDefault(), act(client.sendNotice(notice).then(() => setNotice(''))))}>
        <input value={notice} maxLength={500} onChange={(e) => setNotice(e.target.value)} placeholder={t('noticePlaceholder')} />
        <button type="submit" disabled={!notice.trim()}>{t('sendNotice')}</button>
      </form>
      {error && <p className="error">{error}</p>}
      {active && status.length > 0 && (
        <table className="breakout-status">
          <tbody>
            {status.map((s) => (
              <tr key={s.province} data-province={s.province}>
                <td>{provinces[s.province] ?? s.province}</td>
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
