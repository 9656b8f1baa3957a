/**
 * The produced broadcast on screen (signaling/meeting/production.ts has the rules): a presenter's
 * unmistakable "ON AIR" / "BACKSTAGE" state, the teacher's "starting soon" slate, the stage's
 * videos laid out as the producer chose, and the sign-language interpreter as a picture in
 * picture that a teacher turns on (remembered).
 */
import type { MeetingClient } from '../client/MeetingClient';
import type { ReactNode } from 'react';
import type { CrewRole, StageLayout } from '../../../signaling/protocol/events';
import type { StringKey } from '../i18n/strings';
import { useT } from '../i18n/useT';
import { useStore, type RemoteMedia } from '../state/store';
import { Icon } from './Icon';
import { RemoteVideo } from './Media';
import { useNow } from './useNow';

/** A source's stage key (as the server's stageKey): the publisher, or the publisher's screen. */
export function stageKeyOf(m: Pick<RemoteMedia, 'peerId' | 'source'>): string {
  return m.source === 'screen' ? `${m.peerId}#screen` : m.peerId;
}

export const CREW_LABEL: Record<CrewRole, StringKey> = {
  producer: 'crewProducer',
  presenter: 'crewPresenter',
  interpreter: 'crewInterpreter',
  captioner: 'crewCaptioner',
};

/** Seconds left until a local instant (rounded up), or null when none or past. */
function secondsUntil(at: number | null, now: number): number | null {
  return at === null || at <= now ? null : Math.ceil((at - now) / 1000);
}

/**
 * A presenter's own state in a produced broadcast, in large type: on air (red), or backstage
 * (with why nobody sees them yet), and the countdown to going live. Nothing without backstage:
 * the on-air badge says it then.
 */
export function StageStatus() {
  const t = useT();
  const state = useOwnStage();
  const stage = useStore((s) => s.stage);
  const crew = useStore((s) => s.session?.crewRole ?? null);
  const produces = useStore((s) => s.self?.role === 'host' || s.session?.crewRole === 'producer');
  const now = useNow(250);
  if (!state || !stage) return null;
  const onAir = state === 'on-air';
  const live = stage.liveAtLocal !== null && stage.liveAtLocal <= now;
  const countdown = secondsUntil(stage.liveAtLocal, now);
  return (
    <div className={onAir ? 'stage-status on-air-now' : 'stage-status backstage-now'} data-testid="stage-status" data-state={state} role="status">
      <Icon name={onAir ? 'live' : 'people'} size={22} />
      <strong>{t(onAir ? 'stageOnAir' : 'stageBackstage')}</strong>
      <span>{onAir ? t(crew === 'interpreter' ? 'interpreterOnAirDetail' : 'stageOnAirDetail') : t(produces ? 'stageBackstageDetailProducer' : 'stageBackstageDetail')}</span>
      {countdown !== null ? (
        <span className="stage-countdown" data-testid="stage-countdown">{t('stageCountdown', { s: countdown })}</span>
      ) : (
        !live && <span className="stage-not-live">{t('stageBackstageNotLive')}</span>
      )}
    </div>
  );
}

/**
 * This presenter's own state in a produced broadcast: 'on-air' while the stage is live and one of
 * their sources is on it (an interpreter: while live and sending), else 'backstage'; null without
 * backstage (everything published is on air then).
 */
export function useOwnStage(): 'on-air' | 'backstage' | null {
  const stage = useStore((s) => s.stage);
  const self = useStore((s) => s.self);
  const crew = useStore((s) => s.session?.crewRole ?? null);
  const publishing = useStore((s) => s.publishing);
  const now = useNow(250);
  if (!stage?.backstage || !self) return null;
  const live = stage.liveAtLocal !== null && stage.liveAtLocal <= now;
  const keys = [...(publishing.camera || publishing.mic ? [self.userId] : []), ...(publishing.screen ? [`${self.userId}#screen`] : [])];
  const mine = crew === 'interpreter' ? publishing.camera : keys.some((k) => stage.stage.includes(k));
  return live && mine ? 'on-air' : 'backstage';
}

/**
 * For the backstage's tiles: which sources teachers see now ("đang phát sóng"), which are on the
 * stage waiting for it to go live, and the interpreter; nothing without backstage.
 */
export function useStageNote(): (m: RemoteMedia) => string | undefined {
  const t = useT();
  const production = useStore((s) => s.production);
  const now = useNow(1000);
  return (m) => {
    if (!production?.backstage) return undefined;
    const live = production.liveAtLocal !== null && production.liveAtLocal <= now;
    if (m.stage === 'interpreter') return live ? t('stageLiveNow').toLowerCase() : t('crewInterpreter').toLowerCase();
    if (m.stage !== 'presenter') return undefined;
    if (!production.stage.includes(stageKeyOf(m))) return t('offStage');
    return live ? t('stageLiveNow').toLowerCase() : t('onStage');
  };
}

/** Whether the stage is live now (re-rendering at the end of a countdown); true without backstage. */
export function useStageLive(): boolean {
  const stage = useStore((s) => s.stage);
  const now = useNow(250);
  return !stage?.backstage || (stage.liveAtLocal !== null && stage.liveAtLocal <= now);
}

/** The teacher's "starting soon" slate while a produced broadcast is not live (with the countdown). */
export function Slate() {
  const t = useT();
  const stage = useStore((s) => s.stage);
  const now = useNow(250);
  if (!stage?.backstage) return null;
  const live = stage.liveAtLocal !== null && stage.liveAtLocal <= now;
  if (live) return null;
  const countdown = secondsUntil(stage.liveAtLocal, now);
  return (
    <div className="slate" data-testid="slate" role="status">
      <strong>{t('slateTitle')}</strong>
      <span>{countdown !== null ? t('slateCountdown', { s: countdown }) : t('slateDetail')}</span>
    </div>
  );
}

/**
 * The stage's videos in the producer's order (a teacher receives only what is on air, so the
 * order is all that is left to apply); the rest after them.
 */
export function inStageOrder(videos: RemoteMedia[], order: readonly string[]): RemoteMedia[] {
  const rank = (m: RemoteMedia): number => {
    const at = order.indexOf(stageKeyOf(m));
    return at < 0 ? order.length : at;
  };
  return [...videos].sort((a, b) => rank(a) - rank(b));
}

/** The interpreter's picture over the main video, when turned on and on air. */
export function InterpreterPip({ client }: { client: MeetingClient }) {
  const t = useT();
  const on = useStore((s) => s.interpreterView);
  const media = useStore((s) => s.remote.find((m) => m.stage === 'interpreter' && m.kind === 'video'));
  if (!on || !media) return null;
  return (
    <figure className="interpreter-pip" data-testid="interpreter-pip">
      <RemoteVideo client={client} media={media} />
      <figcaption className="caption">{t('interpreterCaption')}</figcaption>
    </figure>
  );
}

/** A teacher turns the interpreter's picture on or off; says so when turned on with none on air. */
export function InterpreterToggle({ client }: { client: MeetingClient }) {
  const t = useT();
  const on = useStore((s) => s.interpreterView);
  const present = useStore((s) => s.remote.some((m) => m.stage === 'interpreter' && m.kind === 'video'));
  return (
    <>
      <button data-action="interpreter" data-on={on} aria-pressed={on} onClick={() => void client.setInterpreterView(!on)}>
        <Icon name="people" /> {t(on ? 'interpreterToggleOn' : 'interpreterToggle')}
      </button>
      {on && !present && (
        <p className="hint" data-testid="interpreter-waiting" role="status">
          {t('interpreterWaiting')}
        </p>
      )}
    </>
  );
}

/**
 * The stage as teachers see it, in the producer's layout: one large picture (the rest small
 * beside it), two side by side, the second small over the first, or a grid of up to four.
 */
export function ProgramView({ layout, items }: { layout: StageLayout; items: { key: string; node: ReactNode }[] }) {
  const t = useT();
  if (items.length === 0) return <div className="program empty" data-testid="program" data-count={0}>{t('programEmpty')}</div>;
  const large = layout === 'grid' ? items.slice(0, 4) : layout === 'single' ? items.slice(0, 1) : items.slice(0, 2);
  const rest = items.slice(large.length);
  return (
    <div className={`program layout-${layout}`} data-testid="program" data-layout={layout} data-count={large.length}>
      {large.map((i, n) => (
        <div key={i.key} className={n === 1 && layout === 'pip' ? 'program-cell inset' : 'program-cell'} data-stage-key={i.key}>
          {i.node}
        </div>
      ))}
      {rest.length > 0 && (
        <div className="program-rest">
          {rest.map((i) => (
            <div key={i.key} className="program-cell small" data-stage-key={i.key}>
              {i.node}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
