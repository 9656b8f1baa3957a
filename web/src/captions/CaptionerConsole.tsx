/**
 * The captioner's console: one big input for fast typing. The line streams to the audience as it
 * is typed (interim, sent at most every INTERIM_MS), Enter sends it as a finished line, and the
 * last lines are listed: click one (or ↑ in the empty input for the last) to correct it, Enter
 * saves the correction, Esc cancels. Below, what the audience sees. Keyboard first: focus stays in
 * the input. A component of its own, placed by whoever may caption (today the national host's
 * console; the captioner's crew role later).
 */
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { MeetingClient } from '../client/MeetingClient';
import { RequestError } from '../client/MeetingClient';
import { useT } from '../i18n/useT';
import type { StringKey } from '../i18n/strings';
import { CAPTION_MAX_CHARS } from '../../../signaling/protocol/captions';
import { useCaptions } from './captionsApi';
import { useCaptionsStore } from './captionsStore';
import { CaptionDisplay } from './CaptionDisplay';
import './captions.css';

/** The line being typed goes out at most this often (the server throttles the audience's copy again). */
const INTERIM_MS = 300;
const LISTED = 8;

const newId = (): string => `l${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

function errorKey(error: unknown): StringKey {
  if (error instanceof RequestError) {
    if (error.code === 'rate_limited') return 'captionerRateLimited';
    if (error.code === 'conflict' || error.code === 'not_found') return 'captionerConflict';
    if (error.code === 'forbidden') return 'captionerForbidden';
    if (error.code === 'bad_request') return 'captionerTooLong';
  }
  return 'captionerError';
}

export function CaptionerConsole({ client }: { client: MeetingClient }) {
  const api = useCaptions(client);
  const t = useT();
  const lines = useCaptionsStore(useShallow((s) => s.lines.slice(-LISTED)));
  const [draft, setDraft] = useState('');
  const [editing, setEditing] = useState<{ id: string; text: string; revision: number } | null>(null);
  const [error, setError] = useState<StringKey | null>(null);
  const line = useRef<{ id: string; startedAt: number } | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef('');
  const input = useRef<HTMLInputElement>(null);
  const editInput = useRef<HTMLInputElement>(null);

  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);
  useEffect(() => {
    if (editing) editInput.current?.focus();
  }, [editing?.id]); // eslint-disable-line react-hooks/exhaustive-deps

  const fail = (e: unknown): void => setError(errorKey(e));

  const sendInterim = (): void => {
    timer.current = null;
    const l = line.current;
    if (!l) return;
    api.interim(l.id, latest.current, Date.now() - l.startedAt).catch(fail);
  };

  const onType = (text: string): void => {
    setDraft(text);
    setError(null);
    latest.current = text;
    if (!line.current) line.current = { id: newId(), startedAt: Date.now() };
    if (!timer.current) timer.current = setTimeout(sendInterim, INTERIM_MS);
  };

  const sendFinal = (): void => {
    const l = line.current;
    const text = draft.trim();
    if (!l || text === '') return;
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    line.current = null;
    setDraft('');
    latest.current = '';
    api.final(l.id, text, Date.now() - l.startedAt).then(() => setError(null), (e: unknown) => {
      fail(e);
      // Nothing was kept: the text comes back to be sent again.
      setDraft((d) => (d === '' ? text : d));
      line.current = { id: l.id, startedAt: l.startedAt };
    });
  };

  const onKey = (e: KeyboardEvent<HTMLInputElement>): void => {
    if (e.key === 'Enter') {
      e.preventDefault();
      sendFinal();
    } else if (e.key === 'ArrowUp' && draft === '' && lines.length > 0) {
      e.preventDefault();
      const last = lines[lines.length - 1]!;
      setEditing({ id: last.id, text: last.text, revision: last.revision });
    }
  };

  const saveEdit = (): void => {
    if (!editing) return;
    const text = editing.text.trim();
    const before = lines.find((l) => l.id === editing.id);
    setEditing(null);
    input.current?.focus();
    if (!before || text === '' || text === before.text) return;
    api.final(editing.id, text, 0, editing.revision + 1).then(() => setError(null), fail);
  };

  const chars = [...draft].length;
  return (
    <section className="captioner" aria-labelledby="captioner-title" data-testid="captioner">
      <h2 id="captioner-title">{t('captionerTitle')}</h2>
      <p className="hint" id="captioner-hint">{t('captionerHint')}</p>
      <div className="captioner-input">
        <input
          ref={input}
          data-testid="captioner-input"
          aria-label={t('captionerInput')}
          aria-describedby="captioner-hint"
          value={draft}
          maxLength={CAPTION_MAX_CHARS}
          autoComplete="off"
          spellCheck={false}
          lang="vi"
          onChange={(e) => onType(e.target.value)}
          onKeyDown={onKey}
        />
        <button data-action="caption-send" onClick={sendFinal} disabled={draft.trim() === ''}>
          {t('captionerSend')}
        </button>
      </div>
      <p className="cc-count" aria-live="off">{t('captionerChars', { n: chars, max: CAPTION_MAX_CHARS })}</p>
      {error && (
        <p className="error" role="alert" data-testid="captioner-error">
          {t(error, { max: CAPTION_MAX_CHARS })}
        </p>
      )}
      {lines.length > 0 && (
        <>
          <h3>{t('captionerRecent')}</h3>
          <ol className="captioner-lines">
            {lines.map((l) =>
              editing?.id === l.id ? (
                <li key={l.id}>
                  <input
                    ref={editInput}
                    data-testid="captioner-edit"
                    aria-label={t('captionerEditing')}
                    value={editing.text}
                    maxLength={CAPTION_MAX_CHARS}
                    lang="vi"
                    onChange={(e) => setEditing({ ...editing, text: e.target.value })}
                    onKeyDown={(e) => {
                      if (e.key === 'Enter') {
                        e.preventDefault();
                        saveEdit();
                      } else if (e.key === 'Escape') {
                        e.preventDefault();
                        setEditing(null);
                        input.current?.focus();
                      }
                    }}
                    onBlur={() => setEditing(null)}
                  />
                </li>
              ) : (
                <li key={l.id}>
                  <button className="captioner-line" data-line={l.id} aria-label={`${t('captionerEdit')}: ${l.text}`} onClick={() => setEditing({ id: l.id, text: l.text, revision: l.revision })}>
                    <span lang="vi">{l.text}</span>
                    {l.revision > 0 && <small> ({t('captionerCorrected')})</small>}
                  </button>
                </li>
              ),
            )}
          </ol>
        </>
      )}
      <h3>{t('captionerPreview')}</h3>
      <CaptionDisplay settings={{ size: 0, contrast: 'white-on-black' }} testId="captioner-preview" />
    </section>
  );
}
