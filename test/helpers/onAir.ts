/**
 * A host on air with real media, without a browser: the looped clip published into the meeting's
 * main room (rtpSource.ts) and registered in the meeting as that host's camera and microphone, so
 * that recordings and the delayed stream (live HLS) have something to read.
 */
import type { LocalSfu } from '../../sfu/LocalSfu';
import type { HoinghiServer } from '../../signaling/server';
import { waitFor } from '../../harness/browser';
import { publishClip, type RtpSource } from '../../harness/rtpSource';
import { MEETING } from '../../harness/server';

/** Publishes the clip as `hostId`'s camera and microphone in `meetingId`; the host must have joined through `server`. */
export async function hostOnAir(server: HoinghiServer, sfu: LocalSfu, hostId: string, meetingId = MEETING): Promise<RtpSource> {
  const meeting = server.sockets.registry.get(meetingId);
  if (!meeting) throw new Error(`meeting ${meetingId} is not open on this node: join the host first`);
  const main = meeting.sessions.get('main')!;
  const source = await publishClip(sfu, main.roomId);
  for (const [id, kind, src] of [
    [source.videoProducerId, 'video', 'camera'],
    [source.audioProducerId, 'audio', 'mic'],
  ] as const) {
    await meeting.state.addProducer({ id, kind, source: src, peerId: hostId, peerName: hostId, sessionKey: 'main', roomId: main.roomId, national: true, sessionHost: true });
  }
  await waitFor(async () => meeting.published.size, (n) => n >= 2, 10_000, 'the host on air');
  return source;
}
