/**
 * Questions: the pinned banner (everyone), the viewer's panel (ask, vote, the approved list paged,
 * their own questions) and the host's (order, province filter, answer, hide, pin). Every text is
 * rendered as text by React: nothing is parsed as HTML.
 */
import { useState, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { QaQuestion } from '../../../signaling/protocol/qa';
import { RequestError } from '../client/MeetingClient';
import { useProvinces } from '../components/useProvinces';
import { inProvinceOrder } from '../state/provinceOrder';
import { useStore } from '../state/store';
import type { QaApi } from './qaApi';
import { useQaStore } from './qaStore';
import { useQaT, type QaStringKey } from './qaStrings';
import { CheckIcon, EyeOffIcon, PinIcon, UpIcon } from './icons';

const MAX_CHARS = 500;

function useProvinceName(): (code: string | null) => string {
  const provinces = useProvinces();
  return (code) => (code ? (provinces.names.get(code) ?? code) : '—');
}

function errorKey(error: unknown): QaStringKey {
  if (error instanceof RequestError && error.code === 'rate_limited') return 'qaRateLimited';
  if (error instanceof RequestError && error.code === 'bad_request') return 'qaTooLong';
  return 'qaError';
}

export function PinnedBanner() {
  const t = useQaT();
  const pinned = useQaStore((s) => s.public?.pinned ?? null);
  const province = useProvinceName();
  if (!pinned) return null;
  return (
    <aside className="qa-pinned" data-testid="qa-pinned" aria-live="polite">
      <PinIcon />
      <div>
        <strong>{t('qaPinned')}</strong>
        <p className="qa-text">{pinned.text}</p>
        <small>
          {pinned.authorName} · {province(pinned.province)} · {pinned.votes} {t('qaVotes')}
        </small>
      </div>
    </aside>
  );
}

function QuestionRow({ q, children }: { q: QaQuestion; children?: React.ReactNode }) {
  const t = useQaT();
  const province = useProvinceName();
  return (
    <li className={`qa-row${q.hidden ? ' hidden' : ''}${q.answered ? ' answered' : ''}`} data-question={q.id}>
      <div className="qa-votes" aria-label={`${q.votes} ${t('qaVotes')}`}>
        <span className="big">{q.votes}</span>
      </div>
      <div className="qa-body">
        <p className="qa-text">{q.text}</p>
        <small>
          {q.authorName} · {province(q.province)}
          {q.answered && <span className="qa-tag ok"> · {t('qaAnswered')}</span>}
          {q.hidden && <span className="qa-tag"> · {t('qaHiddenMine')}</span>}
        </small>
      </div>
      <div className="qa-actions">{children}</div>
    </li>
  );
}

export function QaViewerPanel({ api }: { api: QaApi }) {
  const t = useQaT();
  const { list, listTotal, voted, mine } = useQaStore(useShallow((s) => ({ list: s.list, listTotal: s.listTotal, voted: s.voted, mine: s.mine })));
  const [text, setText] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; key: QaStringKey } | null>(null);
  const selfId = useStore((s) => s.self?.userId);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const value = text.trim();
    if (!value) return;
    try {
      await api.ask(value);
      setText('');
      setMessage({ ok: true, key: 'qaAsked' });
    } catch (error) {
      setMessage({ ok: false, key: errorKey(error) });
    }
  };
  return (
    <section className="panel qa-panel" data-testid="qa-panel">
      <header>
        <h2>{t('qaTitle')}</h2>
        <span className="hint">
          {listTotal} {t('qaTotals')}
        </span>
      </header>
      <form className="qa-ask" onSubmit={(e) => void submit(e)}>
        <textarea
          value={text}
          maxLength={MAX_CHARS}
          rows={2}
          placeholder={t('qaAskPlaceholder')}
          aria-label={t('qaAskPlaceholder')}
          onChange={(e) => setText(e.target.value)}
          data-testid="qa-input"
        />
        <div className="qa-ask-row">
          <small className="hint">
            {text.length}/{MAX_CHARS} {t('qaChars')}
          </small>
          <button type="submit" className="primary" disabled={!text.trim()} data-action="qa-ask">
            {t('qaAsk')}
          </button>
        </div>
        {message && <p className={message.ok ? 'hint' : 'error'} role="status">{t(message.key)}</p>}
      </form>
      {list.length === 0 ? (
        <p className="hint">{t('qaEmpty')}</p>
      ) : (
        <ol className="qa-list">
          {list.map((q) => (
            <QuestionRow key={q.id} q={q}>
              {q.authorId !== selfId && (
                <button
                  className={`icon${voted[q.id] ? ' on' : ''}`}
                  disabled={!!voted[q.id]}
                  aria-pressed={!!voted[q.id]}
                  data-action="qa-vote"
                  onClick={() => void api.vote(q.id).catch(() => setMessage({ ok: false, key: 'qaError' }))}
                >
                  <UpIcon /> {t(voted[q.id] ? 'qaVoted' : 'qaVote')}
                </button>
              )}
            </QuestionRow>
          ))}
        </ol>
      )}
      {list.length < listTotal && (
        <button className="link wide" onClick={() => void api.more()}>
          {t('qaMore')}
        </button>
      )}
      {mine.length > 0 && (
        <>
          <h3>{t('qaMine')}</h3>
          <ol className="qa-list mine">
            {mine.map((q) => (
              <QuestionRow key={q.id} q={q} />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

export function QaHostPanel({ api }: { api: QaApi }) {
  const t = useQaT();
  const summary = useQaStore((s) => s.hostSummary);
  const filter = useQaStore((s) => s.filter);
  const national = useStore((s) => s.self?.role === 'host');
  const provinces = useProvinces();
  const province = useProvinceName();
  const [error, setError] = useState(false);
  const act = (p: Promise<void>) => void p.then(() => setError(false)).catch(() => setError(true));
  const pinnedId = summary?.pinned?.id ?? null;
  const codes = inProvinceOrder(provinces, Object.keys(summary?.byProvince ?? {}));
  return (
    <section className="panel qa-panel host" data-testid="qa-host-panel">
      <header>
        <h2>{t('qaTitle')}</h2>
        <span className="hint">
          {summary?.total ?? 0} {t('qaTotals')} · {summary?.answered ?? 0} {t('qaAnsweredCount')} · {summary?.hidden ?? 0} {t('qaHiddenCount')}
        </span>
      </header>
      <div className="qa-filters">
        <div role="group" className="segmented">
          {(['top', 'new'] as const).map((sort) => (
            <button key={sort} className={filter.sort === sort ? 'on' : ''} aria-pressed={filter.sort === sort} data-sort={sort} onClick={() => act(api.watch({ ...filter, sort }))}>
              {t(sort === 'top' ? 'qaTop' : 'qaNew')}
            </button>
          ))}
        </div>
        {national && (
          <select
            aria-label={t('qaAllProvinces')}
            value={filter.province ?? ''}
            data-testid="qa-province-filter"
            onChange={(e) => act(api.watch({ ...filter, province: e.target.value || null }))}
          >
            <option value="">{t('qaAllProvinces')}</option>
            {codes.map((c) => (
              <option key={c} value={c}>
                {(provinces.names.get(c) ?? (c === '--' ? '—' : c)) + ` (${summary?.byProvince[c] ?? 0})`}
              </option>
            ))}
          </select>
        )}
        <label className="check">
          <input type="checkbox" checked={filter.includeHidden} onChange={(e) => act(api.watch({ ...filter, includeHidden: e.target.checked }))} />
          {t('qaShowHidden')}
        </label>
      </div>
      {error && <p className="error">{t('qaError')}</p>}
      {!summary || summary.head.length === 0 ? (
        <p className="hint">{t('qaEmpty')}</p>
      ) : (
        <ol className="qa-list">
          {summary.head.map((q) => (
            <QuestionRow key={q.id} q={q}>
              <button className={`icon${q.answered ? ' on' : ''}`} title={t(q.answered ? 'qaUnanswer' : 'qaAnswer')} aria-label={t(q.answered ? 'qaUnanswer' : 'qaAnswer')} data-action="qa-answer" onClick={() => act(api.moderate(q.id, q.answered ? 'unanswer' : 'answer'))}>
                <CheckIcon />
              </button>
              <button className={`icon${q.hidden ? ' on' : ''}`} title={t(q.hidden ? 'qaUnhide' : 'qaHide')} aria-label={t(q.hidden ? 'qaUnhide' : 'qaHide')} data-action="qa-hide" onClick={() => act(api.moderate(q.id, q.hidden ? 'unhide' : 'hide'))}>
                <EyeOffIcon />
              </button>
              {national && !q.hidden && (
                <button className={`icon${pinnedId === q.id ? ' on' : ''}`} title={t(pinnedId === q.id ? 'qaUnpin' : 'qaPin')} aria-label={t(pinnedId === q.id ? 'qaUnpin' : 'qaPin')} data-action="qa-pin" onClick={() => act(api.pin(pinnedId === q.id ? null : q.id))}>
                  <PinIcon />
                </button>
              )}
            </QuestionRow>
          ))}
        </ol>
      )}
      {summary && summary.matching > summary.head.length && (
        <p className="hint">
          {summary.head.length}/{summary.matching} · {province(summary.province)}
        </p>
      )}
    </section>
  );
}
