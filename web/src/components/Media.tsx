import { useEffect, useReducer, useRef, useState, type ReactNode } from 'react';
import type { MeetingClient } from '../client/MeetingClient';
import { useStore, type RemoteMedia, type Source } from '../state/store';
import { useT } from '../i18n/useT';
import { Icon } from './Icon';

/** A remote video; ids are exposed as data attributes for monitoring and tests. */
export function RemoteVideo({ client, media, className }: { client: MeetingClient; media: RemoteMedia; className?: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const track = client.track(media.consumerId);
    if (ref.current && track) ref.current.srcObject = new MediaStream([track]);
  }, [client, media.consumerId]);
  return (
    <video
      ref={ref}
      className={className}
      autoPlay
      playsInline
      muted
      data-consumer-id={media.consumerId}
      data-producer-id={media.producerId}
      data-peer-id={media.peerId}
      data-source={media.source}
    />
  );
}

/** A labelled remote video: who it is, and whether it is their camera or their screen; `children` go over it (buttons). */
export function Tile({ client, media, className, note, children }: { client: MeetingClient; media: RemoteMedia; className?: string; note?: string; children?: ReactNode }) {
  const t = useT();
  const isScreen = media.source === 'screen';
  return (
    <figure className={`tile ${className ?? ''}`} data-tile={media.consumerId}>
      <RemoteVideo client={client} media={media} />
      <figcaption className="caption">
        <Icon name={isScreen ? 'screen' : 'camera'} size={16} />
        <span>
          {media.peerName} · {t(isScreen ? 'sourceScreen' : 'sourceCamera')}
          {note ? ` · ${note}` : ''}
        </span>
      </figcaption>
      {children}
    </figure>
  );
}

/** A remote audio track (ids as data attributes, like RemoteVideo); shows a button if the browser blocks autoplay. `volume` ducks it (0–1). */
export function RemoteAudio({ client, media, volume = 1 }: { client: MeetingClient; media: RemoteMedia; volume?: number }) {
  const ref = useRef<HTMLAudioElement>(null);
  const [blocked, setBlocked] = useState(false);
  const t = useT();
  useEffect(() => {
    const track = client.track(media.consumerId);
    const el = ref.current;
    if (!el || !track) return;
    el.srcObject = new MediaStream([track]);
    el.play().then(
      () => setBlocked(false),
      () => setBlocked(true),
    );
  }, [client, media.consumerId]);
  useEffect(() => {
    if (ref.current) ref.current.volume = volume;
  }, [volume]);
  // A replay playing in the page silences the live sound until it closes.
  const replaying = useStore((s) => s.replaying);
  useEffect(() => {
    if (ref.current) ref.current.muted = replaying;
  }, [replaying]);
  return (
    <>
      <audio
        ref={ref}
        autoPlay
        data-consumer-id={media.consumerId}
        data-producer-id={media.producerId}
        data-peer-id={media.peerId}
        data-volume={volume}
        data-muted={replaying}
      />
      {blocked && (
        <button className="play-audio" onClick={() => void ref.current?.play().then(() => setBlocked(false))}>
          <Icon name="speaker" /> {t('clickToPlay')}
        </button>
      )}
    </>
  );
}

/** The host's own camera or screen. */
export function LocalPreview({ client, source }: { client: MeetingClient; source: Source }) {
  const ref = useRef<HTMLVideoElement>(null);
  const [version, bump] = useReducer((x: number) => x + 1, 0);
  useEffect(() => client.subscribe(bump), [client]);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const track = client.localTrack(source);
    // Only a different track replaces the source: re-assigning the same one restarts playback.
    const current = (el.srcObject as MediaStream | null)?.getVideoTracks()[0];
    if (current === track) return;
    el.srcObject = track ? new MediaStream([track]) : null;
    if (track) void el.play().catch(() => undefined);
  }, [client, source, version]);
  return <video ref={ref} className="preview" autoPlay playsInline muted data-local-source={source} />;
}

/** The microphone's level, live, from the local track (Web Audio analyser; nothing is sent). */
export function MicMeter({ client }: { client: MeetingClient }) {
  const t = useT();
  const bar = useRef<HTMLSpanElement>(null);
  const meter = useRef<HTMLSpanElement>(null);
  const [version, bump] = useReducer((x: number) => x + 1, 0);
  useEffect(() => client.subscribe(bump), [client]);
  useEffect(() => {
    const track = client.localTrack('mic');
    if (!track) {
      if (bar.current) bar.current.style.width = '0%';
      return;
    }
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 512;
    const source = ctx.createMediaStreamSource(new MediaStream([track]));
    source.connect(analyser);
    const data = new Float32Array(analyser.fftSize);
    let level = 0;
    const id = setInterval(() => {
      analyser.getFloatTimeDomainData(data);
      let sum = 0;
      for (const v of data) sum += v * v;
      // RMS in dBFS mapped from -60..0 onto 0..100, with a quick rise and a slow fall.
      const db = 20 * Math.log10(Math.sqrt(sum / data.length) || 1e-6);
      const target = Math.max(0, Math.min(100, ((db + 60) / 60) * 100));
      level = target > level ? target : level * 0.85 + target * 0.15;
      if (bar.current) bar.current.style.width = `${level.toFixed(0)}%`;
      meter.current?.setAttribute('aria-valuenow', level.toFixed(0));
    }, 100);
    return () => {
      clearInterval(id);
      source.disconnect();
      void ctx.close();
    };
  }, [client, version]);
  return (
    <span className="mic-meter" ref={meter} role="meter" aria-label={t('micLevel')} aria-valuemin={0} aria-valuemax={100} aria-valuenow={0} data-testid="mic-meter">
      <Icon name="mic" size={16} />
      <span className="mic-meter-track">
        <span className="mic-meter-bar" ref={bar} />
      </span>
    </span>
  );
}
