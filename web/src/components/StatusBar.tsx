import { useStore } from '../state/store';
import { useT } from '../i18n/useT';
import type { StringKey } from '../i18n/strings';

const STATUS_TEXT: Record<string, StringKey> = {
  idle: 'statusConnecting',
  connecting: 'statusConnecting',
  queued: 'statusQueued',
  connected: 'statusConnected',
  reconnecting: 'statusReconnecting',
  moving: 'statusMoving',
  failed: 'statusFailed',
  unauthorized: 'statusUnauthorized',
};

const ROLE_TEXT: Record<string, StringKey> = { host: 'roleHost', province_host: 'roleProvinceHost', teacher: 'roleTeacher' };

export function StatusBar() {
  const t = useT();
  const status = useStore((s) => s.status);
  const mediaState = useStore((s) => s.mediaState);
  const account = useStore((s) => s.account);
  const lang = useStore((s) => s.lang);
  const setLang = useStore((s) => s.setLang);
  const signOut = useStore((s) => s.signOut);
  const healthy = status === 'connected' && (mediaState === 'connected' || mediaState === 'new' || mediaState === 'connecting');
  return (
    <header className="topbar">
      <strong className="brand">{t('appTitle')}</strong>
      {account && status !== 'idle' && (
        <span
          className={`status ${healthy ? 'ok' : 'warn'}`}
          data-status={status}
          data-media-state={mediaState}
          role="status"
          title={status === 'moving' ? t('statusMovingDetail') : undefined}
          aria-description={status === 'moving' ? t('statusMovingDetail') : undefined}
        >
          {t(STATUS_TEXT[status] ?? 'statusConnecting')}
        </span>
      )}
      <span className="spacer" />
      {account && (
        <span className="who">
          {account.name} · {t(ROLE_TEXT[account.role] ?? 'roleTeacher')}
        </span>
      )}
      <button className="link" onClick={() => setLang(lang === 'vi' ? 'en' : 'vi')}>
        {t('language')}
      </button>
      {account && (
        <button className="link" onClick={signOut}>
          {t('signOut')}
        </button>
      )}
    </header>
  );
}
