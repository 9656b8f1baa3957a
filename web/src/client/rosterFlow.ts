/**
 * The hosts' participant list (signaling/meeting/rosterFlow.ts is the server side): searched by
 * name, school and province name, optionally of one province, a page at a time.
 */
import type { AckOf } from '../../../signaling/protocol/events';
import type { Connection } from './connection';

export function participantsPage(conn: Connection, query: string, province: string | null, offset: number, limit: number): Promise<AckOf<'participantsPage'>> {
  return conn.request('participantsPage', {
    ...(query.trim() ? { query: query.trim() } : {}),
    ...(province ? { province } : {}),
    offset,
    limit,
  });
}
