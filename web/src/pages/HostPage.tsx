import { useStore } from '../state/store';
import { useT } from '../i18n/useT';
import { deviceErrorText } from '../i18n/errors';
import { useShallow } from 'zustand/react/shallow';
import type { MeetingClient } from '../client/MeetingClient';
import { RemoteAudio, Tile } from '../components/Media';
import { HandQueuePanel, SpeakersPanel } from '../components/HandQueuePanel';
import { ParticipantsPanel, DeclinedNotice } from '../components/ParticipantsPanel';
import { ActiveSpeakers } from '../components/SpeakControls';
import { BreakoutPanel, SessionBanner } from '../components/Breakouts';
import { JoinQueueBar } from '../components/JoinQueueBar';
import { OnAirBadge } from '../components/OnAir';
import { ProducerPanel } from '../components/ProducerPanel';
import { StageStatus, useStageNote } from '../components/Stage';
import { SelfTile, SourceButtons } from '../components/Publishing';
import { Icon } from '../components/Icon';
import { QaArea } from '../qa/QaArea';
import { ReactionStripView } from '../qa/Reactions';
import { RecordingBadge, RecordingControl, RecordingsList } from '../components/Recording';
import { StudioEncoderPanel } from '../components/StudioEncoderPanel';
import { CaptionerConsole } from '../captions/CaptionerConsole';


/**
 * Host console, for the national host and for province hosts. On a desktop two columns: what
 * is live and what needs the host now on the left (on-air state, viewers and raised hands,
 * self preview next to the remote speakers, camera/microphone/screen, speakers, breakouts,
 * reactions); the hand queue, questions and polls, participants and recordings in a side
 * column that scrolls on its own. On a phone one column, in the same order.
 */
export function HostPage({ client }: { client: MeetingClient }) {
  const t = useT();
  const stageNote = useStageNote();
  const isNational = useStore((s) => s.self?.role === 'host');
  const session = useStore((s) => s.session);
  const isSessionHost = session?.isSessionHost ?? isNational;
  const publishing = useStore(useShallow((s) => s.publishing));
  const stats = useStore((s) => s.stats);
  const deviceError = useStore((s) => s.deviceError);
  const remote = useStore(useShallow((s) => s.remote));
  const videos = remote.filter((m) => m.kind === 'video');
  const provinceViewers = useStore((s) => s.provinceViewers);
  const captionerNamed = useStore((s) => Object.values(s.production?.crew ?? {}).some((m) => m.role === 'captioner'));
  const viewers = (isNational ? stats?.viewers : provinceViewers) ?? 0;
  const hosts = stats?.hosts ?? 0;
  return (
    <main className="console host-console">
      {/* What is live, and what needs the host now: on the left, visible without scrolling on a 1280×800 screen. */}
      <div className="console-main">
        <div className="console-status">
          <SessionBanner />
          <StageStatus />
          <JoinQueueBar />
          <RecordingBadge />
          {isSessionHost ? <OnAirBadge client={client} /> : <p className="hint">{t('waitForBreakouts')}</p>}
          {(isSessionHost || !isNational) && (
            <section className="attendance" aria-label={t('viewers')}>
              <span>
                <span className="big" data-testid="viewer-count">{viewers}</span>{' '}
                {isNational ? t(viewers === 1 ? 'viewerOne' : 'viewerMany') : t('provinceViewers')}
              </span>
              {isNational && (
                <span>
                  <span className="big">{hosts}</span> {t(hosts === 1 ? 'hostOne' : 'hostMany')}
                </span>
              )}
              {isSessionHost && <HandsChip />}
            </section>
          )}
          <ActiveSpeakers />
        </div>
        <section className="stage-row" aria-label={t('selfPreview')}>
          <SelfTile client={client} source="camera" />
          {publishing.screen && <SelfTile client={client} source="screen" />}
          {videos.map((m) => (
            <Tile note={stageNote(m)} key={m.consumerId} client={client} media={m} className={m.sessionKey === 'main' && session?.key !== 'main' ? 'national' : ''} />
          ))}
        </section>
        <section className="controls">
          <SourceButtons client={client} />
          {isSessionHost && <RecordingControl client={client} />}
          {deviceError && <p className="error" role="alert" data-device-error={deviceError}>{deviceErrorText(t, deviceError)}</p>}
        </section>
        <DeclinedNotice />
        {isSessionHost && <SpeakersPanel client={client} />}
        {isNational && <BreakoutPanel client={client} />}
        <ReactionStripView />
      </div>
      {/* The rest in a column of its own, scrolled on its own: the queue first. */}
      <aside className="console-side" aria-label={t('consoleSide')}>
        {isSessionHost && <HandQueuePanel client={client} />}
        {isNational && session?.key === 'main' && <ProducerPanel client={client} />}
        {/* Live captions: national hosts may write them (captions/captionRights.ts) until a captioner is named, who has the console on their own page. */}
        {isNational && !captionerNamed && <CaptionerConsole client={client} />}
        <QaArea client={client} />
        <ParticipantsPanel client={client} canInvite={isSessionHost} />
        <RecordingsList meetingId={client.meetingId} token={client.token} />
        {isNational && <StudioEncoderPanel meetingId={client.meetingId} token={client.token} />}
      </aside>
      {remote.filter((m) => m.kind === 'audio').map((m) => (
        <RemoteAudio key={m.consumerId} client={client} media={m} />
      ))}
    </main>
  );
}

/**
 * The number of raised hands beside the viewers, always in sight; it leads to the queue (on a
 * phone the queue is further down the page).
 */
function HandsChip() {
  const t = useT();
  const total = useStore((s) => s.handSummary?.total ?? 0);
  return (
    <a
      className={total > 0 ? 'hands-chip raised' : 'hands-chip'}
      href="#hand-queue"
      data-testid="hands-chip"
      onClick={(e) => {
        e.preventDefault();
        const queue = document.getElementById('hand-queue');
        queue?.scrollIntoView({ block: 'start', behavior: 'smooth' });
        queue?.focus({ preventScroll: true });
      }}
    >
      <Icon name="hand" size={18} /> <span className="big">{total}</span> {t('handsTotal')}
    </a>
  );
}
