/**
 * Settings of questions, polls and reactions (`HOINGHI_QA_*`, `HOINGHI_REACTION_INTERVAL_MS`),
 * read with the rest of the configuration (config.ts puts them in `meeting.qa`).
 */
import { z } from 'zod';
import { parseEnv, settingDocs } from '../../common/env';

/** Merged into the signaling process's settings schema (config.ts), so that these names are known there. */
export const qaEnvShape = {
  HOINGHI_QA_SUMMARY_MS: z.coerce
    .number()
    .int()
    .min(50)
    .max(10_000)
    .default(500)
    .register(settingDocs, { doc: 'Hosts get question and poll summaries at most this often, ms (one summary, not an event per question).' }),
  HOINGHI_QA_PUBLIC_MS: z.coerce
    .number()
    .int()
    .min(200)
    .max(60_000)
    .default(2_000)
    .register(settingDocs, { doc: 'Everyone gets the public state (pinned question, top questions, poll) at most this often, ms.' }),
  HOINGHI_QA_MAX_QUESTIONS: z.coerce.number().int().min(1).max(1_000_000).default(20_000).register(settingDocs, { doc: 'Questions per meeting.' }),
  HOINGHI_QA_MAX_PER_USER: z.coerce.number().int().min(1).max(1_000).default(10).register(settingDocs, { doc: 'Questions per teacher per meeting.' }),
  HOINGHI_QA_ASK_PER_MIN: z.coerce.number().min(0.1).max(600).default(2).register(settingDocs, { doc: 'Questions a teacher may ask per minute, sustained.' }),
  HOINGHI_QA_ASK_BURST: z.coerce.number().int().min(1).max(100).default(3).register(settingDocs, { doc: 'Questions a teacher may ask in a burst, above the sustained rate.' }),
  HOINGHI_REACTION_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(1_000)
    .register(settingDocs, { doc: 'Reactions are counted per interval of this length, ms; the host\'s strip shows the last 10 intervals.' }),
};
const qaEnvSchema = z.object(qaEnvShape);

export interface QaOptions {
  summaryIntervalMs: number;
  publicIntervalMs: number;
  maxQuestions: number;
  maxPerUser: number;
  askPerMin: number;
  askBurst: number;
  reactionIntervalMs: number;
  /** Intervals in the reaction strip. */
  reactionWindow: number;
  /** Questions in a host summary's head, and in the public top. */
  hostHead: number;
  publicTop: number;
}

export const DEFAULT_QA_OPTIONS: QaOptions = loadQaOptions({});

export function loadQaOptions(env: NodeJS.ProcessEnv): QaOptions {
  const own = Object.fromEntries(Object.entries(env).filter(([k]) => Object.hasOwn(qaEnvShape, k)));
  const e = parseEnv(qaEnvSchema, own);
  return {
    summaryIntervalMs: e.HOINGHI_QA_SUMMARY_MS,
    publicIntervalMs: e.HOINGHI_QA_PUBLIC_MS,
    maxQuestions: e.HOINGHI_QA_MAX_QUESTIONS,
    maxPerUser: e.HOINGHI_QA_MAX_PER_USER,
    askPerMin: e.HOINGHI_QA_ASK_PER_MIN,
    askBurst: e.HOINGHI_QA_ASK_BURST,
    reactionIntervalMs: e.HOINGHI_REACTION_INTERVAL_MS,
    reactionWindow: 10,
    hostHead: 30,
    publicTop: 5,
  };
}
