/** The meeting domain's breakout plans, read from the scheduled meetings in the database. */
import type { Db } from '../db/Db';
import type { BreakoutPlans, PlannedBreakouts } from '../meeting/BreakoutPlans';
import { MeetingRepo } from './meetingRepo';

export class DatabaseBreakoutPlans implements BreakoutPlans {
  readonly #meetings: MeetingRepo;

  constructor(db: Db) {
    this.#meetings = new MeetingRepo(db);
  }

  async plan(meetingId: string): Promise<PlannedBreakouts | null> {
    const m = await this.#meetings.get(meetingId);
    return m ? m.breakoutPlan : null;
  }
}
