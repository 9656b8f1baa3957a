/**
 * The produced broadcast as this page knows it (signaling/meeting/production.ts is the server's
 * rules): the stage every participant is told (backstage, live or the "starting soon" slate, what
 * is on it and how it is laid out), the whole production the backstage is told (crew, stage,
 * version), and a teacher's own choice to see the sign-language interpreter (kept across visits).
 * Server times are turned into this page's clock once, when they arrive.
 */
import type { StateCreator } from 'zustand';
import type { ProductionView, StageView } from '../../../signaling/protocol/events';

const INTERPRETER_KEY = 'hoinghi.interpreterView';

/** A server instant (ms) in this page's clock, from the server's `serverNow` at arrival. */
function localTime(at: number | null, serverNow: number): number | null {
  return at === null ? null : at - serverNow + Date.now();
}

export interface StageSlice {
  /** The stage (null until told); `liveAtLocal`: when it goes or went live, in this page's clock. */
  stage: (StageView & { liveAtLocal: number | null }) | null;
  setStage: (stage: StageView | null) => void;
  /** The backstage only: the crew and the stage (null elsewhere). */
  production: (ProductionView & { liveAtLocal: number | null }) | null;
  setProduction: (production: ProductionView | null) => void;
  /** Show the sign-language interpreter beside the speaker (off by default). */
  interpreterView: boolean;
  setInterpreterView: (on: boolean) => void;
}

export const createStageSlice: StateCreator<StageSlice, [], [], StageSlice> = (set) => ({
  stage: null,
  setStage: (stage) => set({ stage: stage && { ...stage, liveAtLocal: localTime(stage.liveAt, stage.serverNow) } }),
  production: null,
  setProduction: (production) => set({ production: production && { ...production, liveAtLocal: localTime(production.liveAt, production.serverNow) } }),
  interpreterView: typeof localStorage !== 'undefined' && localStorage.getItem(INTERPRETER_KEY) === '1',
  setInterpreterView: (interpreterView) => {
    localStorage.setItem(INTERPRETER_KEY, interpreterView ? '1' : '0');
    set({ interpreterView });
  },
});
