/**
 * zod schemas of the caption events, spread into `clientEventSchemas`. The text is normalised
 * (captionText.ts: NFC, control characters stripped, one line) before its length is
 * checked: the handler only ever sees the normalised text.
 */
import { z } from 'zod';
import { CAPTION_MAX_CHARS } from './captions';
import { captionFits, normalizeCaption } from './captionText';

/** Raw text before normalisation: generous (stripped characters), still bounded. */
const RAW_MAX = CAPTION_MAX_CHARS * 4;
export const CAPTION_ID = /^[A-Za-z0-9_-]{1,40}$/;

const captionText = (min: number) =>
  z
    .string()
    .max(RAW_MAX)
    .transform(normalizeCaption)
    .refine((s) => s.length >= min, { message: 'empty caption' })
    .refine(captionFits, { message: `longer than ${CAPTION_MAX_CHARS} characters` });

/** How long the captioner has been typing the line, ms (the line's start, measured by the server's clock). */
const typingMs = z.number().int().min(0).max(120_000).default(0);

export const captionEventSchemas = {
  /** Captioner: the line being typed (throttled to the audience; empty text clears it). */
  captionInterim: z.strictObject({ id: z.string().regex(CAPTION_ID), text: captionText(0), typingMs }),
  /**
   * Captioner: a finished line (`revision` 0), or a correction of one of the last lines
   * (`revision` = the line's current revision + 1). Always delivered, kept in the transcript.
   */
  captionFinal: z.strictObject({ id: z.string().regex(CAPTION_ID), text: captionText(1), revision: z.number().int().min(0).max(10_000).default(0), typingMs }),
  /** Anyone joined: the last few lines (late joiners, or captions just turned on). */
  captionsRecent: z.strictObject({}),
} as const;

export const CAPTION_MAX_EVENT_BYTES: Record<keyof typeof captionEventSchemas, number> = {
  captionInterim: 12_288,
  captionFinal: 12_288,
  captionsRecent: 64,
};
