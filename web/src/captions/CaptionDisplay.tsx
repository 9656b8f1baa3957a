/**
 * What the audience sees of the live captions: the last final lines and the line being typed, in
 * the teacher's size and colours. Screen readers hear each finished line (or correction) once,
 * politely, from a separate live region: never the line as it is typed (that would be a flood).
 */
import { useShallow } from 'zustand/react/shallow';
import { useT } from '../i18n/useT';
import { useCaptionsStore, type CaptionSettings } from './captionsStore';

/** Final lines shown above the line being typed. */
const SHOWN = 2;

export function CaptionDisplay({ settings, testId = 'captions' }: { settings: Pick<CaptionSettings, 'size' | 'contrast'>; testId?: string }) {
  const t = useT();
  const finals = useCaptionsStore(useShallow((s) => s.lines.slice(-SHOWN)));
  const typing = useCaptionsStore(useShallow((s) => Object.values(s.interim)));
  const announce = useCaptionsStore((s) => s.announce);
  const empty = finals.length === 0 && typing.length === 0;
  return (
    <div className={`cc-display size-${settings.size} ${settings.contrast}`} data-testid={testId} data-size={settings.size} data-contrast={settings.contrast} role="region" aria-label={t('ccRegion')}>
      {empty ? (
        <p className="cc-waiting">{t('ccWaiting')}</p>
      ) : (
        <>
          {finals.map((c) => (
            <p key={c.id} className="cc-line" data-line={c.id} data-revision={c.revision} lang="vi">
              {c.text}
            </p>
          ))}
          {typing.map((c) => (
            <p key={c.id} className="cc-line typing" data-interim={c.id} lang="vi">
              {c.text}
            </p>
          ))}
        </>
      )}
      <p className="visually-hidden" aria-live="polite" aria-atomic="true" data-testid={`${testId}-announce`}>
        {announce?.text ?? ''}
      </p>
    </div>
  );
}
