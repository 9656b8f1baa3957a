import { useEffect, useReducer, useRef, useState } from 'react';
import type { MeetingClient } from '../client/MeetingClient';
import type { RemoteMedia, Source } from '../state/store';
import { useT } from '../i18n/useT';

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
      data-source={media.source}
    />
  );
}

/** A remote audio track; shows a button if the browser blocks autoplay. */
export function RemoteAudio({ client, media }: { client: MeetingClient; media: RemoteMedia }) {
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
  return (
    <>
      <audio ref={ref} autoPlay data-consumer-id={media.consumerId} data-producer-id={media.producerId} />
      {blocked && (
        <button className="play-audio" onClick={() => void ref.current?.play().then(() => setBlocked(false))}>
          🔊 {t('clickToPlay')}
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
    const track = client.localTrack(source);
    if (ref.current) ref.current.srcObject = track ? new MediaStream([track]) : null;
  }, [client, source, version]);
  return <video ref={ref} className="preview" autoPlay playsInline muted data-local-source={source} />;
}
