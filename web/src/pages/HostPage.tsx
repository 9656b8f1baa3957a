import { useStore, type Source } from '../state/store';
import { useT } from '../i18n/useT';
import { useShallow } from 'zustand/react/shallow';
import type { MeetingClient } from '../client/MeetingClient';
import type { StringKey } from '../i18n/strings';
import { LocalPreview, RemoteAudio, RemoteVideo } from '../components/Media';
import { HandQueuePanel, SpeakersPanel } from '../components/HandQueuePanel';
import { ActiveSpeakers } from '../components/SpeakControls';
import { BreakoutPanel, SessionBanner } from '../components/Breakouts';
import { JoinQueueBar } from '../components/JoinQueueBar';

const SOURCES: { source: Source; label: StringKey }[] = [
  { source: 'camera', label: 'camera' },
  { source: 'mic', label: 'microphone' },
  { source: 'screen', label: 'screen' },
];

/**
 * Host console, for the national host and for province hosts: self preview, start/stop camera,
 * microphone and screen, the session's hand queue and speakers; the national host also runs
 * breakouts and sees attendance.
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
  return (
    <main className="console">
      <SessionBanner />
      <JoinQueueBar />
      {!isSessionHost && <p className="hint">{t('waitForBreakouts')}</p>}
      <section className="previews">
        <figure>
          <LocalPreview client={client} source="camera" />
          <figcaption>{t('selfPreview')}</figcaption>
        </figure>
        {publishing.screen && (
          <figure>
            <LocalPreview client={client} source="screen" />
            <figcaption>{t('screen')}</figcaption>
          </figure>
        )}
      </section>
      <section className="controls">
        {SOURCES.map(({ source, label }) => (
          <button
            key={source}
            data-control={source}
            data-on={publishing[source]}
            className={publishing[source] ? 'on' : ''}
            onClick={() => void (publishing[source] ? client.stop(source) : client.start(source))}
          >
            {t(publishing[source] ? 'stop' : 'start')} {t(label).toLowerCase()}
          </button>
        ))}
        {deviceError && <p className="error">{t('mediaError')}: {deviceError}</p>}
      </section>
      {isNational && <BreakoutPanel client={client} />}
      {isNational && <section className="attendance">
        <div>
          <span className="big" data-testid="viewer-count">{stats?.viewers ?? 0}</span> {t('viewers')}
        </div>
        <div>
          <span className="big">{stats?.hosts ?? 0}</span> {t('hosts')}
        </div>
      </section>}
      <ActiveSpeakers />
      {isSessionHost && <SpeakersPanel client={client} />}
      {isSessionHost && <HandQueuePanel client={client} />}
      {remote.filter((m) => m.kind === 'video').map((m) => (
        <RemoteVideo key={m.consumerId} client={client} media={m} className="thumb" />
      ))}
      {remote.filter((m) => m.kind === 'audio').map((m) => (
        <RemoteAudio key={m.consumerId} client={client} media={m} />
      ))}
    </main>
  );
}
