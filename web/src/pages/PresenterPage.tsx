import { useShallow } from 'zustand/react/shallow';
import type { MeetingClient } from '../client/MeetingClient';
import { deviceErrorText } from '../i18n/errors';
import type { StringKey } from '../i18n/strings';
import { useT } from '../i18n/useT';
import { useStore, type Source } from '../state/store';
import { Icon, type IconName } from '../components/Icon';
import { LocalPreview, MicMeter, RemoteAudio, Tile } from '../components/Media';
import { ParticipantsPanel } from '../components/ParticipantsPanel';
import { ProducerPanel } from '../components/ProducerPanel';
import { CREW_LABEL, StageStatus, useStageNote } from '../components/Stage';
import { JoinQueueBar } from '../components/JoinQueueBar';
import { RecordingBadge } from '../components/Recording';
import { QaArea } from '../qa/QaArea';

const SOURCES: { source: Source; icon: IconName; start: StringKey; stop: StringKey }[] = [
  { source: 'camera', icon: 'camera', start: 'startCamera', stop: 'stopCamera' },
  { source: 'mic', icon: 'mic', start: 'startMic', stop: 'stopMic' },
  { source: 'screen', icon: 'screen', start: 'startScreen', stop: 'stopScreen' },
];

/**
 * The crew's page (a presenter, an interpreter or a producer named for this meeting; a national
 * host has the host console): their own state (on air or backstage) in large type, their camera
 * preview and microphone level to check before going on, the backstage and the stage (everyone
 * presenting, on air or not), their sources, and for a producer the stage controls and the
 * participant list to give roles from. An interpreter sends a picture only.
 */
export function PresenterPage({ client }: { client: MeetingClient }) {
  const t = useT();
  const stageNote = useStageNote();
  const role = useStore((s) => s.session?.crewRole ?? null);
  const canSend = useStore((s) => s.session?.canSend ?? false);
  const publishing = useStore(useShallow((s) => s.publishing));
  const deviceError = useStore((s) => s.deviceError);
  const remote = useStore(useShallow((s) => s.remote));
  const sources = role === 'interpreter' ? SOURCES.filter((s) => s.source === 'camera') : SOURCES;
  return (
    <main className="console presenter-console" data-crew-role={role ?? ''}>
      <div className="console-main">
        <div className="console-status">
          <JoinQueueBar />
          <RecordingBadge />
          <StageStatus />
          {role && (
            <p className="crew-role" data-testid="crew-role">
              <strong>{t('presenterTitle', { role: t(CREW_LABEL[role]).toLowerCase() })}</strong>
              <span className="hint">{t('presenterHint')}</span>
            </p>
          )}
        </div>
        <section className="stage-row" aria-label={t('backstageSources')}>
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
          {remote.filter((m) => m.kind === 'video').map((m) => (
            <Tile note={stageNote(m)} key={m.consumerId} client={client} media={m} />
          ))}
        </section>
        {canSend && (
          <section className="controls">
            {sources.map(({ source, icon, start, stop }) => (
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
            {publishing.mic && <MicMeter client={client} />}
            {deviceError && <p className="error" role="alert" data-device-error={deviceError}>{deviceErrorText(t, deviceError)}</p>}
          </section>
        )}
        {role === 'producer' && <ProducerPanel client={client} />}
      </div>
      <aside className="console-side" aria-label={t('consoleSide')}>
        <QaArea client={client} />
        {role === 'producer' && <ParticipantsPanel client={client} canInvite={false} />}
      </aside>
      {remote.filter((m) => m.kind === 'audio').map((m) => (
        <RemoteAudio key={m.consumerId} client={client} media={m} />
      ))}
    </main>
  );
}
