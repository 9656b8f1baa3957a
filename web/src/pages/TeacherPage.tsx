import { useStore } from '../state/store';
import { useT } from '../i18n/useT';
import { useShallow } from 'zustand/react/shallow';
import type { MeetingClient } from '../client/MeetingClient';
import { RemoteAudio } from '../components/Media';
import { PinnableTile, StageVideo } from '../components/Spotlight';
import { ActiveSpeakers, SpeakControls } from '../components/SpeakControls';
import { SessionBanner } from '../components/Breakouts';
import { JoinQueueBar } from '../components/JoinQueueBar';
import { SelfTile } from '../components/Publishing';
import { Icon } from '../components/Icon';
import { InterpreterPip, InterpreterToggle, ProgramView, Slate, inStageOrder, useStageLive } from '../components/Stage';
import { QaArea } from '../qa/QaArea';
import { LiveHls, RecordingBadge, RecordingsList } from '../components/Recording';
import { CaptionView } from '../captions/CaptionView';
import { CaptionerConsole } from '../captions/CaptionerConsole';

/** While the national host speaks to every breakout, the province's own audio plays this loud. */
const DUCKED_VOLUME = 0.25;

/**
 * Receive-only view: the session's host (screen first) large, a teacher who speaks with camera
 * next to it, the national video small when kept as an overlay. A province without its host
 * shows the national session, said so. Audio plays; the province's own is ducked while the
 * national host speaks to all.
 */
export function TeacherPage({ client }: { client: MeetingClient }) {
  const t = useT();
  const remote = useStore(useShallow((s) => s.remote));
  const activeSpeakers = useStore(useShallow((s) => s.activeSpeakers.map((a) => a.userId)));
  // The interpreter's picture has its own place (InterpreterPip), never a tile of its own.
  const videos = remote.filter((m) => m.kind === 'video' && m.stage !== 'interpreter');
  const stage = useStore((s) => s.stage);
  const stageLive = useStageLive();
  const audios = remote.filter((m) => m.kind === 'audio');
  const publishingCamera = useStore((s) => s.publishing.camera);
  const speaking = useStore((s) => s.speakState.grant !== null);
  const audioOnly = useStore((s) => s.audioOnly);
  const dataSaver = useStore((s) => s.dataSaver);
  const sessionKey = useStore((s) => s.session?.key ?? 'main');
  const queued = useStore((s) => s.joinQueue !== null);
  const speakToAll = useStore((s) => s.breakouts?.speakToAll ?? false);
  const inBreakout = sessionKey !== 'main';
  const onHls = useStore((s) => s.mediaPath === 'hls');
  const hlsChosen = useStore((s) => s.hlsChosen);
  // Named captioner by the meeting's hosts (the crew): the captioner's console.
  const isCaptioner = useStore((s) => s.session?.crewRole === 'captioner');
  const own = videos.filter((v) => v.sessionKey === sessionKey);
  const speakers = own.filter((v) => activeSpeakers.includes(v.peerId));
  const hostVideos = own.filter((v) => !activeSpeakers.includes(v.peerId));
  const national = videos.filter((v) => v.sessionKey !== sessionKey);
  // Nothing of their own session on air (no province host, or not publishing yet): the server
  // sends the national session instead (nationalFallback.ts), and it is the stage.
  const ownAudio = audios.some((a) => a.sessionKey === sessionKey);
  const fallback = inBreakout && own.length === 0 && !ownAudio && national.length > 0;
  const byDefault = hostVideos.find((v) => v.source === 'screen') ?? hostVideos[0] ?? (fallback ? national.find((v) => v.source === 'screen') ?? national[0] : undefined);
  // A pinned video (Spotlight.tsx) is the large one while it is on air.
  const pinnedProducerId = useStore((s) => s.pinnedProducerId);
  const pinned = videos.find((v) => v.producerId === pinnedProducerId);
  // A produced broadcast in main: the stage in the producer's order and layout (or the slate).
  const produced = !inBreakout && stage?.backstage === true;
  const staged = produced ? inStageOrder(hostVideos.filter((v) => v.stage === 'presenter'), stage.stage) : [];
  const main = produced ? undefined : (pinned ?? byDefault);
  const small = produced ? [...hostVideos.filter((v) => v.stage !== 'presenter'), ...national] : [...hostVideos, ...national].filter((v) => v !== main);
  return (
    <main className="stage">
      <SessionBanner />
      <JoinQueueBar />
      <RecordingBadge />
      {fallback && (
        <p className="notice fallback" data-testid="national-fallback" role="status">
          <Icon name="warning" /> {t('noProvinceHost')}
        </p>
      )}
      {onHls ? (
        <LiveHls client={client} />
      ) : (
        <div className="stage-row">
          <div className="main-video">
            {produced ? (
              staged.length > 0 ? (
                <ProgramView
                  layout={stage.layout}
                  items={staged.map((m) => ({ key: m.consumerId, node: <StageVideo client={client} media={m} pinned={false} /> }))}
                />
              ) : stageLive ? (
                <div className="placeholder" data-testid="placeholder">
                  {ownAudio ? t('audioOnlyHost') : t('waitingForHost')}
                </div>
              ) : (
                <Slate />
              )
            ) : main ? (
              <StageVideo key={main.consumerId} client={client} media={main} pinned={main === pinned} />
            ) : (
              <div className="placeholder" data-testid="placeholder">
                {queued ? t('statusQueued') : ownAudio ? t('audioOnlyHost') : inBreakout ? t('provinceHostAbsent') : t('waitingForHost')}
              </div>
            )}
            <InterpreterPip client={client} />
          </div>
          {speakers.filter((m) => m !== main).map((m) => (
            <PinnableTile key={m.consumerId} client={client} media={m} className="speaker" />
          ))}
        </div>
      )}
      <CaptionView client={client} />
      {isCaptioner && <CaptionerConsole client={client} />}
      {small.length > 0 && (
        <div className="thumbs">
          {small.map((m) => (
            <PinnableTile key={m.consumerId} client={client} media={m} className="thumb" />
          ))}
        </div>
      )}
      {audios.map((m) => (
        <RemoteAudio key={m.consumerId} client={client} media={m} volume={inBreakout && speakToAll && m.sessionKey === sessionKey ? DUCKED_VOLUME : 1} />
      ))}
      <ActiveSpeakers />
      <QaArea client={client} />
      {/* Hands and speaking need a seat in the meeting: not while waiting to enter. */}
      {!queued && <SpeakControls client={client} />}
      <div className="toggles">
        <InterpreterToggle client={client} />
        <button data-action="audio-only" data-on={audioOnly} aria-pressed={audioOnly} onClick={() => void client.setAudioOnly(!audioOnly)}>
          <Icon name="speaker" /> {audioOnly ? t('audioOnlyOn') : t('audioOnly')}
        </button>
        {!audioOnly && (
          <button data-action="data-saver" data-on={dataSaver} aria-pressed={dataSaver} onClick={() => void client.setDataSaver(!dataSaver)}>
            <Icon name="saver" /> {dataSaver ? t('dataSaverOn') : t('dataSaver')}
          </button>
        )}
      </div>
      {publishingCamera && <SelfTile client={client} source="camera" />}
      {!speaking && !queued && <p className="hint">{t('receiveOnly')}</p>}
      {!hlsChosen && (
        <button data-action="watch-delayed" className="link" onClick={() => void client.chooseDelayed(true)}>
          {t('watchDelayed')}
        </button>
      )}
      <RecordingsList meetingId={client.meetingId} token={client.token} />
    </main>
  );
}
