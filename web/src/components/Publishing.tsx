/**
 * What a participant who sends sees of their own media: a labelled preview of their camera or
 * screen, and the buttons that start and stop each source (host console, the crew's page, a
 * teacher invited to speak with camera).
 */
import type { MeetingClient } from '../client/MeetingClient';
import type { StringKey } from '../i18n/strings';
import { useT } from '../i18n/useT';
import { useStore, type Source } from '../state/store';
import { Icon, type IconName } from './Icon';
import { LocalPreview } from './Media';

export const SOURCE_CONTROLS: readonly { source: Source; icon: IconName; start: StringKey; stop: StringKey }[] = [
  { source: 'camera', icon: 'camera', start: 'startCamera', stop: 'stopCamera' },
  { source: 'mic', icon: 'mic', start: 'startMic', stop: 'stopMic' },
  { source: 'screen', icon: 'screen', start: 'startScreen', stop: 'stopScreen' },
];

/** This participant's own camera (labelled "your picture") or screen. */
export function SelfTile({ client, source }: { client: MeetingClient; source: 'camera' | 'screen' }) {
  const t = useT();
  return (
    <figure className="tile self">
      <LocalPreview client={client} source={source} />
      <figcaption className="caption">
        <Icon name={source} size={16} /> <span>{t(source === 'camera' ? 'selfPreview' : 'sourceScreen')}</span>
      </figcaption>
    </figure>
  );
}

/** A start/stop button per source (only `sources` when given: an interpreter sends a picture only). */
export function SourceButtons({ client, sources = SOURCE_CONTROLS.map((c) => c.source) }: { client: MeetingClient; sources?: readonly Source[] }) {
  const t = useT();
  const publishing = useStore((s) => s.publishing);
  return (
    <>
      {SOURCE_CONTROLS.filter((c) => sources.includes(c.source)).map(({ source, icon, start, stop }) => (
        <button
          key={source}
          data-control={source}
          data-on={publishing[source]}
          aria-pressed={publishing[source]}
          className={publishing[source] ? 'on' : ''}
          onClick={() => void (publishing[source] ? client.stop(source) : client.start(source))}
        >
          <Icon name={icon} /> {t(publishing[source] ? stop : start)}
        </button>
      ))}
    </>
  );
}
