/**
 * The host's hand queue: totals and per-province counts from the throttled summary, and a
 * virtualised list that scrolls through any number of entries (the first ones come with the
 * summary, the rest are fetched a page at a time as they scroll into view).
 */
import { useEffect, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useStore } from '../state/store';
import { useT } from '../i18n/useT';
import type { MeetingClient } from '../client/MeetingClient';
import type { HandEntry } from '../../../signaling/protocol/events';
import { useProvinces } from './useProvinces';
import { byCountThenProvince } from '../state/provinceOrder';
import { ConfirmDialog } from './ConfirmDialog';
import { Icon } from './Icon';
import { errorText } from '../i18n/errors';

const PAGE = 100;
/** Two lines a row: who (and how long they have waited), then the host's actions. */
const ROW_PX = 100;

function waitingText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}:${String(s % 60).padStart(2, '0')}` : `${s}s`;
}

export function HandQueuePanel({ client }: { client: MeetingClient }) {
  const t = useT();
  const summary = useStore((s) => s.handSummary);
  const provinces = useProvinces();
  const [pages, setPages] = useState<Map<number, HandEntry[]>>(new Map());
  const loading = useRef(new Set<number>());
  const [, tick] = useState(0);
  const scrollRef = useRef<HTMLDivElement>(null);
  const total = summary?.total ?? 0;
  const [error, setError] = useState<string | null>(null);
  /** "Lower all" was pressed: the confirmation is shown. */
  const [confirmLower, setConfirmLower] = useState(false);
  const act = (p: Promise<unknown>): void => {
    setError(null);
    p.catch((e: unknown) => setError(errorText(t, e)));
  };

  // Pages beyond the head go stale when the queue changes; refetch them as needed.
  useEffect(() => {
    setPages(new Map());
    loading.current.clear();
  }, [summary?.seq]);
  // Waiting times move on.
  useEffect(() => {
    const id = setInterval(() => tick((x) => x + 1), 1000);
    return () => clearInterval(id);
  }, []);

  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_PX,
    overscan: 10,
  });
  const items = virtualizer.getVirtualItems();

  const entryAt = (index: number): HandEntry | undefined => {
    if (summary && index < summary.head.length) return summary.head[index];
    return pages.get(Math.floor(index / PAGE))?.[index % PAGE];
  };

  useEffect(() => {
    for (const item of items) {
      if (entryAt(item.index)) continue;
      const page = Math.floor(item.index / PAGE);
      if (loading.current.has(page)) continue;
      loading.current.add(page);
      client
        .handQueuePage(page * PAGE, PAGE)
        .then(({ entries }) => setPages((prev) => new Map(prev).set(page, entries)))
        .catch(() => loading.current.delete(page));
    }
  });

  const skew = summary ? summary.serverNow - summary.receivedAt : 0;
  const provinceName = (code: string | null): string => (code ? provinces.names.get(code) ?? code : t('noProvince'));
  const counts = byCountThenProvince(provinces, summary?.byProvince ?? {});

  return (
    <section className="panel hand-queue" id="hand-queue" tabIndex={-1} aria-labelledby="hand-queue-h">
      <header>
        <h2 id="hand-queue-h">
          <Icon name="hand" /> {t('handQueue')}
        </h2>
        <span className="count">
          <span className="big" data-testid="hand-total">{total}</span> {t('handsTotal')}
        </span>
        <span className="spacer" />
        <button data-action="lower-all" disabled={total === 0} onClick={() => setConfirmLower(true)}>
          {t('lowerAll')}
        </button>
      </header>
      {confirmLower && total > 0 && (
        <ConfirmDialog
          id="lower-all"
          title={t('lowerAllAsk')}
          text={t('lowerAllConsequence', { n: total })}
          confirm={t('lowerAll')}
          onCancel={() => setConfirmLower(false)}
          onConfirm={() => {
            setConfirmLower(false);
            act(client.lowerHands({ scope: 'all' }));
          }}
        />
      )}
      {counts.length > 0 && (
        <details className="by-province">
          <summary>{t('byProvince')}</summary>
          <ul>
            {counts.map(([code, n]) => (
              <li key={code} data-province={code}>
                {provinceName(code === '--' ? null : code)}: <strong>{n}</strong>{' '}
                <button className="link" onClick={() => void client.lowerHands({ scope: 'province', province: code })}>
                  {t('lowerProvince')}
                </button>
              </li>
            ))}
          </ul>
        </details>
      )}
      {error && <p className="error" role="alert">{error}</p>}
      {total === 0 && <p className="hint">{t('noHands')}</p>}
      <div ref={scrollRef} className="queue-scroll" tabIndex={0} role="region" aria-label={t('handQueue')}>
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const e = entryAt(item.index);
            return (
              <div
                key={item.key}
                className="queue-row"
                data-user-id={e?.userId}
                style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW_PX, transform: `translateY(${item.start}px)` }}
              >
                <span className="pos">{item.index + 1}</span>
                {e ? (
                  <>
                    <span className="name">
                      <strong>{e.name}</strong>
                      <small>
                        {provinceName(e.province)}
                        {e.school ? ` · ${e.school}` : ''}
                      </small>
                    </span>
                    <span className="wait">
                      {t('waiting')} {waitingText(Date.now() + skew - e.raisedAt)}
                    </span>
                    <span className="actions">
                      <button data-action="invite" onClick={() => act(client.inviteSpeaker(e.userId, false))}>
                        <Icon name="mic" /> {t('invite')}
                      </button>
                      <button data-action="invite-video" onClick={() => act(client.inviteSpeaker(e.userId, true))}>
                        <Icon name="camera" /> {t('inviteVideo')}
                      </button>
                      <button className="link" onClick={() => void client.lowerHands({ scope: 'user', userId: e.userId })}>
                        {t('lower')}
                      </button>
                    </span>
                  </>
                ) : (
                  <span className="name">…</span>
                )}
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}

/** Invited and current speakers, with mute and revoke. */
export function SpeakersPanel({ client }: { client: MeetingClient }) {
  const t = useT();
  const speakers = useStore((s) => s.speakers);
  const provinces = useProvinces();
  if (speakers.length === 0) return null;
  return (
    <section className="panel speakers">
      <h2>{t('speakers')}</h2>
      <ul>
        {speakers.map((s) => (
          <li key={s.userId} data-speaker={s.userId} data-state={s.state}>
            <strong>{s.name}</strong> <small>{s.province ? provinces.names.get(s.province) ?? s.province : ''}</small>{' '}
            <em>{t(s.state === 'speaking' ? 'speaking' : 'invited')}</em>
            {s.state === 'speaking' && (
              <button onClick={() => void client.muteSpeaker(s.userId, !s.muted).catch(() => undefined)}>{t(s.muted ? 'unmute' : 'mute')}</button>
            )}
            <button data-action="revoke" onClick={() => void client.revokeSpeaker(s.userId).catch(() => undefined)}>
              {t('revoke')}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
