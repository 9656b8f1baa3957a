/**
 * The live attendance dashboard as it goes over HTTP (GET /api/meetings/:id/attendance): the
 * server builds its rows (signaling/attendance/attendanceQueries.ts), the hosts' page shows them
 * (web/src/meetings/DashboardPage.tsx). Times are `When`: a Date on the server, the ISO string
 * JSON turns it into on the page.
 */

/** Everything (national hosts), or one province (its host). */
export type AttendanceScope = { all: true } | { province: string };

/** One province (no filter) or one school (a province filter) of the dashboard. */
export interface AttendanceGroupRow {
  code: string;
  name: string;
  /** Teachers of the meeting's audience here. */
  expected: number;
  /** Teachers who joined at least once. */
  attended: number;
  /** Teachers joined now. */
  present: number;
  late: number;
  minutes: number;
}

/** One teacher of the audience, with their attendance in the meeting. */
export interface AttendanceTeacherRow<When = string> {
  province: string;
  provinceName: string;
  school: string;
  schoolName: string;
  id: string;
  name: string;
  subject: string;
  present: boolean;
  firstJoin: When | null;
  lastLeave: When | null;
  intervals: number;
  minutes: number;
  late: boolean;
}

/**
 * The dashboard's answer: the rows of one level within the caller's scope (teachers with a school
 * filter or `teachers=1`; else provinces, or the schools of one province), and the scope's totals.
 */
export type AttendanceDashboard<When = string> = {
  meeting: { id: string; title: string; state: string; startsAt: string };
  scope: AttendanceScope;
  totals: { expected: number; present: number; attended: number; late: number; minutes: number };
} & ({ level: 'teacher'; rows: AttendanceTeacherRow<When>[] } | { level: 'province' | 'school'; rows: AttendanceGroupRow[] });
