/** Polls: the host's (prepare, open, close, show; live results by province) and the teacher's (vote; results once shown). */
import { useEffect, useState, type FormEvent } from 'react';
import type { Poll, PollResults } from '../../../signaling/protocol/qa';
import { useProvinces } from '../components/useProvinces';
import { inProvinceOrder } from '../state/provinceOrder';
import type { QaApi } from './qaApi';
import { useQaStore } from './qaStore';
import { useQaT, type QaStringKey } from './qaStrings';

const STATE_KEY: Record<Poll['state'], QaStringKey> = { draft: 'pollDraft', open: 'pollOpen', closed: 'pollClosed' };

function Remaining({ poll, serverNow }: { poll: Poll; serverNow: number }) {
  const t = useQaT();
  const [now, setNow] = useState(Date.now());
  const [offset] = useState(serverNow - Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, []);
  if (poll.state !== 'open' || poll.closesAt === null) return null;
  const s = Math.max(0, Math.ceil((poll.closesAt - (now + offset)) / 1000));
  return (
    <span className="hint">
      {t('pollRemaining')}: {Math.floor(s / 60)}:{String(s % 60).padStart(2, '0')}
    </span>
  );
}

export function PollResultsView({ poll, results }: { poll: Poll; results: PollResults }) {
  const t = useQaT();
  const provinces = useProvinces();
  const codes = inProvinceOrder(provinces, Object.keys(results.byProvince));
  const pct = (n: number, of: number) => (of > 0 ? Math.round((100 * n) / of) : 0);
  return (
    <div className="poll-results" data-testid="poll-results" data-poll={poll.id}>
      <p className="hint">
        {t('pollTotal')}: {results.voters} {t('pollVoters')}
      </p>
      <ul className="poll-bars">
        {poll.options.map((option, i) => (
          <li key={i}>
            <span className="poll-option">{option}</span>
            <span className="bar" aria-hidden="true">
              <span style={{ width: `${pct(results.counts[i] ?? 0, results.voters)}%` }} />
            </span>
            <span className="poll-count">
              {results.counts[i] ?? 0} ({pct(results.counts[i] ?? 0, results.voters)}%)
            </span>
          </li>
        ))}
      </ul>
      {codes.length > 0 && (
        <div className="table-wrap">
          <table className="poll-provinces" data-testid="poll-by-province">
            <caption>{t('pollByProvince')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('pollByProvince')}</th>
                <th scope="col">{t('pollVoters')}</th>
                {poll.options.map((o, i) => (
                  <th scope="col" key={i}>
                    {o}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {codes.map((c) => (
                <tr key={c} data-province={c}>
                  <th scope="row">{provinces.names.get(c) ?? (c === '--' ? '—' : c)}</th>
                  <td>{results.byProvince[c]!.voters}</td>
                  {poll.options.map((_, i) => (
                    <td key={i}>{results.byProvince[c]!.counts[i] ?? 0}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function PollForm({ api }: { api: QaApi }) {
  const t = useQaT();
  const [question, setQuestion] = useState('');
  const [options, setOptions] = useState(['', '']);
  const [multiple, setMultiple] = useState(false);
  const [duration, setDuration] = useState('');
  const [error, setError] = useState(false);
  const submit = async (e: FormEvent, launch: boolean) => {
    e.preventDefault();
    const opts = options.map((o) => o.trim()).filter(Boolean);
    const d = Number(duration);
    try {
      await api.createPoll({ question: question.trim(), options: opts, multiple, durationS: duration && d >= 10 ? Math.round(d) : null, launch });
      setQuestion('');
      setOptions(['', '']);
      setDuration('');
      setError(false);
    } catch {
      setError(true);
    }
  };
  const valid = question.trim() && options.filter((o) => o.trim()).length >= 2;
  return (
    <form className="poll-form" onSubmit={(e) => void submit(e, false)}>
      <label>
        {t('pollQuestion')}
        <input value={question} maxLength={300} onChange={(e) => setQuestion(e.target.value)} data-testid="poll-question" />
      </label>
      {options.map((o, i) => (
        <label key={i}>
          {t('pollOption')} {i + 1}
          <input
            value={o}
            maxLength={120}
            data-testid={`poll-option-${i}`}
            onChange={(e) => setOptions(options.map((x, j) => (j === i ? e.target.value : x)))}
          />
        </label>
      ))}
      {options.length < 10 && (
        <button type="button" className="link" onClick={() => setOptions([...options, ''])}>
          + {t('pollAddOption')}
        </button>
      )}
      <label className="check">
        <input type="checkbox" checked={multiple} onChange={(e) => setMultiple(e.target.checked)} />
        {t('pollMultiple')}
      </label>
      <label>
        {t('pollDuration')}
        <input type="number" min={10} max={3600} inputMode="numeric" value={duration} onChange={(e) => setDuration(e.target.value)} />
      </label>
      <div className="row">
        <button type="submit" disabled={!valid}>
          {t('pollCreate')}
        </button>
        <button type="button" className="primary" disabled={!valid} data-action="poll-create-launch" onClick={(e) => void submit(e, true)}>
          {t('pollCreateLaunch')}
        </button>
      </div>
      {error && <p className="error">{t('qaError')}</p>}
    </form>
  );
}

export function PollHostPanel({ api }: { api: QaApi }) {
  const t = useQaT();
  const summary = useQaStore((s) => s.polls);
  const [error, setError] = useState(false);
  const act = (p: Promise<void>) => void p.then(() => setError(false)).catch(() => setError(true));
  return (
    <section className="panel poll-panel host" data-testid="poll-host-panel">
      <header>
        <h2>{t('pollTitle')}</h2>
      </header>
      <PollForm api={api} />
      {error && <p className="error">{t('qaError')}</p>}
      {!summary || summary.polls.length === 0 ? (
        <p className="hint">{t('pollNone')}</p>
      ) : (
        <ol className="poll-list">
          {summary.polls.map((poll) => {
            const results = summary.results.find((r) => r.pollId === poll.id);
            return (
              <li key={poll.id} data-poll={poll.id} data-state={poll.state}>
                <p className="qa-text">
                  <strong>{poll.question}</strong> <span className={`qa-tag ${poll.state}`}>{t(STATE_KEY[poll.state])}</span>{' '}
                  <Remaining poll={poll} serverNow={summary.serverNow} />
                </p>
                <div className="row">
                  {poll.state === 'draft' && (
                    <button className="primary" data-action="poll-launch" onClick={() => act(api.pollAction('pollLaunch', poll.id))}>
                      {t('pollLaunch')}
                    </button>
                  )}
                  {poll.state === 'open' && (
                    <button data-action="poll-close" onClick={() => act(api.pollAction('pollClose', poll.id))}>
                      {t('pollClose')}
                    </button>
                  )}
                  {poll.state !== 'draft' && (
                    <button data-action="poll-show" aria-pressed={poll.resultsShown} className={poll.resultsShown ? 'on' : ''} onClick={() => act(api.showPoll(poll.id, !poll.resultsShown))}>
                      {t(poll.resultsShown ? 'pollHide' : 'pollShow')}
                    </button>
                  )}
                </div>
                {results && <PollResultsView poll={poll} results={results} />}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}

export function PollViewerPanel({ api }: { api: QaApi }) {
  const t = useQaT();
  const pub = useQaStore((s) => s.public);
  const current = useQaStore((s) => s.currentPoll);
  const [picked, setPicked] = useState<number[]>([]);
  const [error, setError] = useState(false);
  // The public feed carries the latest state of the poll; the request its own choices.
  const poll = pub?.poll ?? current?.poll ?? null;
  const results = pub?.poll ? pub.results : (current?.results ?? null);
  const mine = current?.poll?.id === poll?.id ? (current?.myChoices ?? null) : null;
  useEffect(() => setPicked([]), [poll?.id]);
  if (!poll) return null;
  const toggle = (i: number) => setPicked(poll.multiple ? (picked.includes(i) ? picked.filter((x) => x !== i) : [...picked, i]) : [i]);
  return (
    <section className="panel poll-panel" data-testid="poll-panel" data-poll={poll.id}>
      <header>
        <h2>{t('pollTitle')}</h2>
        <span className={`qa-tag ${poll.state}`}>{t(STATE_KEY[poll.state])}</span>
        <Remaining poll={poll} serverNow={pub?.serverNow ?? Date.now()} />
      </header>
      <p className="qa-text">
        <strong>{poll.question}</strong>
      </p>
      {poll.state === 'open' && !mine && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void api.votePoll(poll.id, picked).then(() => setError(false)).catch(() => setError(true));
          }}
        >
          <fieldset className="poll-choices">
            <legend className="sr-only">{poll.question}</legend>
            {poll.options.map((o, i) => (
              <label key={i} className="choice">
                <input type={poll.multiple ? 'checkbox' : 'radio'} name={`poll-${poll.id}`} checked={picked.includes(i)} onChange={() => toggle(i)} data-option={i} />
                <span>{o}</span>
              </label>
            ))}
          </fieldset>
          <button type="submit" className="primary" disabled={picked.length === 0} data-action="poll-vote">
            {t('pollVote')}
          </button>
          {error && <p className="error">{t('qaError')}</p>}
        </form>
      )}
      {mine && (
        <p className="hint" data-testid="poll-voted">
          {t('pollVoted')} ({mine.map((i) => poll.options[i]).join(', ')})
        </p>
      )}
      {results ? <PollResultsView poll={poll} results={results} /> : poll.state !== 'draft' && <p className="hint">{t('pollWaitResults')}</p>}
    </section>
  );
}
