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
}: {
  src: string;
  token: string;
  live: boolean;
  testId: string;
  /** The stream is gone (404: a live stream that ended); without it, the same source is retried. */
  onGone?: () => void;
}) {
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
    const link = new SignedHlsLink(src, () => tokenRef.current, () => Date.now() + offsetRef.current);
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
        else if ((status === 401 || status === 403) && data.url?.includes('/hls/')) player.loadSource(src);
        else retry = setTimeout(() => player.loadSource(src), 3_000);
      });
      player.loadSource(src);
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
          player.loadSource(src);
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
    };
  }, [src, live]);

  return (
    <div className="hls-player">
      <video
        ref={ref}
        data-testid={testId}
        data-src={src}
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
