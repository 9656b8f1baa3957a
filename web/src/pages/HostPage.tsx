import { useStore, type Source } from '../state/store';
import { useT } from '../i18n/useT';
import { deviceErrorText } from '../i18n/errors';
import { useShallow } from 'zustand/react/shallow';
import type { MeetingClient } from '../client/MeetingClient';
import type { StringKey } from '../i18n/strings';
import { LocalPreview, RemoteAudio, Tile } from '../components/Media';
import { HandQueuePanel, SpeakersPanel } from '../components/HandQueuePanel';
import { ParticipantsPanel, DeclinedNotice } from '../components/ParticipantsPanel';
import { ActiveSpeakers } from '../components/SpeakControls';
import { BreakoutPanel, SessionBanner } from '../components/Breakouts';
import { JoinQueueBar } from '../components/JoinQueueBar';
import { OnAirBadge } from '../components/OnAir';
import { Icon, type IconName } from '../components/Icon';
import { QaArea } from '../qa/QaArea';
import { RecordingBadge, RecordingControl, RecordingsList } from '../components/Recording';

const SOURCES: { source: Source; icon: IconName; start: StringKey; stop: StringKey }[] = [
  { source: 'camera', icon: 'camera', start: 'startCamera', stop: 'stopCamera' },
  { source: 'mic', icon: 'mic', start: 'startMic', stop: 'stopMic' },
  { source: 'screen', icon: 'screen', start: 'startScreen', stop: 'stopScreen' },
];

/**
 * Host console, for the national host and for province hosts: on-air state, self preview next
 * to the remote speakers, start/stop camera, microphone and screen, the session's hand queue,
 * speakers and participants; the national host also runs breakouts and sees attendance.
 */
export function HostPage({ client }: { client: MeetingClient }) {
  const t = useT();
  const isNational = useStore((s) => s.self?.role === 'host');
  const session = useStore((s) => s.session);
  const isSessionHost = session?.isSessionHost ?? isNational;
  const publishing = useStore(useShallow((s) => s.publishing));
  const stats = useStore((s) => s.stats);
  const deviceError = useStore((s) => s.deviceError);
  const remote = useStore(useShallow((s) => s.remote));
  const videos = remote.filter((m) => m.kind === 'video');
  const provinceViewers = useStore((s) => s.provinceViewers);
  const viewers = (isNational ? stats?.viewers : provinceViewers) ?? 0;
  const hosts = stats?.hosts ?? 0;
  return (
    <main className="console">
      <SessionBanner />
      <JoinQueueBar />
      <RecordingBadge />
      {isSessionHost ? <OnAirBadge client={client} /> : <p className="hint">{t('waitForBreakouts')}</p>}
      <section className="stage-row" aria-label={t('selfPreview')}>
        <figure className="tile self">
          <LocalPreview client={client} source="camera" />
          <figcaption className="caption">
            <Icon name="camera" size={16} /> <span>{t('selfPreview')}</span>
          </figcaption>
        </figure>
        {publishing.screen && (
          <figure className="tile self">
            <LocalPreview client={client} source="screen" />
            <figcaption className="caption">
              <Icon name="screen" size={16} /> <span>{t('sourceScreen')}</span>
            </figcaption>
          </figure>
        )}
        {videos.map((m) => (
          <Tile key={m.consumerId} client={client} media={m} className={m.sessionKey === 'main' && session?.key !== 'main' ? 'national' : ''} />
        ))}
      </section>
      <section className="controls">
        {SOURCES.map(({ source, icon, start, stop }) => (
          <button
            key={source}
            data-control={source}
            data-on={publishing[source]}
            aria-pressed={publishing[source]}
            className={publishing[source] ? 'on' : ''}
            onClick={() => void (publishing[source] ? client.stop(source) : client.start(source))}
          >
            <Icon name={icon} /> {t(publishing[source] ? stop : start)}
          </button>
        ))}
        {isSessionHost && <RecordingControl client={client} />}
        {deviceError && <p className="error" role="alert" data-device-error={deviceError}>{deviceErrorText(t, deviceError)}</p>}
      </section>
      {isNational && <BreakoutPanel client={client} />}
      {(isSessionHost || !isNational) && (
        <section className="attendance" aria-label={t('viewers')}>
          <div>
            <span className="big" data-testid="viewer-count">{viewers}</span>{' '}
            {isNational ? t(viewers === 1 ? 'viewerOne' : 'viewerMany') : t('provinceViewers')}
          </div>
          {isNational && (
            <div>
              <span className="big">{hosts}</span> {t(hosts === 1 ? 'hostOne' : 'hostMany')}
            </div>
          )}
        </section>
      )}
      <ActiveSpeakers />
      <DeclinedNotice />
      <QaArea client={client} />
      {isSessionHost && <SpeakersPanel client={client} />}
      {isSessionHost && <HandQueuePanel client={client} />}
      <ParticipantsPanel client={client} canInvite={isSessionHost} />
      {remote.filter((m) => m.kind === 'audio').map((m) => (
        <RemoteAudio key={m.consumerId} client={client} media={m} />
      ))}
      <RecordingsList meetingId={client.meetingId} token={client.token} />
    </main>
  );
}
