/**
 * The producer's controls (hosts and crew producers): backstage on or off, every presenter's
 * source with its place on or off the stage, the layout, going live after a countdown or now, back
 * to the slate, what teachers see now (the program), and the crew. Each button is one action the
 * server applies and every presenter then sees (signaling/meeting/productionFlow.ts); each has its
 * reverse beside it.
 */
import { useState } from 'react';
import type { MeetingClient } from '../client/MeetingClient';
import type { StageLayout } from '../../../signaling/protocol/events';
import type { StringKey } from '../i18n/strings';
import { errorText } from '../i18n/errors';
import { useT } from '../i18n/useT';
import { useStore, type RemoteMedia } from '../state/store';
import { useShallow } from 'zustand/react/shallow';
import { ClipPicker } from './ClipPicker';
import { ConfirmDialog } from './ConfirmDialog';
import { Icon } from './Icon';
import { LocalPreview, RemoteVideo } from './Media';
import { CREW_LABEL, ProgramView, stageKeyOf } from './Stage';
import { useNow } from './useNow';

const LAYOUTS: { layout: StageLayout; label: StringKey }[] = [
  { layout: 'single', label: 'layoutSingle' },
  { layout: 'sideBySide', label: 'layoutSideBySide' },
  { layout: 'pip', label: 'layoutPip' },
  { layout: 'grid', label: 'layoutGrid' },
];

/** One source a producer can put on the stage: someone's camera (with microphone), or their screen. */
interface StageSource {
  key: string;
  name: string;
  screen: boolean;
  /** A remote video to preview (absent: this producer's own, or audio only). */
  video?: RemoteMedia;
  own: boolean;
}

/** Whether this participant produces (hosts and crew producers). */
export function useCanProduce(): boolean {
  return useStore((s) => s.self?.role === 'host' || s.session?.crewRole === 'producer');
}

export function ProducerPanel({ client }: { client: MeetingClient }) {
  const t = useT();
  const production = useStore((s) => s.production);
  const self = useStore((s) => s.self);
  const publishing = useStore(useShallow((s) => s.publishing));
  const remote = useStore(useShallow((s) => s.remote));
  const [error, setError] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<'backstageOff' | 'endLive' | null>(null);
  const now = useNow(250);
  if (!production || !self) return null;
  const act = (p: Promise<unknown>): void => {
    setError(null);
    p.catch((e: unknown) => setError(errorText(t, e)));
  };
  // Every presenter's source: the remote ones the backstage receives, and this producer's own.
  const sources = new Map<string, StageSource>();
  if (publishing.camera || publishing.mic) sources.set(self.userId, { key: self.userId, name: self.name, screen: false, own: true });
  if (publishing.screen) sources.set(`${self.userId}#screen`, { key: `${self.userId}#screen`, name: self.name, screen: true, own: true });
  for (const m of remote) {
    if (m.stage !== 'presenter') continue;
    const key = stageKeyOf(m);
    const known = sources.get(key);
    if (!known || (!known.video && m.kind === 'video')) sources.set(key, { key, name: m.peerName, screen: m.source === 'screen', own: false, ...(m.kind === 'video' ? { video: m } : {}) });
  }
  const onStage = production.stage;
  const listed = [...sources.values()].sort((a, b) => rank(onStage, a.key) - rank(onStage, b.key));
  const live = production.liveAtLocal !== null && production.liveAtLocal <= now;
  const counting = production.liveAtLocal !== null && !live;
  const crew = Object.entries(production.crew);
  return (
    <section className="panel producer-panel" aria-labelledby="producer-h" data-testid="producer-panel" data-backstage={production.backstage} data-live={live}>
      <header>
        <h2 id="producer-h">
          <Icon name="live" /> {t('producerTitle')}
        </h2>
        <span className={live ? 'live-pill on' : 'live-pill'} data-testid="producer-live">
          {t(live ? 'stageLiveNow' : 'stageNotLive')}
        </span>
      </header>
      <p className="hint">{t(production.backstage ? 'backstageOn' : 'backstageOff')}</p>
      {error && <p className="error" role="alert">{error}</p>}
      <div className="row">
        {production.backstage ? (
          <button data-action="backstage-off" onClick={() => setConfirm('backstageOff')}>
            {t('turnBackstageOff')}
          </button>
        ) : (
          <button data-action="backstage-on" onClick={() => act(client.updateStage({ type: 'backstage', on: true }))}>
            {t('turnBackstageOn')}
          </button>
        )}
      </div>
      {production.backstage && (
        <>
          <div className="row go-live">
            {live ? (
              <button data-action="end-live" className="danger" onClick={() => setConfirm('endLive')}>
                {t('endLive')}
              </button>
            ) : counting ? (
              <>
                <span className="stage-countdown" data-testid="producer-countdown">
                  {t('stageCountdown', { s: Math.ceil((production.liveAtLocal! - now) / 1000) })}
                </span>
                <button data-action="cancel-countdown" onClick={() => act(client.updateStage({ type: 'endLive' }))}>
                  {t('cancelCountdown')}
                </button>
              </>
            ) : (
              <>
                <button data-action="go-live-10" className="primary" onClick={() => act(client.updateStage({ type: 'goLive', inS: 10 }))}>
                  {t('goLiveIn')}
                </button>
                <button data-action="go-live-now" onClick={() => act(client.updateStage({ type: 'goLive', inS: 0 }))}>
                  {t('goLiveNow')}
                </button>
              </>
            )}
          </div>
          <h3>{t('programPreview')}</h3>
          <div className={live ? 'program-frame live' : 'program-frame'}>
            <ProgramView
              layout={production.layout}
              items={onStage.flatMap((key) => {
                const src = sources.get(key);
                if (!src) return [];
                const node = src.own ? <LocalPreview client={client} source={src.screen ? 'screen' : 'camera'} /> : src.video ? <RemoteVideo client={client} media={src.video} /> : null;
                return node ? [{ key, node }] : [];
              })}
            />
          </div>
          <fieldset className="row layouts">
            <legend>{t('layout')}</legend>
            {LAYOUTS.map(({ layout, label }) => (
              <label key={layout}>
                <input
                  type="radio"
                  name="stage-layout"
                  value={layout}
                  checked={production.layout === layout}
                  onChange={() => act(client.updateStage({ type: 'layout', layout }))}
                />{' '}
                {t(label)}
              </label>
            ))}
          </fieldset>
          <h3>{t('stageSources')}</h3>
          {listed.length === 0 && <p className="hint">{t('noStageSources')}</p>}
          <ul className="stage-sources">
            {listed.map((src) => {
              const at = onStage.indexOf(src.key);
              return (
                <li key={src.key} data-stage-key={src.key} data-on-stage={at >= 0}>
                  <span className="stage-source-preview">
                    {src.own ? <LocalPreview client={client} source={src.screen ? 'screen' : 'camera'} /> : src.video ? <RemoteVideo client={client} media={src.video} /> : <Icon name="mic" />}
                  </span>
                  <span className="name">
                    <strong>
                      {src.name}
                      {src.own ? ` (${t('you')})` : ''}
                    </strong>
                    <small>
                      <Icon name={src.screen ? 'screen' : 'camera'} size={14} /> {t(src.screen ? 'sourceScreen' : 'sourceCamera')} ·{' '}
                      {at >= 0 ? `${at + 1}. ${t('onStage')}` : t('offStage')}
                    </small>
                  </span>
                  {at >= 0 ? (
                    <>
                      {at > 0 && (
                        <button data-action="move-up" onClick={() => act(client.updateStage({ type: 'move', key: src.key, to: at - 1 }))}>
                          {t('moveUp')}
                        </button>
                      )}
                      <button data-action="take-off" onClick={() => act(client.updateStage({ type: 'put', key: src.key, on: false }))}>
                        {t('takeOffStage')}
                      </button>
                    </>
                  ) : (
                    <button data-action="put-on" className="primary" onClick={() => act(client.updateStage({ type: 'put', key: src.key, on: true }))}>
                      {t('putOnStage')}
                    </button>
                  )}
                </li>
              );
            })}
          </ul>
        </>
      )}
      <ClipPicker client={client} backstage={production.backstage} />
      <h3>{t('crewTitle')}</h3>
      {crew.length === 0 ? (
        <p className="hint">{t('crewEmpty')}</p>
      ) : (
        <ul className="crew-list">
          {crew.map(([userId, member]) => (
            <li key={userId} data-crew={userId} data-role={member.role}>
              <span className="name">
                <strong>{member.name}</strong> <small>{t(CREW_LABEL[member.role])}</small>
              </span>
              {(self.role === 'host' || member.role !== 'producer') && userId !== self.userId && (
                <button className="icon-button" aria-label={t('crewRemove', { name: member.name })} onClick={() => act(client.setCrew(userId, null))}>
                  <Icon name="close" />
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {confirm === 'backstageOff' && (
        <ConfirmDialog
          id="backstage-off"
          title={t('turnBackstageOff')}
          text={t('confirmBackstageOff')}
          confirm={t('turnBackstageOff')}
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            setConfirm(null);
            act(client.updateStage({ type: 'backstage', on: false }));
          }}
        />
      )}
      {confirm === 'endLive' && (
        <ConfirmDialog
          id="end-live"
          title={t('endLive')}
          text={t('confirmEndLive')}
          confirm={t('endLive')}
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            setConfirm(null);
            act(client.updateStage({ type: 'endLive' }));
          }}
        />
      )}
    </section>
  );
}

function rank(order: readonly string[], key: string): number {
  const at = order.indexOf(key);
  return at < 0 ? order.length : at;
}
