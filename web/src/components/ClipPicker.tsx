/**
 * The producer's clips (hosts and crew producers): the server's clip library, each with "Phát"
 * (play into the backstage, replacing the clip playing) and, for the one playing, "Dừng". A clip
 * played is a source like a presenter's camera: the producer puts it on the stage by its key
 * (`onPlayed` hands it over). The list is asked again while a clip plays, so one that ended on its
 * own stops showing as playing. Server: signaling/clips/.
 */
import { useCallback, useEffect, useState } from 'react';
import type { ClipEntry, PlayingClip } from '../../../signaling/protocol/clips';
import type { MeetingClient } from '../client/MeetingClient';
import { errorText } from '../i18n/errors';
import { useT } from '../i18n/useT';

/** While a clip plays, the list is asked again this often (a clip that ends says nothing), ms. */
const PLAYING_REFRESH_MS = 5_000;

/** 75 → "1:15". */
function duration(s: number): string {
  const total = Math.round(s);
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

type Listing = { kind: 'loading' } | { kind: 'error'; error: unknown } | { kind: 'ready'; clips: ClipEntry[] };

export function ClipPicker({ client, backstage = true, onPlayed }: {
  client: MeetingClient;
  /** Backstage on: a played clip waits in the backstage; off: it is on air at once (the note says which). */
  backstage?: boolean;
  /** A clip started: its stage key, to put it on the stage. */
  onPlayed?: (key: string) => void;
}) {
  const t = useT();
  const [listing, setListing] = useState<Listing>({ kind: 'loading' });
  const [playing, setPlaying] = useState<PlayingClip | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [ask, setAsk] = useState(0);
  const refresh = useCallback(() => setAsk((n) => n + 1), []);

  useEffect(() => {
    let cancelled = false;
    client.request('listClips', {}).then(
      (r) => {
        if (cancelled) return;
        setListing({ kind: 'ready', clips: r.clips });
        setPlaying(r.playing);
      },
      (e: unknown) => !cancelled && setListing({ kind: 'error', error: e }),
    );
    return () => {
      cancelled = true;
    };
  }, [client, ask]);

  useEffect(() => {
    if (!playing) return;
    const timer = setInterval(refresh, PLAYING_REFRESH_MS);
    return () => clearInterval(timer);
  }, [playing, refresh]);

  const act = async (what: string, action: () => Promise<void>): Promise<void> => {
    setBusy(what);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(errorText(t, e));
      refresh();
    } finally {
      setBusy(null);
    }
  };
  const play = (clip: ClipEntry) =>
    act(clip.name, async () => {
      const started = await client.request('playClip', { name: clip.name });
      setPlaying(started);
      onPlayed?.(started.key);
    });
  const stop = () =>
    act('stop', async () => {
      await client.request('stopClip', {});
      setPlaying(null);
    });

  return (
    <section className="clip-picker" aria-labelledby="clip-picker-title" data-testid="clip-picker">
      <div className="row">
        <h3 id="clip-picker-title">{t('clipsTitle')}</h3>
        <button type="button" onClick={refresh} disabled={listing.kind === 'loading'}>{t('clipsRefresh')}</button>
      </div>
      {playing ? (
        <p role="status" data-testid="clip-playing">
          ▶ {t('clipPlaying')}: <strong>{playing.title}</strong> — {t(backstage ? 'clipInBackstage' : 'clipOnAirNow')}
        </p>
      ) : (
        <p className="hint">{t('clipsHint')}</p>
      )}
      {listing.kind === 'loading' && <p className="hint" role="status">{t('clipsLoading')}</p>}
      {listing.kind === 'error' && <p className="error" role="alert">{t('clipsError')}: {errorText(t, listing.error)}</p>}
      {listing.kind === 'ready' && listing.clips.length === 0 && <p className="hint">{t('clipsEmpty')}</p>}
      {listing.kind === 'ready' && listing.clips.length > 0 && (
        <ul className="clip-list">
          {listing.clips.map((clip) => {
            const isPlaying = playing?.name === clip.name;
            return (
              <li key={clip.name} data-clip={clip.name} aria-current={isPlaying || undefined}>
                <span className="clip-title">{clip.title}</span>{' '}
                <small>{clip.durationS > 0 ? duration(clip.durationS) : t('clipLengthUnknown')}</small>{' '}
                <button
                  type="button"
                  data-action="play-clip"
                  disabled={busy !== null}
                  aria-label={t(isPlaying ? 'clipReplayAria' : 'clipPlayAria', { name: clip.title })}
                  onClick={() => void play(clip)}
                >
                  {busy === clip.name ? t('clipStarting') : isPlaying ? t('clipReplay') : t('clipPlay')}
                </button>
                {isPlaying && (
                  <button type="button" data-action="stop-clip" className="on" disabled={busy !== null} onClick={() => void stop()}>
                    {t('clipStop')}
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {error && <p className="error" role="alert">{error}</p>}
    </section>
  );
}
