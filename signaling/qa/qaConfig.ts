/**
 * Settings of questions, polls and reactions (HOINGHI_QA_*), read with the rest of the
 * configuration (config.ts puts them in `meeting.qa`).
 */
import { z } from 'zod';
import { parseEnv } from '../../common/env';

/** Merged into the node's settings schema (config.ts), so that these names are known there. */
export const qaEnvShape = {
  /** Hosts get question and poll summaries at most this often, ms. Default 500. */
  HOINGHI_QA_SUMMARY_MS: z.coerce.number().int().min(50).max(10_000).default(500),
  /** Everyone gets the public state (pinned question, top questions, poll) at most this often, ms. Default 2000. */
  HOINGHI_QA_PUBLIC_MS: z.coerce.number().int().min(200).max(60_000).default(2_000),
  /** Questions per meeting. Default 20000. */
  HOINGHI_QA_MAX_QUESTIONS: z.coerce.number().int().min(1).max(1_000_000).default(20_000),
  /** Questions per teacher per meeting. Default 10. */
  HOINGHI_QA_MAX_PER_USER: z.coerce.number().int().min(1).max(1_000).default(10),
  /** Questions a teacher may ask: sustained per minute, and burst. Defaults 2 and 3. */
  HOINGHI_QA_ASK_PER_MIN: z.coerce.number().min(0.1).max(600).default(2),
  HOINGHI_QA_ASK_BURST: z.coerce.number().int().min(1).max(100).default(3),
  /** Reactions are counted per interval of this length, ms; the host strip covers the last 10. Default 1000. */
  HOINGHI_REACTION_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
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
