import type { types } from 'mediasoup';

/**
 * Router codecs, in the order a publisher's browser picks from (mediasoup-client takes the first
 * codec the device and the router share): Opus; VP8 (simulcast, the broadest browser support, what
 * browsers publish); then H.264 for studio encoders that send nothing else (OBS, most hardware
 * encoders), packetization mode 1, in the three profiles encoders and Chromium offer: constrained
 * baseline (42e01f), baseline (42001f) and main (4d001f). mediasoup matches H.264 by profile, so a
 * producer in one of them is consumable by every viewer whose browser decodes that profile.
 *
 * The payload types are libwebrtc's (what Chromium 156 offers: test/fixtures/whip/*.sdp), so that
 * a consumer, which sends with the router's numbers, is received as is by a stock WHEP player
 * that offered its own. mediasoup picks the RTX payload types itself; `createMediaRouter` pins
 * them to libwebrtc's too (RTX_PAYLOAD_TYPES).
 */
export const mediaCodecs: types.RtpCodecCapability[] = [
  {
    kind: 'audio',
    mimeType: 'audio/opus',
    preferredPayloadType: 111,
    clockRate: 48000,
    channels: 2,
    parameters: { useinbandfec: 1, usedtx: 1 },
  },
  {
    kind: 'video',
    mimeType: 'video/VP8',
    preferredPayloadType: 96,
    clockRate: 90000,
    parameters: { 'x-google-start-bitrate': 600 },
  },
  {
    kind: 'video',
    mimeType: 'video/H264',
    preferredPayloadType: 108,
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1, 'x-google-start-bitrate': 600 },
  },
  {
    kind: 'video',
    mimeType: 'video/H264',
    preferredPayloadType: 102,
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42001f', 'level-asymmetry-allowed': 1, 'x-google-start-bitrate': 600 },
  },
  {
    kind: 'video',
    mimeType: 'video/H264',
    preferredPayloadType: 116,
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '4d001f', 'level-asymmetry-allowed': 1, 'x-google-start-bitrate': 600 },
  },
];

/** Media payload type → its RTX payload type, as libwebrtc numbers them. */
export const RTX_PAYLOAD_TYPES: Readonly<Record<number, number>> = { 96: 97, 108: 109, 102: 103, 116: 117 };

/**
 * Pins the RTX payload types of router capabilities made from `mediaCodecs` to RTX_PAYLOAD_TYPES,
 * in place. mediasoup gives an RTX codec the first free dynamic number (100, 101, …) and offers no
 * option for it, but reads the router's capabilities only in JavaScript (producer mappings,
 * consumer parameters), so rewriting them before the first producer is the same as having chosen
 * them. Throws if a number would be used twice.
 */
export function pinRtxPayloadTypes(caps: types.RtpCapabilities): void {
  const codecs = caps.codecs ?? [];
  for (const codec of codecs) {
    if (!/\/rtx$/i.test(codec.mimeType)) continue;
    const pinned = RTX_PAYLOAD_TYPES[Number(codec.parameters?.apt)];
    if (pinned !== undefined) codec.preferredPayloadType = pinned;
  }
  const used = codecs.map((c) => c.preferredPayloadType);
  if (new Set(used).size !== used.length) throw new Error(`router payload types used twice: ${used.join(', ')}`);
}

/** A router with the platform's codecs and payload types (every router of every node: pipes need the same numbers). */
export async function createMediaRouter(worker: types.Worker, appData: types.AppData = {}): Promise<types.Router> {
  const router = await worker.createRouter({ mediaCodecs, appData });
  try {
    pinRtxPayloadTypes(router.rtpCapabilities);
  } catch (error) {
    router.close();
    throw error;
  }
  return router;
}
