/**
 * The join flow of a participant (teacher or host):
 *   join → router RTP capabilities
 *   createTransport('recv') → connectTransport
 *   startConsuming(rtpCapabilities) → a paused consumer for every current producer
 *   resumeConsumer(id) once the client has set it up
 * and afterwards: `newConsumer` for each new producer, `consumerClosed` for each closed one.
 * `join` again on the same socket (after `rejoin`) rebuilds the media side without reload.
 * The participant enters the meeting store's roster (every node sees them); their transports and
 * consumers stay with this node.
 */
import { AppError, forbidden, notFound } from '../protocol/errors';
import type { ClientPayload } from '../protocol/schemas';
import type { ClientResultMap } from '../protocol/events';
import { withJitter } from '../rateLimit';
import type { MeetingRegistry } from './MeetingRegistry';
import { Peer } from './Peer';
import type { Session } from './Session';
import type { JoinAuthorizer } from './JoinAuthorizer';
import { adaptsOwnLayer, meetingIsLarge, profileCapabilities } from './massAudience';
import { DATA_SAVER_BPS, reapply } from './layerFlow';

const SESSION_CHANGED = 'no longer allowed to send here: the session changed while the transport was made';

/** Announcements at most this old are shown to a participant who joins (or comes back). */
const RECENT_NOTICES_MS = 10 * 60_000;

export interface JoinDeps {
  registry: MeetingRegistry;
  /** Admission (admission/JoinGate.ts): returns when the join may go ahead, or throws `queued`. */
  admit: (session: Session, meetingId: string, resumeTicket: string | undefined) => Promise<void>;
  /** A fresh resume ticket for a participant just joined. */
  resumeTicket: (session: Session, meetingId: string) => string;
  /** Participants per meeting on this node. */
  maxParticipants: number;
  /** Disconnects another socket of the same user (a reload or a second tab replaces it). */
  disconnectSocket: (socketId: string) => void;
  onJoined: () => void;
  /** Decides who may join which meeting (the database's audience, or the token's list). */
  authorizer: JoinAuthorizer;
}

export async function join(
  deps: JoinDeps,
  session: Session,
  { meetingId, resumeTicket }: ClientPayload<'join'>,
): Promise<ClientResultMap['join']> {
  const { claims, socketId } = session;
  await deps.authorizer.authorize(claims, meetingId);

  await deps.admit(session, meetingId, resumeTicket);

  if (session.meeting && session.meeting.id !== meetingId) await leave(deps, session, true);

  const meeting = await deps.registry.getOrCreate(meetingId);
  const routerRtpCapabilities = await meeting.sfu.openRoom(meeting.viewerRoomId);

  let peer = session.peer;
  if (peer && meeting.peers.get(peer.userId) === peer) {
    // Rejoin on the same socket: rebuild the media side.
    await meeting.closePeerMedia(peer);
    await meeting.ensureSession(peer.sessionKey);
  } else {
    const previous = meeting.peers.get(claims.sub);
    if (!previous && meeting.peers.size >= deps.maxParticipants) {
      throw new AppError('unavailable', 'this meeting is full on this server', withJitter(5_000));
    }
    peer = new Peer(claims, socketId);
    // A late joiner (or a reconnect) during breakouts lands directly in their province's session.
    peer.sessionKey = meeting.placeFor(peer);
    await meeting.ensureSession(peer.sessionKey);
    meeting.peers.set(peer.userId, peer);
    // One attendee per user, cluster-wide: the newest connection wins.
    const replaced = await meeting.state.join({
      userId: peer.userId,
      name: claims.name,
      role: claims.role,
      province: claims.province,
      school: claims.school,
      sessionKey: peer.sessionKey,
      node: meeting.nodeId,
      socketId,
      joinedAt: Date.now(),
    });
    if (previous) {
      await meeting.closePeerMedia(previous);
      if (previous.socketId !== socketId) deps.disconnectSocket(previous.socketId);
    } else if (replaced && replaced.socketId !== socketId) {
      deps.disconnectSocket(replaced.socketId);
      // What the older connection published (through its node, which may be dead) goes with it.
      const stale = [...meeting.published.values()].filter((p) => p.peerId === peer!.userId).map((p) => p.id);
      await meeting.state.removeProducers(stale);
      await Promise.all(stale.map((id) => meeting.sfu.closeProducer(id).catch(() => undefined)));
    }
    session.meeting = meeting;
    session.peer = peer;
    await meeting.notify.join(socketId, [meeting.roomName, meeting.userRoom(peer.userId)]);
    meeting.attendance.joined(meeting.id, peer.userId, claims.role, peer.sessionKey);
    // Session rooms, host state, and the participant's own hand and grant (which survive a
    // reconnect) at once.
    await meeting.enterSession(peer);
    for (const notice of await meeting.state.notices(Date.now() - RECENT_NOTICES_MS)) meeting.notify.toSocket(socketId, 'notice', notice);
    deps.onJoined();
    meeting.log.info({ peer: peer.userId, role: claims.role }, 'joined');
  }
  // The meeting ended while this join was under way (the end took out only who was in by then).
  if (deps.registry.hasEnded(meetingId)) {
    await leave(deps, session, true);
    throw new AppError('not_open', 'this meeting has ended');
  }
  return {
    meetingId,
    self: peer.selfInfo(await meeting.canSend(peer)),
    session: await meeting.sessionInfo(peer),
    breakouts: meeting.breakoutsState(),
    routerRtpCapabilities,
    resumeTicket: deps.resumeTicket(session, meetingId),
  };
}

export async function createTransport(
  session: Session,
  { direction }: ClientPayload<'createTransport'>,
): Promise<ClientResultMap['createTransport']> {
  const { meeting, peer } = session.joined();
  if (direction === 'send' && !(await meeting.canSend(peer))) throw forbidden('only hosts and invited speakers may send media');
  // One transport per direction: a client that rebuilds replaces the old one (a send transport's
  // producers go with it, from the store too).
  if (direction === 'send') await meeting.closeSending(peer);
  for (const [id, dir] of peer.transports) {
    if (dir === direction) {
      peer.transports.delete(id);
      await meeting.sfu.closeTransport(id);
    }
  }
  if (direction === 'recv') {
    for (const consumerId of peer.consumers.keys()) meeting.consumerOwner.delete(consumerId);
    peer.consumers.clear();
    peer.rtpCapabilities = null;
  }
  const epoch = meeting.epoch;
  // Viewers receive on an edge chosen by the placement policy; publishers send to their session's
  // origin router.
  const roomId = direction === 'recv' ? await meeting.sfu.placeViewer(meeting.viewerRoomId) : meeting.sessionOf(peer).roomId;
  const sessionKey = peer.sessionKey;
  let params: Awaited<ReturnType<typeof meeting.sfu.createWebRtcTransport>>;
  try {
    params = await meeting.sfu.createWebRtcTransport(roomId, direction);
  } catch (error) {
    // The session's room closed under it (breakouts ended, the participant moved): as if asked after.
    if (direction === 'send' && peer.sessionKey !== sessionKey) throw forbidden(SESSION_CHANGED);
    throw error;
  }
  if (epoch !== meeting.epoch || meeting.peers.get(peer.userId) !== peer) {
    await meeting.sfu.closeTransport(params.id);
    throw new AppError('conflict', 'the meeting changed while creating the transport; join again');
  }
  peer.transports.set(params.id, direction);
  // The right to send may have gone meanwhile (moved out of the session it hosts, grant ended):
  // known now, the transport goes (a move or a grant's end after this closes it as any other).
  if (direction === 'send' && (peer.sessionKey !== sessionKey || !(await meeting.canSend(peer)))) {
    if (peer.transports.delete(params.id)) await meeting.sfu.closeTransport(params.id);
    throw forbidden(SESSION_CHANGED);
  }
  if (direction === 'recv') {
    peer.recvTransportId = params.id;
    peer.edgeRoomId = roomId;
    // A re-homed data saver keeps its cap on the new transport.
    if (peer.dataSaver) await meeting.sfu.setMaxOutgoingBitrate(params.id, DATA_SAVER_BPS);
  }
  return params as ClientResultMap['createTransport'];
}

export async function connectTransport(
  session: Session,
  { transportId, dtlsParameters }: ClientPayload<'connectTransport'>,
): Promise<ClientResultMap['connectTransport']> {
  const { meeting, peer } = session.joined();
  if (!peer.transports.has(transportId)) throw notFound('transport');
  await meeting.sfu.connectTransport(transportId, dtlsParameters);
  return {};
}

export async function startConsuming(
  session: Session,
  { rtpCapabilities, layerCeiling }: ClientPayload<'startConsuming'>,
): Promise<ClientResultMap['startConsuming']> {
  const { meeting, peer } = session.joined();
  if (!peer.recvTransportId) throw new AppError('conflict', 'create a receive transport first');
  const already = new Set(peer.consumers.values());
  const wanted = [...meeting.published.values()].filter((p) => !already.has(p.id) && meeting.wants(peer, p)).length;
  if (peer.consumers.size + wanted > meeting.options.maxConsumersPerPeer) {
    throw new AppError('conflict', `consumer limit reached (${meeting.options.maxConsumersPerPeer})`);
  }
  const large = await meetingIsLarge(meeting.state, meeting.options.massAudienceViewers);
  peer.rtpCapabilities = profileCapabilities(peer, rtpCapabilities, large, meeting.options.massAudienceBwe);
  const adaptsLayer = adaptsOwnLayer(peer, meeting.options.massAudienceBwe);
  // The page's ceiling holds only where the page adapts; the SFU's estimate rules elsewhere.
  const ceiling = adaptsLayer ? (layerCeiling ?? null) : null;
  if (ceiling !== peer.layerCeiling) {
    peer.layerCeiling = ceiling;
    await reapply(meeting, peer);
  }
  const consumers = [];
  for (const producer of meeting.published.values()) {
    if (already.has(producer.id) || !meeting.wants(peer, producer)) continue;
    const info = await meeting.consumeFor(peer, producer);
    if (info) consumers.push(info);
  }
  return { consumers, massAudience: peer.massAudience, adaptsLayer };
}

export async function resumeConsumer(
  session: Session,
  { consumerId }: ClientPayload<'resumeConsumer'>,
): Promise<ClientResultMap['resumeConsumer']> {
  const { meeting, peer } = session.joined();
  if (!peer.consumers.has(consumerId)) throw notFound('consumer');
  // Held consumers (national audio in a breakout) stay paused until the host speaks to all.
  if (!peer.held.has(consumerId)) await meeting.sfu.resumeConsumer(consumerId);
  return {};
}

export async function setAudioOnly(
  session: Session,
  { on }: ClientPayload<'setAudioOnly'>,
): Promise<ClientResultMap['setAudioOnly']> {
  const { meeting, peer } = session.joined();
  if (peer.audioOnly !== on) {
    peer.audioOnly = on;
    await meeting.reconcile(peer);
  }
  return { audioOnly: on };
}

/**
 * Leaves the meeting. An explicit leave lowers the hand and ends a grant now; a disconnect keeps
 * them for a grace period so that a reconnecting teacher finds them again.
 */
export async function leave(
  deps: Pick<JoinDeps, 'registry'>,
  session: Session,
  explicit: boolean,
): Promise<ClientResultMap['leave']> {
  const { meeting, peer } = session;
  session.meeting = null;
  session.peer = null;
  if (!meeting || !peer) return {};
  await meeting.removePeer(peer);
  // Only if the roster still has this connection (a newer one of the same user wins).
  if (await meeting.state.leave(peer.userId, peer.socketId)) {
    await meeting.departed(peer.userId, explicit);
    meeting.attendance.left(meeting.id, peer.userId, explicit);
  }
  await meeting.notify.leave(session.socketId, (room) => room.startsWith(meeting.roomName));
  deps.registry.releaseIfEmpty(meeting);
  meeting.log.info({ peer: peer.userId }, 'left');
  return {};
}
