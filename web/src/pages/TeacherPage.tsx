import { useStore } from '../state/store';
import { useT } from '../i18n/useT';
import { useShallow } from 'zustand/react/shallow';
import type { MeetingClient } from '../client/MeetingClient';
import { LocalPreview, RemoteAudio, RemoteVideo } from '../components/Media';
import { ActiveSpeakers, SpeakControls } from '../components/SpeakControls';
import { SessionBanner } from '../components/Breakouts';
import { JoinQueueBar } from '../components/JoinQueueBar';

/** Receive-only view: the host's screen or camera large, camera small when both; audio plays. */
export function TeacherPage({ client }: { client: MeetingClient }) {
  const t = useT();
  const remote = useStore(useShallow((s) => s.remote));
  const videos = remote.filter((m) => m.kind === 'video');
  const audios = remote.filter((m) => m.kind === 'audio');
  const publishingCamera = useStore((s) => s.publishing.camera);
  const audioOnly = useStore((s) => s.audioOnly);
  const dataSaver = useStore((s) => s.dataSaver);
  const sessionKey = useStore((s) => s.session?.key ?? 'main');
  const queued = useStore((s) => s.joinQueue !== null);
  // The session's own broadcast is large (its screen first); the national video, kept as an
  // overlay during breakouts, goes small.
  const own = videos.filter((v) => v.sessionKey === sessionKey);
  const main = own.find((v) => v.source === 'screen') ?? own[0] ?? videos[0];
  const others = videos.filter((v) => v !== main);
  return (
    <main className="stage">
      <SessionBanner />
      <JoinQueueBar />
      <div className="main-video">
        {main ? (
          <RemoteVideo key={main.consumerId} client={client} media={main} className="large" />
        ) : (
          <div className="placeholder">{queued ? t('statusQueued') : audios.length > 0 ? t('audioOnlyHost') : t('waitingForHost')}</div>
        )}
        {main && <div className="caption">{main.peerName}</div>}
      </div>
      {others.length > 0 && (
        <div className="thumbs">
          {others.map((m) => (
            <RemoteVideo key={m.consumerId} client={client} media={m} className="thumb" />
          ))}
        </div>
      )}
      {audios.map((m) => (
        <RemoteAudio key={m.consumerId} client={client} media={m} />
      ))}
      <ActiveSpeakers />
      {/* Hands and speaking need a seat in the meeting: not while waiting to enter. */}
      {!queued && <SpeakControls client={client} />}
      <button data-action="audio-only" data-on={audioOnly} className="link" onClick={() => void client.setAudioOnly(!audioOnly)}>
        {audioOnly ? `🔈 ${t('audioOnlyOn')}` : `🔈 ${t('audioOnly')}`}
      </button>
      {!audioOnly && (
        <button data-action="data-saver" data-on={dataSaver} className="link" onClick={() => void client.setDataSaver(!dataSaver)}>
          {dataSaver ? `📉 ${t('dataSaverOn')}` : `📉 ${t('dataSaver')}`}
        </button>
      )}
      {publishingCamera && <LocalPreview client={client} source="camera" />}
      <p className="hint">{t('receiveOnly')}</p>
    </main>
  );
}
