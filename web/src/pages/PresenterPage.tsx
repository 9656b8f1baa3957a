import { useShallow } from 'zustand/react/shallow';
import type { MeetingClient } from '../client/MeetingClient';
import { deviceErrorText } from '../i18n/errors';
import { useT } from '../i18n/useT';
import { useStore } from '../state/store';
import { SelfTile, SourceButtons } from '../components/Publishing';
import { MicMeter, RemoteAudio, Tile } from '../components/Media';
import { ParticipantsPanel } from '../components/ParticipantsPanel';
import { ProducerPanel } from '../components/ProducerPanel';
import { CREW_LABEL, StageStatus, useStageNote } from '../components/Stage';
import { JoinQueueBar } from '../components/JoinQueueBar';
import { RecordingBadge } from '../components/Recording';
import { QaArea } from '../qa/QaArea';


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
          <SelfTile client={client} source="camera" />
          {publishing.screen && <SelfTile client={client} source="screen" />}
          {remote.filter((m) => m.kind === 'video').map((m) => (
            <Tile note={stageNote(m)} key={m.consumerId} client={client} media={m} />
          ))}
        </section>
        {canSend && (
          <section className="controls">
            <SourceButtons client={client} sources={role === 'interpreter' ? ['camera'] : undefined} />
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
