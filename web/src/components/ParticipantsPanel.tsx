/**
 * Hosts: the participant list, searchable by name, school and province, a page at a time (the
 * server filters and pages; a meeting may have a hundred thousand people). A host invites a
 * teacher from here or from the hand queue, never by typing an id; a producer gives crew roles
 * (presenter, interpreter, captioner; producer by hosts only) from here.
 */
import { useEffect, useId, useState } from 'react';
import { useStore } from '../state/store';
import { useT } from '../i18n/useT';
import { errorText } from '../i18n/errors';
import type { MeetingClient } from '../client/MeetingClient';
import type { ParticipantEntry } from '../../../signaling/protocol/events';
import { useProvinces } from './useProvinces';
import { Icon } from './Icon';
import { CREW_ROLES } from '../../../signaling/protocol/production';
import type { CrewRole } from '../../../signaling/protocol/events';
import { useCanProduce } from './ProducerPanel';
import { CREW_LABEL } from './Stage';

const PAGE = 20;

export function ParticipantsPanel({ client, canInvite }: { client: MeetingClient; canInvite: boolean }) {
  const t = useT();
  const provinces = useProvinces();
  const isNational = useStore((s) => s.self?.role === 'host');
  const sessionKey = useStore((s) => s.session?.key ?? 'main');
  // Producers give crew roles from here (ProducerPanel lists the crew).
  const canProduce = useCanProduce() && sessionKey === 'main';
  const isHostSelf = isNational;
  const selfId = useStore((s) => s.self?.userId);
  const crew = useStore((s) => s.production?.crew);
  // Attendance changes trigger a refetch: the province's count for a province host, the meeting's for the national host.
  const viewers = useStore((s) => (s.self?.role === 'province_host' ? s.provinceViewers : s.stats?.viewers) ?? 0);
  const status = useStore((s) => s.status);
  const [query, setQuery] = useState('');
  const [province, setProvince] = useState('');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ entries: ParticipantEntry[]; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [bump, setBump] = useState(0);
  const searchId = useId();
  const provinceId = useId();

  // Refetch on a new search (debounced), a new page, and when attendance changes.
  useEffect(() => {
    if (status !== 'connected') return;
    const id = setTimeout(() => {
      client.participantsPage(query, province || null, offset, PAGE).then(
        (p) => {
          setError(null);
          setPage(p);
        },
        (e: unknown) => setError(errorText(t, e)),
      );
    }, 250);
    return () => clearTimeout(id);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, query, province, offset, viewers, status, bump]);

  const act = (p: Promise<unknown>): void => {
    setError(null);
    p.then(() => setBump((x) => x + 1), (e: unknown) => setError(errorText(t, e)));
  };
  const total = page?.total ?? 0;
  const provinceName = (code: string | null): string => (code ? provinces.names.get(code) ?? code : t('noProvince'));

  return (
    <section className="panel participants" aria-labelledby={`${searchId}-h`}>
      <header>
        <h2 id={`${searchId}-h`}>
          <Icon name="people" /> {t('participants')}
        </h2>
        <span data-testid="participants-total">{total}</span>
      </header>
      <div className="row">
        <label htmlFor={searchId}>{t('searchParticipants')}</label>
        <input
          id={searchId}
          type="search"
          value={query}
          maxLength={64}
          data-testid="participant-search"
          onChange={(e) => {
            setQuery(e.target.value);
            setOffset(0);
          }}
        />
        {isNational && (
          <>
            <label htmlFor={provinceId}>{t('provinceFilter')}</label>
            <select
              id={provinceId}
              value={province}
              onChange={(e) => {
                setProvince(e.target.value);
                setOffset(0);
              }}
            >
              <option value="">{t('anyProvince')}</option>
              {provinces.list.map(({ code, name }) => (
                <option key={code} value={code}>
                  {name}
                </option>
              ))}
            </select>
          </>
        )}
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {page && page.entries.length === 0 && <p className="hint">{t('noParticipants')}</p>}
      <ul className="participant-list">
        {page?.entries.map((p) => {
          const invitable = canInvite && p.role === 'teacher' && p.sessionKey === sessionKey;
          return (
            <li key={p.userId} data-participant={p.userId}>
              <span className="name">
                <strong>{p.name}</strong>
                <small>
                  {p.role === 'teacher' ? provinceName(p.province) : t(p.role === 'host' ? 'roleHost' : 'roleProvinceHost')}
                  {p.school ? ` · ${p.school}` : ''}
                </small>
              </span>
              {canProduce && p.role !== 'host' && p.userId !== selfId && (
                <select
                  data-action="crew-role"
                  aria-label={`${t('assignRole')}: ${p.name}`}
                  value={crew?.[p.userId]?.role ?? ''}
                  onChange={(e) => act(client.setCrew(p.userId, (e.target.value || null) as CrewRole | null))}
                >
                  <option value="">{t('noRole')}</option>
                  {CREW_ROLES.filter((r) => r !== 'producer' || isHostSelf || crew?.[p.userId]?.role === 'producer').map((r) => (
                    <option key={r} value={r}>
                      {t(CREW_LABEL[r])}
                    </option>
                  ))}
                </select>
              )}
              {invitable && (
                <>
                  <button data-action="invite" onClick={() => act(client.inviteSpeaker(p.userId, false))}>
                    <Icon name="mic" /> {t('invite')}
                  </button>
                  <button data-action="invite-video" onClick={() => act(client.inviteSpeaker(p.userId, true))}>
                    <Icon name="camera" /> {t('inviteVideo')}
                  </button>
                </>
              )}
            </li>
          );
        })}
      </ul>
      {total > PAGE && (
        <nav className="pager" aria-label={t('participants')}>
          <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            {t('prevPage')}
          </button>
          <span>{t('pageOf', { from: offset + 1, to: Math.min(total, offset + PAGE), total })}</span>
          <button disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>
            {t('nextPage')}
          </button>
        </nav>
      )}
    </section>
  );
}

/** Hosts: the last invitation that was declined, until dismissed. */
export function DeclinedNotice() {
  const t = useT();
  const declined = useStore((s) => s.declined);
  const setDeclined = useStore((s) => s.setDeclined);
  if (!declined) return null;
  return (
    <p className="notice declined" role="status" data-declined={declined.userId}>
      <span>{t('inviteDeclined', { name: declined.name })}</span>
      <button className="icon-button" aria-label={t('dismiss')} onClick={() => setDeclined(null)}>
        <Icon name="close" />
      </button>
    </p>
  );
}
