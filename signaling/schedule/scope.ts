/**
 * Who may do what with a meeting. Pure functions of the caller's claims, the meeting and (for a
 * teacher) their place in the organisation as the database knows it: never a list in the token.
 *   - national host (`host`): creates for any audience, manages and sees everything;
 *   - province host: creates only for their own province (the province, or schools in it),
 *     manages what their province owns, sees their province's part of any meeting;
 *   - co-hosts (by user id): manage and see that meeting as its owner would;
 *   - teacher: joins a meeting whose audience includes their school.
 */
import type { Claims } from '../auth/tokens';
import type { School, TeacherPlace } from '../org/orgRepo';
import type { Audience, MeetingInfo, MeetingRights } from './types';

type Who = Pick<Claims, 'sub' | 'role' | 'province'>;

/** Why a creation is refused, or null. `schools` are the audience's schools as found in the database. */
export function createRefusal(who: Who, audience: Audience, schools: readonly School[]): string | null {
  if (audience.kind === 'schools') {
    const known = new Set(schools.map((s) => s.code));
    const unknown = audience.schools.filter((c) => !known.has(c));
    if (unknown.length > 0) return `unknown school(s): ${unknown.slice(0, 5).join(', ')}`;
  }
  if (who.role === 'host') return null;
  if (who.role !== 'province_host' || !who.province) return 'only hosts schedule meetings';
  if (audience.kind === 'country') return 'a province host schedules meetings for their own province only';
  if (audience.kind === 'provinces' && audience.provinces.some((p) => p !== who.province)) {
    return 'a province host schedules meetings for their own province only';
  }
  if (audience.kind === 'schools' && schools.some((s) => s.province !== who.province)) {
    return 'a province host schedules meetings for schools of their own province only';
  }
  return null;
}

/** The province that owns a meeting created by `who` (null: national). */
export function ownerProvinceFor(who: Who): string | null {
  return who.role === 'province_host' ? who.province : null;
}

export function canManage(who: Who, m: MeetingInfo): boolean {
  if (who.role === 'teacher') return false;
  if (who.role === 'host') return true;
  if (m.coHosts.includes(who.sub)) return true;
  return who.role === 'province_host' && who.province !== null && m.ownerProvince === who.province;
}

/** Whether the audience reaches into a province (for a province host), given its schools' provinces. */
export function reachesProvince(m: MeetingInfo, province: string, schoolProvinces: readonly string[]): boolean {
  const a = m.audience;
  if (a.kind === 'country') return true;
  if (a.kind === 'provinces') return a.provinces.includes(province);
  return schoolProvinces.includes(province);
}

/** Whether a teacher (as the database places them) is in the meeting's audience. */
export function audienceIncludes(m: MeetingInfo, place: TeacherPlace): boolean {
  const a = m.audience;
  if (a.kind === 'country') return true;
  if (a.kind === 'provinces') return a.provinces.includes(place.province);
  return a.schools.includes(place.school);
}

/**
 * Dashboard and export scope: null = everything; a province code = that province only;
 * 'none' = no access. Personal data (names per teacher) follows the same scope.
 */
export function dashboardScope(who: Who, m: MeetingInfo): { all: true } | { province: string } | null {
  if (who.role === 'host') return { all: true };
  if (m.coHosts.includes(who.sub) && who.role !== 'teacher') return who.province ? { province: who.province } : { all: true };
  if (who.role === 'province_host' && who.province) return { province: who.province };
  return null;
}

export function rightsOf(who: Who, m: MeetingInfo, canJoin: boolean): MeetingRights {
  return { join: canJoin, manage: canManage(who, m), dashboard: dashboardScope(who, m) !== null };
}
