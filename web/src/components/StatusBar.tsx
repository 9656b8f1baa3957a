import { useStore, type ConnectionStatus } from '../state/store';
import { useT } from '../i18n/useT';
import type { StringKey } from '../i18n/strings';
import type { MeetingClient } from '../client/MeetingClient';
import { useNow } from './useNow';

const STATUS_TEXT: Record<ConnectionStatus, StringKey> = {
  idle: 'statusConnecting',
  connecting: 'statusConnecting',
  queued: 'statusQueued',
  connected: 'statusConnected',
  reconnecting: 'statusReconnecting',
  moving: 'statusMoving',
  full: 'statusFull',
  replaced: 'statusReplaced',
  flooded: 'statusFlooded',
  failed: 'statusFailed',
  unauthorized: 'statusUnauthorized',
  forbidden: 'statusForbidden',
  ended: 'statusEnded',
};

const ROLE_TEXT: Record<string, StringKey> = { host: 'roleHost', province_host: 'roleProvinceHost', teacher: 'roleTeacher' };

/** The connection state in words, with its reason, the countdown to the next attempt, and what one can do. */
export function ConnectionStatusText({ client }: { client: MeetingClient | null }) {
  const t = useT();
  const status = useStore((s) => s.status);
  const retryAt = useStore((s) => s.retryAt);
  const mediaState = useStore((s) => s.mediaState);
  const now = useNow(500);
  const healthy = status === 'connected' && (mediaState === 'connected' || mediaState === 'new' || mediaState === 'connecting');
  const left = retryAt ? Math.max(0, Math.ceil((retryAt - now) / 1000)) : null;
  // Outside a meeting (My meetings, the lobby, the dashboard) there is no socket to speak of.
  if (status === 'idle') return null;
  return (
    <span
      className={`status ${status === 'ended' ? 'done' : healthy ? 'ok' : 'warn'}`}
      data-status={status}
      data-media-state={mediaState}
      role="status"
      title={status === 'moving' ? t('statusMovingDetail') : undefined}
      aria-description={status === 'moving' ? t('statusMovingDetail') : undefined}
    >
      <span className="status-text">
        {t(STATUS_TEXT[status])}
        {left !== null && (
          <span data-testid="retry-in">
            {' — '}
            {left > 0 ? t('retryIn', { n: left }) : t('retrying')}
          </span>
        )}
      </span>
      {client && (status === 'replaced' || status === 'reconnecting' || status === 'flooded' || status === 'full') && (
        <button className="status-action" data-action="reconnect" onClick={() => client.reconnectNow()}>
          {t(status === 'replaced' ? 'useHere' : 'reconnectNow')}
        </button>
      )}
    </span>
  );
}

export function StatusBar({ client }: { client: MeetingClient | null }) {
  const t = useT();
  const account = useStore((s) => s.account);
  const lang = useStore((s) => s.lang);
  const setLang = useStore((s) => s.setLang);
  const signOut = useStore((s) => s.signOut);
  return (
    <header className="topbar">
      <strong className="brand" title={t('appTitle')}>{t('appTitle')}</strong>
      {account && <ConnectionStatusText client={client} />}
      {account && (
        <span className="who">
          {account.name} · {t(ROLE_TEXT[account.role] ?? 'roleTeacher')}
        </span>
      )}
      <span className="topbar-actions">
        <button className="link" lang={lang === 'vi' ? 'en' : 'vi'} onClick={() => setLang(lang === 'vi' ? 'en' : 'vi')}>
          {t('language')}
        </button>
        {account && (
          <button className="link" onClick={signOut}>
            {t('signOut')}
          </button>
        )}
      </span>
    </header>
  );
}
