/**
 * The teacher's captions ("Phụ đề", CC): off by default; on, size and colours remembered per
 * teacher (captionsStore.ts). Live captions under the video; on the delayed stream (HLS) the
 * captions are in the picture instead (the player's WebVTT rendition, in step with the delayed
 * video), so the live ones are not shown ahead of it. Breakouts have no captions (the national
 * session's only).
 */
import { useEffect } from 'react';
import type { MeetingClient } from '../client/MeetingClient';
import { useStore } from '../state/store';
import { useT } from '../i18n/useT';
import type { StringKey } from '../i18n/strings';
import { useCaptions } from './captionsApi';
import { useCaptionsStore, type CaptionContrast, type CaptionSize } from './captionsStore';
import { CaptionDisplay } from './CaptionDisplay';
import './captions.css';

const SIZES: [CaptionSize, StringKey][] = [
  [0, 'ccSizeS'],
  [1, 'ccSizeM'],
  [2, 'ccSizeL'],
];
const CONTRASTS: [CaptionContrast, StringKey][] = [
  ['white-on-black', 'ccWhiteOnBlack'],
  ['yellow-on-black', 'ccYellowOnBlack'],
  ['black-on-white', 'ccBlackOnWhite'],
];

export function CaptionView({ client }: { client: MeetingClient }) {
  useCaptions(client);
  const t = useT();
  const userId = useStore((s) => s.self?.userId ?? null);
  const inMain = useStore((s) => (s.session?.key ?? 'main') === 'main');
  const onHls = useStore((s) => s.mediaPath === 'hls');
  const settings = useCaptionsStore((s) => s.settings);
  const setSettings = useCaptionsStore((s) => s.setSettings);
  const useSettingsOf = useCaptionsStore((s) => s.useSettingsOf);
  useEffect(() => useSettingsOf(userId), [userId, useSettingsOf]);
  if (!userId) return null;
  return (
    <section className="cc-area" aria-label={t('ccToggle')}>
      <div className="cc-bar">
        <button data-action="captions" className={settings.on ? 'on' : ''} aria-pressed={settings.on} onClick={() => setSettings({ on: !settings.on })}>
          <span className="cc-badge" aria-hidden="true">CC</span> {t(settings.on ? 'ccOn' : 'ccOff')}
        </button>
        {settings.on && (
          <details className="cc-settings">
            <summary>{t('ccSettings')}</summary>
            <fieldset>
              <legend>{t('ccSize')}</legend>
              {SIZES.map(([size, key]) => (
                <label key={size}>
                  <input type="radio" name="cc-size" value={size} checked={settings.size === size} onChange={() => setSettings({ size })} /> {t(key)}
                </label>
              ))}
            </fieldset>
            <fieldset>
              <legend>{t('ccContrast')}</legend>
              {CONTRASTS.map(([contrast, key]) => (
                <label key={contrast}>
                  <input type="radio" name="cc-contrast" value={contrast} checked={settings.contrast === contrast} onChange={() => setSettings({ contrast })} /> {t(key)}
                </label>
              ))}
            </fieldset>
          </details>
        )}
      </div>
      {settings.on &&
        (!inMain ? (
          <p className="hint">{t('ccBreakout')}</p>
        ) : onHls ? (
          <p className="hint">{t('ccDelayedNote')}</p>
        ) : (
          <CaptionDisplay settings={settings} />
        ))}
    </section>
  );
}
