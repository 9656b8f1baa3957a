/** Reactions: counted per interval in the store, never relayed one by one (hosts get the strip). */
import type { ClientPayload } from '../protocol/schemas';
import type { ClientResultMap } from '../protocol/events';
import type { Session } from '../meeting/Session';
import { qaOf } from './QaRuntime';
import { requireTeacher } from './qaFlow';

export async function react(session: Session, { kind }: ClientPayload<'react'>): Promise<ClientResultMap['react']> {
  const { meeting, peer } = requireTeacher(session, 'react');
  const rt = qaOf(meeting);
  await meeting.state.qa.react(kind, peer.claims.province, rt.options.reactionIntervalMs);
  rt.recorder.reaction(meeting.id, kind, peer.claims.province);
  return {};
}
