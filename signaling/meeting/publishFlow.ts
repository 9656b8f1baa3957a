/**
 * The publish flow of a host (and, later, an invited speaker): a send transport, then one
 * producer per source (camera, mic, screen). A new producer reaches every viewer; a closed one
 * disappears from every viewer. Permission is checked here, on the server, for every action.
 */
import { AppError, forbidden, notFound } from '../protocol/errors';
import type { ClientPayload } from '../protocol/schemas';
import type { ClientResultMap } from '../protocol/events';
import type { Session } from './Session';
import type { PublishedProducer } from './Peer';
import { crewSources } from './production';

export async function produce(
  session: Session,
  { transportId, kind, rtpParameters, source }: ClientPayload<'produce'>,
): Promise<ClientResultMap['produce']> {
  const { meeting, peer } = session.joined();
  if (!(await meeting.canSend(peer))) throw forbidden('only hosts and invited speakers may send media');
  if (peer.transports.get(transportId) !== 'send') throw notFound('transport');
  if ((source === 'mic') !== (kind === 'audio')) throw new AppError('bad_request', `source ${source} cannot be ${kind}`);
  const meetingSession = meeting.sessionOf(peer);
  // The crew presents in main (production.ts): an interpreter sends a picture only.
  const crew = meetingSession.isMain && !peer.isHost ? meeting.crewRole(peer.userId) : null;
  const crewAllows = crewSources(crew);
  if (crewAllows && !crewAllows.includes(source)) throw forbidden(`your role (${crew}) does not send ${source}`);
  const grant = peer.isHost || meetingSession.isHost(peer) || crewAllows ? null : await meeting.state.speaker(meetingSession.key, peer.userId);
  if (grant && (source === 'screen' || (source === 'camera' && !grant.allowVideo))) {
    throw forbidden(`your invitation does not include ${source}`);
  }
  for (const p of peer.producers.values()) {
    if (p.source === source) throw new AppError('conflict', `already publishing ${source}; close it first`);
  }
  const epoch = meeting.epoch;
  const { producerId } = await meeting.sfu.produce(transportId, kind, rtpParameters as never);
  if (epoch !== meeting.epoch || meeting.peers.get(peer.userId) !== peer) {
    await meeting.sfu.closeProducer(producerId);
    throw new AppError('conflict', 'the meeting changed while publishing; join again');
  }
  if (grant?.muted && source === 'mic') await meeting.sfu.pauseProducer(producerId);
  const published: PublishedProducer = {
    id: producerId,
    kind,
    source,
    peerId: peer.userId,
    peerName: peer.claims.name,
    sessionKey: meetingSession.key,
    roomId: meetingSession.roomId,
    national: peer.isHost || crew === 'producer' || crew === 'presenter',
    sessionHost: meetingSession.isHost(peer),
  };
  // What the stage decides: the national broadcast's presenters, and the interpreter.
  if (meetingSession.isMain && (peer.isHost || crewAllows)) published.stage = crew === 'interpreter' ? 'interpreter' : 'presenter';
  peer.producers.set(producerId, published);
  // Every node (this one too) hears of it from the store and offers it to its participants.
  await meeting.state.addProducer(published);
  meeting.log.info({ peer: peer.userId, producer: producerId, source }, 'producing');
  return { producerId };
}

function ownProducer(session: Session, producerId: string) {
  const { meeting, peer } = session.joined();
  if (!peer.producers.has(producerId)) throw notFound('producer');
  return { meeting, peer };
}

export async function closeProducer(
  session: Session,
  { producerId }: ClientPayload<'closeProducer'>,
): Promise<ClientResultMap['closeProducer']> {
  const { meeting, peer } = ownProducer(session, producerId);
  peer.producers.delete(producerId);
  await meeting.state.removeProducers([producerId]);
  // Its consumers close on the SFU, which reports each as consumerClosed to its viewer.
  await meeting.sfu.closeProducer(producerId);
  return {};
}

export async function pauseProducer(
  session: Session,
  { producerId }: ClientPayload<'pauseProducer'>,
): Promise<ClientResultMap['pauseProducer']> {
  const { meeting } = ownProducer(session, producerId);
  await meeting.sfu.pauseProducer(producerId);
  return {};
}

export async function resumeProducer(
  session: Session,
  { producerId }: ClientPayload<'resumeProducer'>,
): Promise<ClientResultMap['resumeProducer']> {
  const { meeting, peer } = ownProducer(session, producerId);
  if (peer.producers.get(producerId)?.source === 'mic' && (await meeting.state.speaker(peer.sessionKey, peer.userId))?.muted) {
    throw forbidden('the host has muted you');
  }
  await meeting.sfu.resumeProducer(producerId);
  return {};
}
