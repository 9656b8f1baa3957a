import { useStore } from '../state/store';
import { useT } from '../i18n/useT';
import type { MeetingClient } from '../client/MeetingClient';
import { Icon } from './Icon';
import { MicMeter } from './Media';
import { useNow } from './useNow';
import { useOwnStage } from './Stage';

function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** The send transport's states in which nothing reaches the server. */
const SEND_DOWN = new Set(['disconnected', 'failed', 'closed']);

/**
 * "On air": shown only while this host's media actually leaves for the server (bytes sent keep
 * rising) over a connection that is up, with the time since and the number of viewers; and the
 * microphone's level. Bytes alone are not the truth: with the signaling connection down the
 * server has dropped this host's media (teachers wait for the picture) while the browser may go
 * on sending. Publishing then, the badge says the connection is lost.
 */
export function OnAirBadge({ client }: { client: MeetingClient }) {
  const t = useT();
  const since = useStore((s) => s.onAirSince);
  // A province host's viewers are their province's teachers; the national host's, everyone.
  const viewers = useStore((s) => (s.self?.role === 'province_host' ? s.provinceViewers : s.stats?.viewers) ?? 0);
  const mic = useStore((s) => s.publishing.mic);
  const publishing = useStore((s) => s.publishing.camera || s.publishing.mic || s.publishing.screen);
  // A move between sessions is its own short state, not a lost connection.
  const down = useStore((s) => (s.status !== 'connected' && s.status !== 'moving') || SEND_DOWN.has(s.sendState));
  const now = useNow();
  // A produced broadcast: sending is not being on air; StageStatus says which it is.
  const own = useOwnStage();
  return (
    <div className="on-air-row">
      {publishing && down ? (
        <span className="on-air-down" data-testid="on-air-down" role="alert">
          <Icon name="warning" size={18} />
          <strong>{t('onAirDown')}</strong>
        </span>
      ) : own === 'backstage' ? (
        <span className="off-air" data-testid="off-air" data-backstage="true" role="status">
          {t('stageBackstage')}
        </span>
      ) : since !== null ? (
        <span className="on-air" data-testid="on-air" role="status">
          <Icon name="live" size={18} />
          <strong>{t('onAir')}</strong>
          <span className="on-air-time" data-testid="on-air-time">{elapsed(now - since)}</span>
          <span>
            · <span data-testid="on-air-viewers">{viewers}</span> {t(viewers === 1 ? 'viewerOne' : 'viewerMany')}
          </span>
        </span>
      ) : (
        <span className="off-air" data-testid="off-air" role="status">
          {t('notOnAir')}
        </span>
      )}
      {mic && <MicMeter client={client} />}
    </div>
  );
}
