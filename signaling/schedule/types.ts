/**
 * A scheduled meeting as the API and the web client see it. Shared with web/ (types and zod only).
 */
import { z } from 'zod';

/** Where a scheduled meeting is in its life (the API calls it `state`). */
export const MEETING_PHASES = ['scheduled', 'open', 'live', 'ended'] as const;
export type MeetingPhase = (typeof MEETING_PHASES)[number];

const provinceCode = z.string().regex(/^[0-9]{2}$/);
const schoolCode = z.string().min(1).max(32);

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

const isoTime = z.iso.datetime({ offset: true });

export const meetingInputSchema = z
  .object({
    title: z.string().trim().min(1).max(200),
    agenda: z.string().max(5000).default(''),
    startsAt: isoTime,
    endsAt: isoTime,
    audience: audienceSchema,
    coHosts: z.array(z.string().min(1).max(64)).max(20).default([]),
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
