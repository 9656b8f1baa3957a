/** Reactions: teachers' buttons (counted per interval on the server), the host's live strip with "can't hear" by province. */
import { useState } from 'react';
import { REACTION_KINDS, type ReactionKind } from '../../../signaling/protocol/qa';
import { useProvinces } from '../components/useProvinces';
import { byCountThenProvince } from '../state/provinceOrder';
import type { QaApi } from './qaApi';
import { useQaStore } from './qaStore';
import { useQaT } from './qaStrings';
import { MuteIcon, REACTION_ICONS } from './icons';

export function ReactionButtons({ api }: { api: QaApi }) {
  const t = useQaT();
  const [sent, setSent] = useState<ReactionKind | null>(null);
  const react = (kind: ReactionKind) =>
    void api
      .react(kind)
      .then(() => {
        setSent(kind);
        setTimeout(() => setSent((k) => (k === kind ? null : k)), 1500);
      })
      .catch(() => undefined);
  return (
    <div className="reaction-buttons" role="group" aria-label={t('reactTitle')}>
      {REACTION_KINDS.map((kind) => {
        const Icon = REACTION_ICONS[kind];
        return (
          <button key={kind} data-reaction={kind} className={sent === kind ? 'on' : ''} onClick={() => react(kind)}>
            <Icon /> <span>{t(`react_${kind}`)}</span>
          </button>
        );
      })}
      {sent && (
        <span className="hint" role="status">
          {t('reactSent')}
        </span>
      )}
    </div>
  );
}

export function ReactionStripView() {
  const t = useQaT();
  const strip = useQaStore((s) => s.strip);
  const provinces = useProvinces();
  const cantHear = byCountThenProvince(provinces, strip?.cantHearByProvince ?? {});
  return (
    <section className="panel reaction-strip" data-testid="reaction-strip">
      <header>
        <h2>{t('reactStrip')}</h2>
      </header>
      <ul className="strip">
        {REACTION_KINDS.map((kind) => {
          const Icon = REACTION_ICONS[kind];
          return (
            <li key={kind} data-reaction={kind} className={kind === 'cant_hear' && (strip?.totals.cant_hear ?? 0) > 0 ? 'alert' : ''}>
              <Icon /> <span>{t(`react_${kind}`)}</span> <strong>{strip?.totals[kind] ?? 0}</strong>
            </li>
          );
        })}
      </ul>
      <h3>
        <MuteIcon /> {t('reactCantHearBy')}
      </h3>
      {cantHear.length === 0 ? (
        <p className="hint">{t('reactNoCantHear')}</p>
      ) : (
        <ul className="cant-hear">
          {cantHear.map(([code, n]) => (
            <li key={code} data-province={code}>
              {provinces.names.get(code) ?? (code === '--' ? '—' : code)}: <strong>{n}</strong>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
