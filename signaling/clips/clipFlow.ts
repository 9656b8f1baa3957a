/**
 * A producer's clip actions over the socket: list the library, play a clip into the backstage
 * (its stage key comes back, to put it on the stage), stop it. National hosts and crew producers
 * only, from the main session (meeting/production.ts canProduce); a bad or unknown name is
 * refused before anything starts.
 */
import { forbidden } from '../protocol/errors';
import type { ClientPayload } from '../protocol/schemas';
import type { ClientResultMap } from '../protocol/events';
import type { Session } from '../meeting/Session';
import { MAIN } from '../meeting/MeetingSession';
import { canProduce } from '../meeting/production';
import type { ClipPlayer } from './ClipPlayer';

function producing(session: Session) {
  const { meeting, peer } = session.joined();
  if (!canProduce(meeting.actorOf(peer))) throw forbidden('only hosts and producers play clips');
  if (peer.sessionKey !== MAIN && !peer.isHost) throw forbidden('clips are played from the main session');
  return meeting;
}

export async function listClips(player: ClipPlayer, session: Session): Promise<ClientResultMap['listClips']> {
  const meeting = producing(session);
  const clips = await player.library.list();
  return { clips: clips.map(({ name, title, durationS }) => ({ name, title, durationS })), playing: player.playing(meeting.id) };
}

export async function playClip(player: ClipPlayer, session: Session, { name }: ClientPayload<'playClip'>): Promise<ClientResultMap['playClip']> {
  const meeting = producing(session);
  const playing = await player.play(meeting, name);
  // Applied here before answering: the producer's next action (putting it on the stage) sees it published.
  await meeting.caughtUp();
  return playing;
}

export async function stopClip(player: ClipPlayer, session: Session): Promise<ClientResultMap['stopClip']> {
  const meeting = producing(session);
  const stopped = await player.stop(meeting.id);
  await meeting.caughtUp();
  return { stopped };
}
