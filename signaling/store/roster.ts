/**
 * Rules about the roster that both stores share: who hosts a session, how a session's
 * participants are counted, and how a participant search matches.
 */
import { fold } from '../../common/fold';
import type { Role } from '../protocol/events';
import type { Participant, ParticipantQuery, SessionCounts } from './types';

export const MAIN = 'main';

/** The session's hosts: national hosts for main, the province's host for its breakout. */
export function hostsSession(who: { role: Role; province: string | null }, sessionKey: string): boolean {
  return sessionKey === MAIN ? who.role === 'host' : who.role === 'province_host' && who.province === sessionKey;
}

export function countSessions(roster: Iterable<Participant>): Record<string, SessionCounts> {
  const out: Record<string, SessionCounts> = {};
  for (const p of roster) {
    const s = (out[p.sessionKey] ??= { teachers: 0, hosts: 0, hands: 0 });
    if (hostsSession(p, p.sessionKey)) s.hosts += 1;
    else s.teachers += 1;
  }
  return out;
}

/** Participants present by a field (province or school), leaving out those without one. */
export function countBy(roster: Iterable<Participant>, field: 'province' | 'school'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of roster) {
    const key = p[field];
    if (key !== null) out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

export { fold };

export function matchesQuery(p: Participant, q: ParticipantQuery): boolean {
  if (q.province !== undefined && p.province !== q.province) return false;
  if (q.sessionKey !== undefined && p.sessionKey !== q.sessionKey) return false;
  if (q.text) {
    const needle = fold(q.text);
    if (![p.name, p.school ?? '', p.userId].some((f) => fold(f).includes(needle))) return false;
  }
  return true;
}
