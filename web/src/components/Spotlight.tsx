/**
 * The large video a viewer chose: pin a video (it becomes the large one) and watch the large one
 * full screen (the Fullscreen API on its container; Escape or the button leaves). While a video is
 * pinned or full screen, a mass-audience viewer asks the SFU for its top simulcast layer and asks
 * for the default (middle) layer back afterwards: client/sharpLayer.ts says when and why.
 */
import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import type { MeetingClient } from '../client/MeetingClient';
import { asksTopLayer, MASS_AUDIENCE_SPATIAL_LAYER, TOP_SPATIAL_LAYER } from '../client/sharpLayer';
import { useStore, type RemoteMedia } from '../state/store';
import { useT } from '../i18n/useT';
import { Tile } from './Media';
import './spotlight.css';

const PATHS = {
  pin: 'M9 3h6l-1 6 4 4H6l4-4-1-6zm3 10v8',
  unpin: 'M9 3h6l-1 6 4 4H6l4-4-1-6zm3 10v8M3 3l18 18',
  fullscreen: 'M4 9V4h5m6 0h5v5M4 15v5h5m6 0h5v-5',
  exitFullscreen: 'M9 4v5H4m11-5v5h5M9 20v-5H4m11 5v-5h5',
} as const;

/** A decorative icon (the button's aria-label says what it does). */
function Glyph({ name }: { name: keyof typeof PATHS }) {
  return (
    <svg className="icon" width={22} height={22} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={2} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false">
      <path d={PATHS[name]} />
    </svg>
  );
}

/**
 * Asks for the top layer of `consumerId` while it is shown sharp and the profile allows it, and
 * for the default back when that ends (unpinned, full screen left, data saver on, tile gone).
 * Returns whether the top layer is asked for now.
 */
export function useSharpLayer(client: MeetingClient, consumerId: string, sharp: boolean): boolean {
  const massAudience = useStore((s) => s.massAudienceReceive);
  const dataSaver = useStore((s) => s.dataSaver);
  const audioOnly = useStore((s) => s.audioOnly);
  const top = asksTopLayer(sharp, { massAudience, dataSaver, audioOnly });
  useEffect(() => {
    if (!top) return;
    void client.setConsumerLayer(consumerId, TOP_SPATIAL_LAYER).catch((e) => console.warn('hoinghi: setConsumerLayers failed:', e));
    return () => {
      // A consumer already closed asks nothing (MeetingClient skips it).
      void client.setConsumerLayer(consumerId, null).catch((e) => console.warn('hoinghi: setConsumerLayers failed:', e));
    };
  }, [client, consumerId, top]);
  return top;
}

type WebkitVideo = HTMLVideoElement & { webkitEnterFullscreen?: () => void };

/**
 * Full screen for the element of `ref`: the Fullscreen API, or on a phone without it (iPhone
 * Safari) the video element's own full screen. `active` follows the browser (Escape included).
 */
export function useFullscreen(ref: RefObject<HTMLElement | null>): { active: boolean; supported: boolean; toggle: () => void } {
  const [active, setActive] = useState(false);
  const [supported, setSupported] = useState(true);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const video = el.querySelector<WebkitVideo>('video');
    setSupported(document.fullscreenEnabled || typeof video?.webkitEnterFullscreen === 'function');
    const onChange = () => setActive(document.fullscreenElement === el);
    const begin = () => setActive(true);
    const end = () => setActive(false);
    // Escape leaves full screen: the browser does it itself, and where it does not (a kiosk or
    // headless browser without its own full-screen bar) the page does.
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && document.fullscreenElement === el) void document.exitFullscreen().catch(() => undefined);
    };
    document.addEventListener('fullscreenchange', onChange);
    document.addEventListener('keydown', onKey);
    video?.addEventListener('webkitbeginfullscreen', begin);
    video?.addEventListener('webkitendfullscreen', end);
    onChange();
    return () => {
      document.removeEventListener('fullscreenchange', onChange);
      document.removeEventListener('keydown', onKey);
      video?.removeEventListener('webkitbeginfullscreen', begin);
      video?.removeEventListener('webkitendfullscreen', end);
    };
  }, [ref]);
  const toggle = useCallback(() => {
    const el = ref.current;
    if (!el) return;
    if (document.fullscreenElement === el) {
      void document.exitFullscreen().catch(() => undefined);
    } else if (document.fullscreenEnabled) {
      void el.requestFullscreen().catch((e) => console.warn('hoinghi: full screen refused:', e));
    } else {
      el.querySelector<WebkitVideo>('video')?.webkitEnterFullscreen?.();
    }
  }, [ref]);
  return { active, supported, toggle };
}

/** Pins a video as the large one, or unpins it (back to the default layout). */
export function PinButton({ media, pinned }: { media: RemoteMedia; pinned: boolean }) {
  const t = useT();
  const setPinned = useStore((s) => s.setPinnedProducer);
  const label = t(pinned ? 'unpinVideo' : 'pinVideo', { name: media.peerName });
  return (
    <button
      type="button"
      data-action="pin"
      data-producer-id={media.producerId}
      aria-pressed={pinned}
      aria-label={label}
      title={label}
      onClick={() => {
        setPinned(pinned ? null : media.producerId);
        // The pinned video moves to the stage: its button takes the focus (and scrolls into view).
        if (!pinned) requestAnimationFrame(() => document.querySelector<HTMLButtonElement>('.spotlight button[data-action="pin"]')?.focus());
      }}
    >
      <Glyph name={pinned ? 'unpin' : 'pin'} />
    </button>
  );
}

/** A small tile (a thumbnail or a speaker next to the stage) with its pin button. */
export function PinnableTile({ client, media, className }: { client: MeetingClient; media: RemoteMedia; className?: string }) {
  return (
    <Tile client={client} media={media} className={className}>
      <div className="tile-actions">
        <PinButton media={media} pinned={false} />
      </div>
    </Tile>
  );
}

/**
 * The large video: pin and full-screen buttons over it; pinned or full screen, it asks for the
 * top layer (mass audience). Its container is what goes full screen.
 */
export function StageVideo({ client, media, pinned }: { client: MeetingClient; media: RemoteMedia; pinned: boolean }) {
  const t = useT();
  const box = useRef<HTMLDivElement>(null);
  const full = useFullscreen(box);
  const dataSaver = useStore((s) => s.dataSaver);
  const massAudience = useStore((s) => s.massAudienceReceive);
  const linkCeiling = useStore((s) => s.linkCeiling);
  const linkAtFloor = useStore((s) => s.linkAtFloor);
  const sharp = pinned || full.active;
  const top = useSharpLayer(client, media.consumerId, sharp);
  // The page lowered its own layers on a weak link (client/layerGovernor.ts): say so on this video
  // when it gets less than it would.
  const layerHere = top ? TOP_SPATIAL_LAYER : massAudience ? MASS_AUDIENCE_SPATIAL_LAYER : TOP_SPATIAL_LAYER;
  // The floor note (try audio only) shows with data saver too: that is when it fits best.
  const weak = linkAtFloor || (!dataSaver && linkCeiling !== null && media.source !== 'screen' && linkCeiling < layerHere);
  const linkNote = weak ? t(linkAtFloor ? 'weakLinkFloorNote' : 'weakLinkNote') : '';
  const notes = [pinned ? t('pinnedNote') : '', sharp && dataSaver ? t('sharpSaverNote') : '', linkNote].filter(Boolean).join(' · ');
  const fullLabel = t(full.active ? 'exitFullscreen' : 'fullscreen');
  return (
    <div className="spotlight" ref={box} data-fullscreen={full.active} data-pinned={pinned} data-top-layer={top} data-link-ceiling={linkCeiling ?? 'none'}>
      <Tile client={client} media={media} className="large" note={notes || undefined}>
        <div className="tile-actions">
          <PinButton media={media} pinned={pinned} />
          {full.supported && (
            <button type="button" data-action="fullscreen" aria-pressed={full.active} aria-label={fullLabel} title={fullLabel} onClick={full.toggle}>
              <Glyph name={full.active ? 'exitFullscreen' : 'fullscreen'} />
            </button>
          )}
        </div>
      </Tile>
    </div>
  );
}
