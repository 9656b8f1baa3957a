import { useStore } from '../state/store';
import { useT } from '../i18n/useT';
import type { MeetingClient } from '../client/MeetingClient';
import { Icon } from './Icon';
import { MicMeter } from './Media';
import { useNow } from './useNow';

function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/**
 * "On air": shown only while this host's media actually leaves for the server (bytes sent keep
 * rising), with the time since and the number of viewers; and the microphone's level.
 */
export function OnAirBadge({ client }: { client: MeetingClient }) {
  const t = useT();
  const since = useStore((s) => s.onAirSince);
  // A province host's viewers are their province's teachers; the national host's, everyone.
  const viewers = useStore((s) => (s.self?.role === 'province_host' ? s.provinceViewers : s.stats?.viewers) ?? 0);
  const mic = useStore((s) => s.publishing.mic);
  const now = useNow();
  return (
    <div className="on-air-row">
      {since !== null ? (
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
