/** The client side of the join and publish flows, over real sockets, for integration tests. */
import type { HoinghiServer } from '../../signaling/server';
import type { ClaimsInput } from '../../signaling/auth/tokens';
import type { ConsumerInfo, JoinResult } from '../../signaling/protocol/events';
import { MEETING, call, connectClient, tokenFor, type TestSocket } from '../../harness/server';
import { audioRtpParameters, dtlsParameters, videoRtpParameters } from '../../harness/media';

export interface Viewer {
  socket: TestSocket;
  join: JoinResult;
  recvTransportId: string;
  consumers: ConsumerInfo[];
}

/** Joins as a viewer: capabilities → recv transport → connect → consume all → resume all. */
export async function joinAsViewer(
  server: HoinghiServer,
  claims: Partial<ClaimsInput> = {},
  socket?: TestSocket,
): Promise<Viewer> {
  const s = socket ?? (await connectClient(server, tokenFor(server, { role: 'teacher', ...claims })));
  const join = await call(s, 'join', { meetingId: MEETING });
  const transport = await call(s, 'createTransport', { direction: 'recv' });
  await call(s, 'connectTransport', { transportId: transport.id, dtlsParameters });
  const { consumers } = await call(s, 'startConsuming', { rtpCapabilities: join.routerRtpCapabilities });
  for (const c of consumers) await call(s, 'resumeConsumer', { consumerId: c.id });
  return { socket: s, join, recvTransportId: transport.id, consumers };
}

export interface Publisher {
  socket: TestSocket;
  sendTransportId: string;
  producers: { camera: string; mic: string };
}

/** Joins as a host and publishes a simulcast camera and a microphone. */
export async function joinAndPublish(
  server: HoinghiServer,
  claims: Partial<ClaimsInput> = {},
  existing?: TestSocket,
): Promise<Publisher> {
  const socket = existing ?? (await connectClient(server, tokenFor(server, { role: 'host', ...claims })));
  await call(socket, 'join', { meetingId: MEETING });
  const transport = await call(socket, 'createTransport', { direction: 'send' });
  await call(socket, 'connectTransport', { transportId: transport.id, dtlsParameters });
  const camera = await call(socket, 'produce', {
    transportId: transport.id,
    kind: 'video',
    source: 'camera',
    rtpParameters: videoRtpParameters(),
  });
  const mic = await call(socket, 'produce', {
    transportId: transport.id,
    kind: 'audio',
    source: 'mic',
    rtpParameters: audioRtpParameters(),
  });
  return { socket, sendTransportId: transport.id, producers: { camera: camera.producerId, mic: mic.producerId } };
}

/**
 * RTP packets the SFU has sent a participant through their consumers of one kind, summed: the
 * server's side of "this viewer receives" (whichever worker or node the consumers live on).
 */
export async function consumerPackets(server: HoinghiServer, meetingId: string, userId: string, kind: 'audio' | 'video' = 'video'): Promise<number> {
  const peer = server.sockets.registry.get(meetingId)?.peers.get(userId);
  if (!peer) return 0;
  let packets = 0;
  for (const consumerId of peer.consumers.keys()) {
    const stats = await server.sfu.consumerStats(consumerId).catch(() => null);
    if (stats?.kind === kind) packets += stats.packetCount;
  }
  return packets;
}

/** Collects every event of one name a socket receives. */
export function collect<T>(socket: TestSocket, event: string): T[] {
  const seen: T[] = [];
  (socket.on as (ev: string, cb: (arg: T) => void) => void)(event, (arg) => seen.push(arg));
  return seen;
}
