/**
 * National hosts: connect a studio encoder (OBS, a hardware encoder) over WHIP. The host names
 * the source and picks how long the token lives, mints it, and sees the URL and the token to
 * paste into the encoder, each with a copy button, and until when the token is valid. The token
 * is shown once (it is not kept anywhere); minting again gives a new one, the old one still works
 * until it expires.
 */
import { useEffect, useState } from 'react';
import { useT } from '../i18n/useT';
import { useStore } from '../state/store';
import type { StringKey } from '../i18n/strings';

interface Minted {
  token: string;
  url: string;
  expiresAt: number;
  name: string;
}

const TTL_HOURS = [2, 12, 24, 72] as const;

function CopyField({ label, value, testId }: { label: string; value: string; testId: string }) {
  const t = useT();
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(null), 4_000);
    return () => clearTimeout(timer);
  }, [copied]);
  const copy = (): void => {
    const done = navigator.clipboard?.writeText(value);
    if (!done) return setCopied('no');
    done.then(
      () => setCopied('yes'),
      () => setCopied('no'),
    );
  };
  return (
    <div className="copy-field">
      <label>
        {label}
        <input readOnly value={value} data-testid={testId} onFocus={(e) => e.currentTarget.select()} />
      </label>
      <button type="button" data-action={`copy-${testId}`} aria-label={`${t('copy')}: ${label}`} onClick={copy}>
        {t('copy')}
      </button>
      {copied && (
        <span role="status" data-copied={copied}>
          {t(copied === 'yes' ? 'copied' : 'copyFailed')}
        </span>
      )}
    </div>
  );
}

const ERRORS: Record<number, StringKey> = { 401: 'encoderTokenUnauthorized', 403: 'encoderTokenForbidden' };

export function StudioEncoderPanel({ meetingId, token }: { meetingId: string; token: string }) {
  const t = useT();
  const lang = useStore((s) => s.lang);
  const [name, setName] = useState(t('encoderDefaultName'));
  const [ttlHours, setTtlHours] = useState<number>(12);
  const [minted, setMinted] = useState<Minted | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<StringKey | null>(null);
  const mint = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const res = await fetch(`/api/meetings/${encodeURIComponent(meetingId)}/ingest-tokens`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: name.trim() || undefined, ttlHours }),
      });
      if (!res.ok) {
        setError(ERRORS[res.status] ?? 'encoderTokenFailed');
        return;
      }
      const body = (await res.json()) as { token: string; whipPath: string; expiresAt: number; name: string };
      setMinted({ token: body.token, url: `${window.location.origin}${body.whipPath}`, expiresAt: body.expiresAt, name: body.name });
    } catch {
      setError('encoderTokenFailed');
    } finally {
      setBusy(false);
    }
  };
  const expiry = minted ? new Date(minted.expiresAt).toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: 'Asia/Ho_Chi_Minh', dateStyle: 'short', timeStyle: 'short' }) : '';
  return (
    <details className="panel studio-encoder" data-testid="studio-encoder">
      <summary>{t('encoderTitle')}</summary>
      <p className="hint">{t('encoderHint')}</p>
      <div className="encoder-form">
        <label>
          {t('encoderName')}
          <input value={name} maxLength={64} onChange={(e) => setName(e.target.value)} data-testid="encoder-name" />
        </label>
        <label>
          {t('encoderValidFor')}
          <select value={ttlHours} onChange={(e) => setTtlHours(Number(e.target.value))} data-testid="encoder-ttl">
            {TTL_HOURS.map((h) => (
              <option key={h} value={h}>
                {h} {t('hours')}
              </option>
            ))}
          </select>
        </label>
        <button type="button" data-action="mint-encoder-token" disabled={busy} onClick={() => void mint()}>
          {t(minted ? 'encoderMintAgain' : 'encoderMint')}
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {t(error)}
        </p>
      )}
      {minted && (
        <div className="encoder-result" data-testid="encoder-result">
          <CopyField label={t('encoderUrl')} value={minted.url} testId="encoder-url" />
          <CopyField label={t('encoderToken')} value={minted.token} testId="encoder-token" />
          <p className="hint" data-testid="encoder-expiry">
            {t('encoderExpires')} {expiry} — {minted.name}
          </p>
          <p className="hint">{t('encoderSettings')}</p>
        </div>
      )}
    </details>
  );
}
