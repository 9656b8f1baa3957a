/**
 * What the meeting tells attendance: a participant joined a session, left, or moved to another
 * session (main or a province breakout). Calls are synchronous and cheap: no database round trip
 * on the join path; an implementation buffers and writes later.
 */
export interface AttendanceRecorder {
  /** `userId` (role as in the token) is now in `session` of `meetingId`. */
  joined(meetingId: string, userId: string, role: string, session: string): void;
  /** `userId` left; `explicit` (a leave) closes the interval now, a disconnect after the grace. */
  left(meetingId: string, userId: string, explicit: boolean): void;
  /** `userId` moved to `session` (a breakout starting or ending). */
  moved(meetingId: string, userId: string, session: string): void;
  /**
   * `userId` was connected through a signaling node that died and did not come back within the
   * grace: the interval that node had open (and can no longer close) ends at `at`.
   */
  abandoned(meetingId: string, userId: string, at: number): void;
}

/** Records nothing: a node without a database. */
export const NO_ATTENDANCE: AttendanceRecorder = {
  joined: () => undefined,
  left: () => undefined,
  moved: () => undefined,
  abandoned: () => undefined,
};
