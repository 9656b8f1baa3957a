/**
 * A scheduled meeting as the API and the web client see it. Shared with web/ (types and zod only).
 */
import { z } from 'zod';
import { provinceByCode } from '../data/provinces';

/** Where a scheduled meeting is in its life (the API calls it `state`). */
export const MEETING_PHASES = ['scheduled', 'open', 'live', 'ended'] as const;
export type MeetingPhase = (typeof MEETING_PHASES)[number];

/** One of the 34 provinces (an unknown code would break the database's reference, not answer 400). */
const provinceCode = z
  .string()
  .regex(/^[0-9]{2}$/)
  .refine((c) => provinceByCode(c) !== undefined, 'unknown province code');
/** Text the database can store: no NUL (PostgreSQL text refuses it) nor other control characters. */
const noControl = (s: string): boolean => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(s);
const plainText = (max: number) => z.string().max(max).refine(noControl, 'control characters are not allowed');
const schoolCode = plainText(32).pipe(z.string().min(1));

export const audienceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('country') }),
  z.object({ kind: z.literal('provinces'), provinces: z.array(provinceCode).min(1).max(34) }),
  z.object({ kind: z.literal('schools'), schools: z.array(schoolCode).min(1).max(5_000) }),
]);
export type Audience = z.infer<typeof audienceSchema>;

export const breakoutPlanSchema = z.object({
  provinces: z.array(provinceCode).max(34).default([]),
  durationMin: z.number().int().min(0).max(240).default(0),
});
export type BreakoutPlan = z.infer<typeof breakoutPlanSchema>;

/**
 * Times a meeting may be at: ISO 8601 with an offset, within years the database and every client
 * hold the same way (year 0000 is not a PostgreSQL date; year 9999 plus an offset overflows).
 */
export const EARLIEST_TIME = Date.UTC(2000, 0, 1);
export const LATEST_TIME = Date.UTC(2100, 0, 1);
const isoTime = z.iso
  .datetime({ offset: true })
  .refine((s) => {
    const t = Date.parse(s);
    return t >= EARLIEST_TIME && t < LATEST_TIME;
  }, 'must be between 2000-01-01 and 2100-01-01');

export const meetingInputSchema = z
  .object({
    title: plainText(200).pipe(z.string().trim().min(1)),
    agenda: z.string().max(5000).refine((s) => !s.includes('\u0000'), 'NUL characters are not allowed').default(''),
    startsAt: isoTime,
    endsAt: isoTime,
    audience: audienceSchema,
    coHosts: z.array(plainText(64).pipe(z.string().min(1))).max(20).default([]),
    breakoutPlan: breakoutPlanSchema.default({ provinces: [], durationMin: 0 }),
  })
  .refine((m) => Date.parse(m.endsAt) > Date.parse(m.startsAt), { message: 'endsAt must be after startsAt', path: ['endsAt'] })
  .refine((m) => Date.parse(m.endsAt) - Date.parse(m.startsAt) <= 24 * 3600_000, { message: 'a meeting lasts at most 24 h', path: ['endsAt'] });
export type MeetingInput = z.infer<typeof meetingInputSchema>;

export interface MeetingInfo {
  id: string;
  title: string;
  agenda: string;
  startsAt: string;
  endsAt: string;
  audience: Audience;
  ownerProvince: string | null;
  createdBy: string;
  coHosts: string[];
  breakoutPlan: BreakoutPlan;
  /** The state now (a scheduled meeting whose start has come is open). */
  state: MeetingPhase;
  openedAt: string | null;
  endedAt: string | null;
}

/** What one user may do with one meeting (computed by the server). */
export interface MeetingRights {
  join: boolean;
  manage: boolean;
  dashboard: boolean;
}

/** A meeting in a list, with what the caller may do with it. */
export type MeetingListItem = MeetingInfo & { rights: MeetingRights };

/**
 * GET /api/meetings: every meeting happening now (open or live), then the first page of upcoming
 * (soonest first) and past (latest first) meetings; `next` holds the cursors of their next pages
 * (GET /api/meetings?state=upcoming|ended&cursor=…), null when there is no more.
 */
export interface MeetingListsAnswer {
  live: MeetingListItem[];
  upcoming: MeetingListItem[];
  past: MeetingListItem[];
  next: { upcoming: string | null; past: string | null };
}

/** GET /api/meetings?state=…: one page of one list. */
export interface MeetingPageAnswer {
  state: 'live' | 'upcoming' | 'ended';
  meetings: MeetingListItem[];
  next: string | null;
}
