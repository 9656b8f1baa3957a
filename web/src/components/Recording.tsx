import { useCallback, useEffect, useRef, useState } from 'react';
import { useCaptionsStore } from '../captions/captionsStore';
import { useShallow } from 'zustand/react/shallow';
import type { RecordingSummary } from '../../../signaling/protocol/events';
import type { RecordingsAnswer } from '../../../signaling/protocol/http';
import { RequestError, type MeetingClient } from '../client/MeetingClient';
import { useStore } from '../state/store';
import { useT } from '../i18n/useT';
import type { StringKey } from '../i18n/strings';
import { HlsPlayer } from './HlsPlayer';

const hlsUrl = (meetingId: string, recordingId: string): string =>
  `/api/meetings/${encodeURIComponent(meetingId)}/recordings/${encodeURIComponent(recordingId)}/index.m3u8`;

/** The live recording of the participant's own session, if any. */
function useOwnLiveRecording() {
  const sessionKey = useStore((s) => s.session?.key ?? 'main');
  return useStore(useShallow((s) => s.liveRecordings.find((r) => r.sessionKey === sessionKey)));
}

/** "Recording" indicator: everyone in a session being recorded sees it. */
export function RecordingBadge() {
  const t = useT();
  const live = useOwnLiveRecording();
  if (!live) return null;
  return (
    <span className="recording-badge" data-testid="recording-indicator" role="status">
      ● {t('recording')}
    </span>
  );
}

/** Session host: start or stop recording the session. */
export function RecordingControl({ client }: { client: MeetingClient }) {
  const t = useT();
  const live = useOwnLiveRecording();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const toggle = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await (live ? client.stopRecording() : client.startRecording());
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button data-control="record" data-on={Boolean(live)} className={live ? 'on' : ''} disabled={busy} onClick={() => void toggle()}>
        {live ? `■ ${t('stopRecording')}` : `● ${t('startRecording')}`}
      </button>
      {error && <p className="error">{t('recordingError')}: {error}</p>}
    </>
  );
}

const REASON_TEXT: Record<string, StringKey> = { blocked: 'hlsBlocked', capacity: 'hlsCapacity', chosen: 'hlsChosen' };

type LiveState =
  | { kind: 'asking' }
  | { kind: 'playing'; path: string; sessionKey: string; generation: number }
  | { kind: 'starting' }
  | { kind: 'offAir' }
  | { kind: 'off' };

/**
 * The delayed stream of the teacher's session: asked of the server (`watchLive`, which starts it
 * if nobody watches it yet), asked again when it ended or could not start, every few seconds
 * while nothing is on air. It does not depend on anyone recording.
 */
function useLiveStream(client: MeetingClient): { stream: LiveState; again: () => void } {
  const [state, setState] = useState<LiveState>({ kind: 'asking' });
  const sessionKey = useStore((s) => s.session?.key ?? 'main');
  const [ask, setAsk] = useState(0);
  const generation = useRef(0);
  useEffect(() => {
    let cancelled = false;
    let again: ReturnType<typeof setTimeout> | null = null;
    const retry = (ms: number): void => {
      again = setTimeout(() => setAsk((n) => n + 1), ms);
    };
    client.watchLive().then(
      (w) => {
        if (cancelled) return;
        // Starting: its playlist is not written yet (loading it would fail with 503). Ask again.
        if (!w.ready) {
          setState({ kind: 'starting' });
          retry(1_000);
          return;
        }
        generation.current += 1;
        setState({ kind: 'playing', path: w.path, sessionKey: w.sessionKey, generation: generation.current });
      },
      (e: unknown) => {
        if (cancelled) return;
        // A RequestError carries the server's code; a timeout or a dropped socket has none.
        const err = e instanceof RequestError ? e : { code: undefined, retryAfterMs: undefined };
        if (err.code === 'conflict') {
          setState({ kind: 'offAir' });
          retry(5_000);
        } else if (err.code === 'unavailable' && err.retryAfterMs === undefined) {
          setState({ kind: 'off' });
        } else {
          setState({ kind: 'starting' });
          retry(Math.max(1_000, err.retryAfterMs ?? 3_000));
        }
      },
    );
    return () => {
      cancelled = true;
      if (again) clearTimeout(again);
    };
  }, [client, ask, sessionKey]);
  // A stream that ended (the player got 404) is asked for again.
  const again = useCallback(() => void setTimeout(() => setAsk((n) => n + 1), 1_000), []);
  return { stream: state, again };
}

/** A teacher on the delayed stream: why, the measured delay, and the way back when chosen. */
export function LiveHls({ client }: { client: MeetingClient }) {
  const t = useT();
  const { stream, again } = useLiveStream(client);
  const reason = useStore((s) => s.hlsReason);
  const ownSession = useStore((s) => s.session?.key ?? 'main');
  const token = useStore((s) => s.token);
  const captionsOn = useCaptionsStore((s) => s.settings.on);
  const waiting: Record<Exclude<LiveState['kind'], 'playing'>, StringKey> = {
    asking: 'hlsStarting',
    starting: 'hlsStarting',
    offAir: 'hlsNoStream',
    off: 'hlsOff',
  };
  return (
    <div className="hls-fallback" data-testid="hls-fallback" data-reason={reason ?? ''} data-live-state={stream.kind}>
      <div className="main-video">
        {stream.kind === 'playing' && token ? (
          <HlsPlayer
            key={`${stream.path}#${stream.generation}`}
            src={stream.path}
            token={client.token}
            live
            testId="hls-live"
            onGone={again}
            subtitles={captionsOn}
          />
        ) : (
          <div className="placeholder" role="status">
            {t(waiting[stream.kind as Exclude<LiveState['kind'], 'playing'>])}
          </div>
        )}
      </div>
      {stream.kind === 'playing' && stream.sessionKey !== ownSession && (
        <p className="hint" data-testid="hls-national">
          {t('hlsNational')}
        </p>
      )}
      <p className="hls-reason" role="status">
        {t(REASON_TEXT[reason ?? 'blocked'] ?? 'hlsBlocked')}
        {reason === 'chosen' && (
          <button className="link" data-action="realtime" onClick={() => void client.chooseDelayed(false)}>
            {t('watchRealtime')}
          </button>
        )}
      </p>
    </div>
  );
}

function formatDuration(s: number): string {
  const m = Math.floor(s / 60);
  const sec = Math.round(s % 60);
  return `${m}:${String(sec).padStart(2, '0')}`;
}

/**
 * The meeting's recordings (its audience only), playable in the page: in the meeting, and on the
 * meeting's page after the end. While one is still being finished (the meeting just ended), the
 * list is read again every few seconds.
 */
/** A meeting's ended recordings to replay; `onCount` hears how many there are once listed. */
export function RecordingsList({ meetingId, token, onCount }: { meetingId: string; token: string; onCount?: (n: number) => void }) {
  const t = useT();
  const lang = useStore((s) => s.lang);
  const provinces = useStore((s) => s.provinces);
  const liveIds = useStore(useShallow((s) => s.liveRecordings.map((r) => r.id)));
  const [list, setList] = useState<RecordingSummary[] | null>(null);
  const [failed, setFailed] = useState(false);
  const [playing, setPlaying] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const liveKey = liveIds.join(',');
  // Live sound (the meeting's, or the delayed stream's) is muted while a replay is open here.
  const inMeeting = useStore((s) => s.remote.some((m) => m.kind === 'audio') || (s.mediaPath === 'hls' && s.status === 'connected'));
  const setReplaying = useStore((s) => s.setReplaying);
  useEffect(() => {
    setReplaying(playing !== null);
    return () => setReplaying(false);
  }, [playing, setReplaying]);
  const tokenRef = useRef(token);
  tokenRef.current = token;

  useEffect(() => {
    let cancelled = false;
    let again: ReturnType<typeof setTimeout> | null = null;
    fetch(`/api/meetings/${encodeURIComponent(meetingId)}/recordings`, { headers: { Authorization: `Bearer ${tokenRef.current}` } })
      .then(async (res) => {
        if (!res.ok) throw new Error(String(res.status));
        const body = (await res.json()) as RecordingsAnswer;
        if (cancelled) return;
        setList(body.recordings);
        setFailed(false);
        if (body.recordings.some((r) => r.endedAt === null)) again = setTimeout(() => setReload((n) => n + 1), 3_000);
      })
      .catch(() => {
        if (cancelled) return;
        setFailed(true);
        again = setTimeout(() => setReload((n) => n + 1), 10_000);
      });
    return () => {
      cancelled = true;
      if (again) clearTimeout(again);
    };
    // A recording that starts or stops changes the list.
  }, [meetingId, liveKey, reload]);

  const ended = (list ?? []).filter((r) => r.endedAt !== null && r.durationS > 0);
  const count = list === null ? null : ended.length;
  useEffect(() => {
    if (count !== null) onCount?.(count);
  }, [count, onCount]);
  return (
    <section className="recordings" id="recordings" data-testid="recordings">
      <h2>{t('recordingsTitle')}</h2>
      {failed && <p className="error">{t('recordingsError')}</p>}
      {list && ended.length === 0 && <p className="hint">{t('noRecordings')}</p>}
      <ul>
        {ended.map((r) => (
          <li key={r.id} data-recording-id={r.id}>
            <span>
              {new Date(r.startedAt).toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB')} ·{' '}
              {r.sessionKey === 'main' ? t('sessionNational') : `${t('sessionProvince')} ${provinces.names.get(r.sessionKey) ?? r.sessionKey}`} ·{' '}
              {formatDuration(r.durationS)}
            </span>
            <button className="link" data-action="replay" onClick={() => setPlaying(playing === r.id ? null : r.id)}>
              {playing === r.id ? t('closePlayer') : `▶ ${t('replay')}`}
            </button>
            {playing === r.id && inMeeting && (
              <p className="hint" data-testid="live-muted" role="status">
                {t('liveMutedForReplay')}
              </p>
            )}
            {playing === r.id && <HlsPlayer src={hlsUrl(meetingId, r.id)} token={token} live={false} testId="hls-replay" />}
          </li>
        ))}
      </ul>
    </section>
  );
}
