/**
 * zod schemas of the audience-interaction events (questions, polls, reactions), spread into
 * `clientEventSchemas`. Texts are capped in characters and in UTF-8 bytes (Vietnamese letters take
 * two or three bytes), trimmed, and kept as plain text.
 */
import { z } from 'zod';
import { REACTION_KINDS } from './qa';

/** Largest question, in characters and in UTF-8 bytes. */
export const QUESTION_MAX_CHARS = 500;
export const QUESTION_MAX_BYTES = 1_200;
export const POLL_TEXT_MAX_CHARS = 300;
export const POLL_OPTION_MAX_CHARS = 120;
export const POLL_MAX_OPTIONS = 10;

const encoder = new TextEncoder();
const text = (chars: number, bytes: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(chars)
    .refine((s) => encoder.encode(s).length <= bytes, { message: `longer than ${bytes} bytes` })
    // Control characters (other than line breaks and tabs) have no place in a question.
    .refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s), { message: 'control characters' });

const questionId = z.string().regex(/^q[0-9]{1,9}$/);
const pollId = z.string().regex(/^p[0-9]{1,9}$/);
const province = z.string().regex(/^([0-9]{2}|--)$/);

export const qaEventSchemas = {
  /** A teacher asks a question (rate-limited; at most HOINGHI_QA_MAX_PER_USER each). */
  qaAsk: z.strictObject({ text: text(QUESTION_MAX_CHARS, QUESTION_MAX_BYTES) }),
  /** A teacher votes for someone else's question: once (a second vote changes nothing). */
  qaVote: z.strictObject({ questionId }),
  /** Session host: mark answered (or not), hide (or show again). */
  qaModerate: z.strictObject({ questionId, action: z.enum(['answer', 'unanswer', 'hide', 'unhide']) }),
  /** National host: pin a question on everyone's screen, or unpin (null). */
  qaPin: z.strictObject({ questionId: questionId.nullable() }),
  /** Host: what their summaries show (order, province filter, hidden ones too). */
  qaWatch: z.strictObject({ sort: z.enum(['top', 'new']), province: province.nullable().default(null), includeHidden: z.boolean().default(true) }),
  /** Anyone: a page of the approved (not hidden) questions, with the ones they voted for. */
  qaList: z.strictObject({
    sort: z.enum(['top', 'new']).default('top'),
    offset: z.number().int().min(0).max(1_000_000).default(0),
    limit: z.number().int().min(1).max(50).default(20),
  }),
  /** Anyone: their own questions (with their state). */
  qaMine: z.strictObject({}),
  /** National host: prepare a poll (launched later, or at once with `launch`). */
  pollCreate: z.strictObject({
    question: text(POLL_TEXT_MAX_CHARS, 900),
    options: z.array(text(POLL_OPTION_MAX_CHARS, 400)).min(2).max(POLL_MAX_OPTIONS),
    multiple: z.boolean().default(false),
    durationS: z.number().int().min(10).max(3600).nullable().default(null),
    launch: z.boolean().default(false),
  }),
  pollLaunch: z.strictObject({ pollId }),
  pollClose: z.strictObject({ pollId }),
  /** National host: show (or stop showing) a poll's results to everyone. */
  pollShow: z.strictObject({ pollId, shown: z.boolean() }),
  /** A teacher votes once: one choice, or several in a multiple-choice poll. */
  pollVote: z.strictObject({
    pollId,
    choices: z.array(z.number().int().min(0).max(POLL_MAX_OPTIONS - 1)).min(1).max(POLL_MAX_OPTIONS),
  }),
  /** Anyone: the current poll as everyone sees it, and their own choices. */
  pollCurrent: z.strictObject({}),
  /** A teacher's reaction: counted per interval, never relayed one by one. */
  react: z.strictObject({ kind: z.enum(REACTION_KINDS) }),
} as const;

export const QA_MAX_EVENT_BYTES: Record<keyof typeof qaEventSchemas, number> = {
  qaAsk: 4_096,
  qaVote: 128,
  qaModerate: 160,
  qaPin: 128,
  qaWatch: 160,
  qaList: 160,
  qaMine: 64,
  pollCreate: 16_384,
  pollLaunch: 128,
  pollClose: 128,
  pollShow: 128,
  pollVote: 256,
  pollCurrent: 64,
  react: 64,
};
