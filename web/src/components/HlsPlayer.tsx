import { useEffect, useRef, useState } from 'react';
import type HlsType from 'hls.js';
import { useStore } from '../state/store';
import { useT } from '../i18n/useT';
import { SignedHlsLink, isSignedLink } from './signedHlsLink';
import { StallWatch } from './stallWatch';

type PlayerState = 'loading' | 'playing' | 'needsClick' | 'retrying' | 'unsupported';

/**
 * An HLS stream (live or replay) played with hls.js. The token goes in an Authorization header
 * (xhrSetup), never in the URL; with a cache tier the playlist asked for with it names a
 * short-lived signed link (signaling/recording/hlsLinks.ts) that hls.js follows without it; hls.js runs without a worker, since the CSP allows no blob:
 * scripts. Live streams show the measured delay: the wall clock (corrected by the server's
 * clock) minus the program date-time of the frame playing. hls.js is loaded on first use, so
 * the real-time page does not carry it. A clock that stands still while it should play (a hung
 * segment load, a gap hls.js does not jump: no error is raised) is a stall (stallWatch.ts): the
 * page says so instead of a delay that keeps rising, and recovers by itself, each step stronger
 * and later than the last: jump ahead (to the live edge), re-attach the media, reload the source.
 */
export function HlsPlayer({
  src,
  token,
  live,
  testId,
  onGone,
  subtitles,
}: {
  src: string;
  token: string;
  live: boolean;
  testId: string;
  /** The stream is gone (404: a live stream that ended); without it, the same source is retried. */
  onGone?: () => void;
  /**
   * Captions (the teacher's CC): given, the stream's master playlist is loaded (with its WebVTT
   * subtitles rendition, recording/hlsSubtitles.ts) and its subtitles shown while true.
   */
  subtitles?: boolean;
}) {
  const withSubtitles = subtitles !== undefined;
  const source = withSubtitles ? src.replace(/\/index\.m3u8$/, '/master.m3u8') : src;
  const subtitlesRef = useRef(subtitles === true);
  subtitlesRef.current = subtitles === true;
  const playerRef = useRef<HlsType | null>(null);
  const onGoneRef = useRef(onGone);
  onGoneRef.current = onGone;
  const t = useT();
  const ref = useRef<HTMLVideoElement>(null);
  const tokenRef = useRef(token);
  tokenRef.current = token;
  const [state, setState] = useState<PlayerState>('loading');
  const [delayS, setDelayS] = useState<number | null>(null);
  const [stalled, setStalled] = useState(false);
  const stateRef = useRef(state);
  stateRef.current = state;
  const clockOffset = useStore((s) => (s.breakouts ? s.breakouts.serverNow - s.breakouts.receivedAt : 0));
  // The live stream's sound gives way to a replay playing in the page.
  const silenced = useStore((s) => live && s.replaying);
  useEffect(() => {
    if (ref.current) ref.current.muted = silenced;
  }, [silenced]);
  const offsetRef = useRef(clockOffset);
  offsetRef.current = clockOffset;

  useEffect(() => {
    const video = ref.current;
    if (!video) return;
    let hls: HlsType | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let timer: ReturnType<typeof setInterval> | null = null;
    let cancelled = false;
    const link = new SignedHlsLink(source, () => tokenRef.current, () => Date.now() + offsetRef.current);
    const onPlaying = (): void => setState('playing');
    video.addEventListener('playing', onPlaying);
    void import('hls.js').then(({ default: Hls }) => {
      if (cancelled) return;
      if (!Hls.isSupported()) {
        // Safari's native HLS cannot send the Authorization header.
        setState('unsupported');
        return;
      }
      const player = new Hls({
        enableWorker: false,
        liveSyncDurationCount: 2,
        // The token goes to this site's own API only: a signed link (to the HLS cache tier,
        // perhaps another host) is its own grant, renewed before it expires (signedHlsLink.ts).
        xhrSetup: (xhr, url) => {
          const abs = new URL(url, window.location.href);
          if (isSignedLink(abs)) {
            const fresh = link.rewrite(url);
            if (fresh) xhr.open('GET', fresh, true);
          } else if (abs.origin === window.location.origin) {
            xhr.setRequestHeader('Authorization', `Bearer ${tokenRef.current}`);
          }
        },
      });
      hls = player;
      playerRef.current = player;
      // Subtitles: the rendition is selected while the teacher's CC is on.
      const showSubtitles = (): void => {
        player.subtitleDisplay = subtitlesRef.current;
        player.subtitleTrack = subtitlesRef.current && player.subtitleTracks.length > 0 ? 0 : -1;
      };
      player.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, showSubtitles);
      player.on(Hls.Events.LEVEL_LOADED, (_event, data) => link.observe(data.details.url));
      player.on(Hls.Events.MANIFEST_PARSED, () => {
        video.play().then(
          () => setState('playing'),
          () => setState('needsClick'),
        );
      });
      player.on(Hls.Events.ERROR, (_event, data) => {
        if (!data.fatal) return;
        setState('retrying');
        const status = (data.response as { code?: number } | undefined)?.code;
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR) player.recoverMediaError();
        else if (status === 404 && onGoneRef.current) onGoneRef.current();
        // A signed link expired (401: the page slept past its renewal) or was refused (403): the
        // token route signs a new one now.
        else if ((status === 401 || status === 403) && data.url?.includes('/hls/')) player.loadSource(source);
        else retry = setTimeout(() => player.loadSource(source), 3_000);
      });
      player.loadSource(source);
      player.attachMedia(video);
      const watch = new StallWatch();
      // One recovery step, stronger each time (stallWatch.ts spaces them out).
      const recover = (step: number): void => {
        if (step === 0) {
          // Jump: to the live edge, or just past a gap hls.js did not jump.
          const edge = live ? player.liveSyncPosition : null;
          video.currentTime = edge !== null && edge > video.currentTime ? edge : video.currentTime + 0.5;
          watch.rebase(video.currentTime);
        } else if (step === 1) {
          player.recoverMediaError();
        } else {
          player.stopLoad();
          player.loadSource(source);
          player.startLoad();
        }
        void video.play().catch(() => undefined);
      };
      timer = setInterval(() => {
        const shouldPlay = (stateRef.current === 'playing' || stateRef.current === 'retrying') && !video.paused && !video.ended;
        const verdict = watch.sample(Date.now(), video.currentTime, shouldPlay);
        setStalled(verdict.stalled);
        if (verdict.recover !== null) recover(verdict.recover);
        const at = player.playingDate;
        if (live && at) setDelayS(Math.max(0, (Date.now() + offsetRef.current - at.getTime()) / 1000));
      }, 1_000);
    });
    return () => {
      cancelled = true;
      link.close();
      if (timer) clearInterval(timer);
      if (retry) clearTimeout(retry);
      video.removeEventListener('playing', onPlaying);
      hls?.destroy();
      playerRef.current = null;
    };
  }, [source, live]);

  useEffect(() => {
    const player = playerRef.current;
    if (!player) return;
    player.subtitleDisplay = subtitles === true;
    player.subtitleTrack = subtitles === true && player.subtitleTracks.length > 0 ? 0 : -1;
  }, [subtitles]);

  return (
    <div className="hls-player">
      <video
        ref={ref}
        data-testid={testId}
        data-src={src}
        data-loaded={source}
        data-subtitles={withSubtitles ? String(subtitles) : undefined}
        data-stalled={stalled}
        data-muted={silenced}
        data-delay-s={delayS === null || stalled ? undefined : delayS.toFixed(1)}
        playsInline
        controls
        className="large"
      />
      {stalled && (
        <p className="hint" data-testid="hls-stalled" role="status">
          {t('hlsStalled')}
        </p>
      )}
      {live && state === 'playing' && !stalled && (
        <div className="caption" data-testid="hls-delay">
          {delayS === null ? t('hlsMeasuring') : `${t('hlsDelay')} ${Math.round(delayS)} ${t('seconds')}`}
        </div>
      )}
      {state === 'needsClick' && (
        <button className="play-audio" onClick={() => void ref.current?.play().then(() => setState('playing'))}>
          ▶ {t('clickToPlay')}
        </button>
      )}
      {state === 'retrying' && !stalled && <p className="hint">{t('hlsError')}</p>}
      {state === 'unsupported' && <p className="error">{t('hlsUnsupported')}</p>}
    </div>
  );
}
