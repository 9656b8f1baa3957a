/**
 * A meeting's join link as a real link (it opens the meeting) with a button that copies it,
 * saying whether the copy worked (a browser may refuse the clipboard: the link can still be
 * selected by hand).
 */
import { useEffect, useState } from 'react';
import { useT } from '../i18n/useT';
import { go } from './api';

export function JoinLink({ meetingId }: { meetingId: string }) {
  const t = useT();
  const path = `/m/${meetingId}`;
  const url = `${window.location.origin}${path}`;
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(null), 4_000);
    return () => clearTimeout(timer);
  }, [copied]);
  const copy = (): void => {
    const done = navigator.clipboard?.writeText(url);
    if (!done) {
      setCopied('no');
      return;
    }
    done.then(
      () => setCopied('yes'),
      () => setCopied('no'),
    );
  };
  return (
    <small className="join-link">
      {t('joinLink')}:{' '}
      <a
        href={path}
        data-testid="join-link"
        onClick={(e) => {
          e.preventDefault();
          go(path);
        }}
      >
        {url}
      </a>{' '}
      <button type="button" className="link" data-action="copy-link" aria-label={`${t('copyLink')}: ${url}`} onClick={copy}>
        {t('copyLink')}
      </button>
      {copied && (
        <span role="status" data-testid="copy-result" data-copied={copied}>
          {' '}
          {t(copied === 'yes' ? 'linkCopied' : 'linkCopyFailed')}
        </span>
      )}
    </small>
  );
}
