/**
 * The hosts' participant list: searchable by name and school (case and accents ignored, by the
 * meeting store), filtered by province, paged, so a host invites a teacher by picking them (never
 * by typing an internal id). National hosts see everyone; a province host sees only their own
 * province. The roster is the meeting store's, cluster-wide.
 */
import { forbidden } from '../protocol/errors';
import type { ClientPayload } from '../protocol/schemas';
import type { ClientResultMap } from '../protocol/events';
import type { Session } from './Session';

export async function participantsPage(
  session: Session,
  { query, province, offset, limit }: ClientPayload<'participantsPage'>,
): Promise<ClientResultMap['participantsPage']> {
  const { meeting, peer } = session.joined();
  const { role } = peer.claims;
  // A crew producer sees the whole list too: they give roles to people present.
  const producer = meeting.crewRole(peer.userId) === 'producer';
  if (role !== 'host' && role !== 'province_host' && !producer) throw forbidden('hosts and producers only');
  if (role === 'province_host' && !peer.claims.province) throw forbidden('a province host without a province');
  // A province host's list is their province, whatever they ask for.
  if (role === 'province_host' && !producer && province && province !== peer.claims.province) throw forbidden('outside your province');
  const only = role === 'province_host' && !producer ? peer.claims.province! : province;
  const { total, rows } = await meeting.state.participants({
    ...(query ? { text: query } : {}),
    ...(only ? { province: only } : {}),
    offset,
    limit,
  });
  return {
    total,
    entries: rows.map(({ userId, name, role: r, province: p, school, sessionKey }) => ({ userId, name, role: r, province: p, school, sessionKey })),
  };
}
