/**
 * The mass-audience profile with HOINGHI_MASS_AUDIENCE_VIEWERS=2 (real mediasoup, socket.io):
 * below the threshold a viewer negotiates transport-cc and the top layer; at it a new viewer's video
 * prefers the middle layer, and the host's stats say the meeting is large. With REMB
 * (HOINGHI_MASS_AUDIENCE_BWE=remb) it negotiates goog-remb; with no estimation (the default) neither,
 * and the viewer's layers follow its own ceiling and data saver.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { MEETING, call, connectClient, request, startServer, tokenFor, type TestSocket } from '../../harness/server';
import { collect, joinAndPublish, joinAsViewer, type Viewer } from '../helpers/flows';
import { until } from '../../harness/wait';
import { dtlsParameters } from '../../harness/media';
import type { ConsumerInfo, MeetingStats } from '../../signaling/protocol/events';
import { TRANSPORT_WIDE_CC_URI } from '../../signaling/meeting/massAudience';

let server: HoinghiServer;
const sockets: TestSocket[] = [];
const track = <T extends { socket: TestSocket }>(x: T): T => (sockets.push(x.socket), x);

beforeAll(async () => {
  server = await startServer({ HOINGHI_MASS_AUDIENCE_VIEWERS: '2', HOINGHI_MASS_AUDIENCE_BWE: 'remb' });
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  // The next test starts from an empty roster.
  await until(() => !server.sockets.registry.get(MEETING) || server.sockets.registry.get(MEETING)!.peers.size === 0, { timeoutMs: 10_000, what: 'everyone gone' });
});
afterAll(async () => {
  await server.close();
});

const video = (v: { consumers: ConsumerInfo[] }): ConsumerInfo => v.consumers.find((c) => c.kind === 'video')!;
const feedbackTypes = (c: ConsumerInfo): string[] =>
  (c.rtpParameters.codecs as { rtcpFeedback?: { type: string }[] }[]).flatMap((codec) => (codec.rtcpFeedback ?? []).map((fb) => fb.type));
const extensionUris = (c: ConsumerInfo): string[] => ((c.rtpParameters.headerExtensions ?? []) as { uri: string }[]).map((e) => e.uri);
const preferredLayer = async (c: ConsumerInfo): Promise<number | undefined> => (await server.sfu.consumerStats(c.id)).preferredSpatialLayer;

/** A new receive transport and consume again (a re-home or a rebuild), as the page does, with the ceiling it carries. */
async function consumeAgain(v: Viewer, layerCeiling?: number | null) {
  const transport = await call(v.socket, 'createTransport', { direction: 'recv' });
  await call(v.socket, 'connectTransport', { transportId: transport.id, dtlsParameters });
  return call(v.socket, 'startConsuming', { rtpCapabilities: v.join.routerRtpCapabilities, ...(layerCeiling !== undefined && { layerCeiling }) });
}

/** Stats the host has received; waits until one matches. */
async function hostSees(seen: MeetingStats[], match: (s: MeetingStats) => boolean, what: string): Promise<MeetingStats> {
  await until(() => seen.some(match), { timeoutMs: 10_000, what });
  return seen.find(match)!;
}

describe('mass-audience profile with REMB (threshold 2 viewers)', () => {
  it('below the threshold a viewer keeps transport-cc and the top layer, and the host hears the meeting is not large', async () => {
    const host = track(await joinAndPublish(server));
    const stats = collect<MeetingStats>(host.socket, 'meetingStats');
    const a = track(await joinAsViewer(server));
    const v = video(a);
    expect(feedbackTypes(v)).toContain('transport-cc');
    expect(feedbackTypes(v)).not.toContain('goog-remb');
    expect(extensionUris(v)).toContain(TRANSPORT_WIDE_CC_URI);
    expect(await preferredLayer(v)).toBe(2);
    expect(await hostSees(stats, (s) => s.viewers === 1, 'one viewer in the stats')).toMatchObject({ massAudience: false });
  });

  // Before any test makes the meeting large (a large answer is cached for 2 s).
  it('below the threshold startConsuming says the profile is off, and the default back (null) is the top layer', async () => {
    track(await joinAndPublish(server));
    const a: Viewer = track(await joinAsViewer(server));
    await call(a.socket, 'setConsumerLayers', { consumerId: video(a).id, spatialLayer: 0 });
    expect(await preferredLayer(video(a))).toBe(0);
    await call(a.socket, 'setConsumerLayers', { consumerId: video(a).id, spatialLayer: null });
    expect(await preferredLayer(video(a))).toBe(2);
    const again = await consumeAgain(a);
    expect(again.massAudience).toBe(false);
    expect(await preferredLayer(video(again))).toBe(2);
  });

  it('at the threshold a new viewer negotiates REMB without transport-cc and prefers the middle layer, and the host hears the meeting is large', async () => {
    const host = track(await joinAndPublish(server));
    const stats = collect<MeetingStats>(host.socket, 'meetingStats');
    track(await joinAsViewer(server));
    const b = track(await joinAsViewer(server));
    const v = video(b);
    expect(feedbackTypes(v)).toContain('goog-remb');
    expect(feedbackTypes(v)).not.toContain('transport-cc');
    expect(extensionUris(v)).not.toContain(TRANSPORT_WIDE_CC_URI);
    // The audio consumer has no transport-wide-cc either: the whole transport is REMB-driven.
    expect(extensionUris(b.consumers.find((c) => c.kind === 'audio')!)).not.toContain(TRANSPORT_WIDE_CC_URI);
    expect(await preferredLayer(v)).toBe(1);
    expect(await hostSees(stats, (s) => s.viewers === 2, 'two viewers in the stats')).toMatchObject({ massAudience: true });
  });

  it('a viewer of a large meeting who asks for the top layer gets it, and keeps it when it consumes again', async () => {
    track(await joinAndPublish(server));
    track(await joinAsViewer(server));
    const b: Viewer = track(await joinAsViewer(server));
    expect(await preferredLayer(video(b))).toBe(1);
    await call(b.socket, 'setConsumerLayers', { consumerId: video(b).id, spatialLayer: 2 });
    expect(await preferredLayer(video(b))).toBe(2);
    // A new receive transport (a re-home or a rebuild) and consume again: still the top layer.
    const again = await consumeAgain(b);
    expect(video(again).id).not.toBe(video(b).id);
    expect(await preferredLayer(video(again))).toBe(2);
    expect(feedbackTypes(video(again))).not.toContain('transport-cc');
  });

  it('a viewer of a large meeting who asks for the default back (null) returns to the middle layer, and so does its next consumer', async () => {
    track(await joinAndPublish(server));
    track(await joinAsViewer(server));
    const b: Viewer = track(await joinAsViewer(server));
    await call(b.socket, 'setConsumerLayers', { consumerId: video(b).id, spatialLayer: 2 });
    expect(await preferredLayer(video(b))).toBe(2);
    await call(b.socket, 'setConsumerLayers', { consumerId: video(b).id, spatialLayer: null });
    expect(await preferredLayer(video(b))).toBe(1);
    // Nothing is kept for a re-consume: the next consumer of that camera starts on the middle layer.
    const again = await consumeAgain(b);
    expect(again.massAudience).toBe(true);
    expect(await preferredLayer(video(again))).toBe(1);
  });

  it('a host consuming in a large meeting keeps transport-cc and the top layer', async () => {
    const first = track(await joinAndPublish(server));
    const a = track(await joinAsViewer(server));
    track(await joinAsViewer(server));
    // A second host (sending too) receives the first host's camera.
    const second = track(await joinAndPublish(server));
    const transport = await call(second.socket, 'createTransport', { direction: 'recv' });
    await call(second.socket, 'connectTransport', { transportId: transport.id, dtlsParameters });
    const { consumers } = await call(second.socket, 'startConsuming', { rtpCapabilities: a.join.routerRtpCapabilities });
    const v = consumers.find((c) => c.kind === 'video' && c.producerId === first.producers.camera)!;
    expect(feedbackTypes(v)).toContain('transport-cc');
    expect(await preferredLayer(v)).toBe(2);
  });
});

describe('mass-audience profile without bandwidth estimation (the default, HOINGHI_MASS_AUDIENCE_BWE=none)', () => {
  let quiet: HoinghiServer;
  beforeAll(async () => {
    // No HOINGHI_MASS_AUDIENCE_BWE: the default is none.
    quiet = await startServer({ HOINGHI_MASS_AUDIENCE_VIEWERS: '2' });
  });
  afterAll(async () => {
    await quiet.close();
  });

  it('a viewer of a large meeting negotiates neither REMB nor transport-cc, and prefers the middle layer', async () => {
    track(await joinAndPublish(quiet));
    const a = track(await joinAsViewer(quiet));
    // Below the threshold: unchanged (transport-cc).
    expect(feedbackTypes(video(a))).toContain('transport-cc');
    const b = track(await joinAsViewer(quiet));
    const v = video(b);
    expect(feedbackTypes(v)).not.toContain('goog-remb');
    expect(feedbackTypes(v)).not.toContain('transport-cc');
    // NACK and PLI stay: losses are still repaired and keyframes still asked for.
    expect(feedbackTypes(v)).toEqual(expect.arrayContaining(['nack']));
    expect(extensionUris(v)).not.toContain(TRANSPORT_WIDE_CC_URI);
    expect((await quiet.sfu.consumerStats(v.id)).preferredSpatialLayer).toBe(1);
  });

  const layer = async (c: ConsumerInfo): Promise<number | undefined> => (await quiet.sfu.consumerStats(c.id)).preferredSpatialLayer;
  /** A viewer of the large meeting (a host publishing and one viewer before it). */
  async function largeViewer(): Promise<Viewer> {
    track(await joinAndPublish(quiet));
    track(await joinAsViewer(quiet));
    return track(await joinAsViewer(quiet));
  }

  it('startConsuming tells the page to adapt its own layers, and only the viewers the SFU does not estimate', async () => {
    track(await joinAndPublish(quiet));
    track(await joinAsViewer(quiet));
    const large = track(await joinAsViewer(quiet));
    expect((await consumeAgain(large)).adaptsLayer).toBe(true);
    // The same viewer count on the REMB server: the SFU estimates, the page does not adapt.
    track(await joinAndPublish(server));
    track(await joinAsViewer(server));
    const remb = track(await joinAsViewer(server));
    // A ceiling carried to a connection the SFU estimates is dropped: the middle layer, not 0.
    const again = await consumeAgain(remb, 0);
    expect(again.massAudience).toBe(true);
    expect(again.adaptsLayer).toBe(false);
    expect((await server.sfu.consumerStats(video(again).id)).preferredSpatialLayer).toBe(1);
  });

  it('a link ceiling holds every video at or below it, a pinned one too, and lifting it restores what was asked', async () => {
    const b = await largeViewer();
    const v = video(b);
    expect(await call(b.socket, 'setLayerCeiling', { spatialLayer: 0 })).toEqual({ spatialLayer: 0 });
    expect(await layer(v)).toBe(0);
    // A pin asks for the top layer: still held under the ceiling.
    await call(b.socket, 'setConsumerLayers', { consumerId: v.id, spatialLayer: 2 });
    expect(await layer(v)).toBe(0);
    await call(b.socket, 'setLayerCeiling', { spatialLayer: 1 });
    expect(await layer(v)).toBe(1);
    await call(b.socket, 'setLayerCeiling', { spatialLayer: null });
    expect(await layer(v)).toBe(2);
    await call(b.socket, 'setConsumerLayers', { consumerId: v.id, spatialLayer: null });
    expect(await layer(v)).toBe(1);
  });

  it('a new connection\'s consumers start under the ceiling the page carries in startConsuming, and with none when it carries none', async () => {
    const b = await largeViewer();
    await call(b.socket, 'setLayerCeiling', { spatialLayer: 0 });
    const carried = await consumeAgain(b, 0);
    expect(carried.adaptsLayer).toBe(true);
    expect(await layer(video(carried))).toBe(0);
    // The page's lift was lost on the way: the next startConsuming says null and the server follows.
    const lifted = await consumeAgain(b, null);
    expect(await layer(video(lifted))).toBe(1);
    await call(b.socket, 'setLayerCeiling', { spatialLayer: 0 });
    expect(await layer(video(await consumeAgain(b)))).toBe(1);
  });

  it('refuses a carried ceiling outside 0–2 with bad_request', async () => {
    const b = await largeViewer();
    const transport = await call(b.socket, 'createTransport', { direction: 'recv' });
    await call(b.socket, 'connectTransport', { transportId: transport.id, dtlsParameters });
    for (const layerCeiling of [3, -1, 'x', 0.5]) {
      expect(await request(b.socket, 'startConsuming', { rtpCapabilities: b.join.routerRtpCapabilities, layerCeiling })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    }
  });

  it('data saver puts every video on the lowest layer where no estimator would apply its cap, and off brings the default back', async () => {
    const b = await largeViewer();
    const v = video(b);
    expect(await layer(v)).toBe(1);
    await call(b.socket, 'setDataSaver', { on: true });
    expect(await layer(v)).toBe(0);
    // A pin does not raise it while data saver is on.
    await call(b.socket, 'setConsumerLayers', { consumerId: v.id, spatialLayer: 2 });
    expect(await layer(v)).toBe(0);
    expect(await layer(video(await consumeAgain(b)))).toBe(0);
    await call(b.socket, 'setDataSaver', { on: false });
    // The pin (kept for the new consumer) comes back with data saver off.
    const again = await consumeAgain(b);
    expect(await layer(video(again))).toBe(2);
  });

  it('refuses a ceiling outside 0–2 or of the wrong type with bad_request and changes nothing, and before join with not_joined', async () => {
    const b = await largeViewer();
    for (const bad of [{ spatialLayer: 3 }, { spatialLayer: -1 }, { spatialLayer: 1.5 }, { spatialLayer: '0' }, {}, { spatialLayer: 0, extra: 1 }]) {
      expect(await request(b.socket, 'setLayerCeiling', bad)).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    }
    expect(await layer(video(b))).toBe(1);
    const stranger = track({ socket: await connectClient(quiet, tokenFor(quiet, { role: 'teacher' })) });
    expect(await request(stranger.socket, 'setLayerCeiling', { spatialLayer: 0 })).toMatchObject({ ok: false, error: { code: 'not_joined' } });
  });
});
