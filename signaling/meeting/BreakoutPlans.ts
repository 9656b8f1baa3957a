/**
 * Where a meeting's breakout plan comes from when the national host starts breakouts without
 * saying which provinces or for how long: the scheduled meeting's plan (the database's
 * `MeetingRepo`, signaling/schedule/breakoutPlanSource.ts), or none for a node without a database.
 */
export interface PlannedBreakouts {
  /** The provinces that split out; empty: every province. */
  provinces: string[];
  /** Minutes; 0: no time limit. */
  durationMin: number;
}

export interface BreakoutPlans {
  plan(meetingId: string): Promise<PlannedBreakouts | null>;
}

export const NO_PLANS: BreakoutPlans = { plan: async () => null };
