/**
 * The mass-audience media profile (docs/large-audiences.md): for a meeting whose
 * cluster-wide viewer count is at or above `HOINGHI_MASS_AUDIENCE_VIEWERS`, a receive-only viewer
 * who starts consuming gets
 *   - no bandwidth estimation (HOINGHI_MASS_AUDIENCE_BWE=none, the default): its RTP capabilities
 *     lose transport-cc, the transport-wide-cc header extension and goog-remb before any consume,
 *     so mediasoup runs no congestion control for its transport; its page lowers its own layers on
 *     loss (`setLayerCeiling`, web/src/client/layerGovernor.ts). With `remb`, goog-remb stays and
 *     mediasoup estimates from the viewer's REMB, with no per-packet send history;
 *   - the middle spatial simulcast layer (360p) by default, unless the viewer asked for another
 *     layer of that producer with `setConsumerLayers` (pinned or full screen).
 * The host's page learns the meeting is large from `meetingStats.massAudience` and starts its
 * microphone with Opus 60 ms frames + DTX (web/src/client/massAudience.ts).
 * load-tests/viewerCost.ts measures what the profile costs per viewer against the default one.
 * The choice is made when the viewer (re)starts consuming and kept for that receive transport.
 */
import type { RtpCapabilities } from '../protocol/events';
import { MASS_AUDIENCE_SPATIAL_LAYER, TOP_SPATIAL_LAYER } from '../protocol/layers';
import type { MeetingState } from '../store/types';
import type { SfuControl } from '../../sfu/types';
import { SfuError } from '../../sfu/errors';
import type { Peer } from './Peer';

/** The header extension transport-cc feedback is computed from. */
export const TRANSPORT_WIDE_CC_URI = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';
// The middle layer is a mass-audience viewer's default; the top one every other viewer's.
export { MASS_AUDIENCE_SPATIAL_LAYER, TOP_SPATIAL_LAYER };

/** The layer a viewer gets when it asked for none (or asked for the default back, `null`). */
export function defaultViewerLayer(peer: Peer): number {
  return peer.massAudience ? MASS_AUDIENCE_SPATIAL_LAYER : TOP_SPATIAL_LAYER;
}

/** Whether a meeting with this many viewers (cluster-wide) is large; a threshold of 0 = never. */
export function isMassAudience(viewers: number, threshold: number): boolean {
  return threshold > 0 && viewers >= threshold;
}

/** A "large" answer is reused this long: a join wave into a large meeting reads the counts once. */
const LARGE_FOR_MS = 2_000;
const largeUntil = new WeakMap<MeetingState, number>();

/**
 * Whether the meeting is large now, from the store's cluster-wide counts. A "large" answer is
 * cached per meeting for LARGE_FOR_MS (a small meeting has few joins, so it is read each time).
 */
export async function meetingIsLarge(state: MeetingState, threshold: number): Promise<boolean> {
  if (threshold <= 0) return false;
  if ((largeUntil.get(state) ?? 0) > Date.now()) return true;
  const large = isMassAudience((await state.counts()).viewers, threshold);
  if (large) largeUntil.set(state, Date.now() + LARGE_FOR_MS);
  return large;
}

/** A receive-only viewer: not a host, and no send transport (not an invited speaker now). */
export function isReceiveOnly(peer: Peer): boolean {
  return !peer.isHost && ![...peer.transports.values()].includes('send');
}

/**
 * The capabilities without transport-cc: no `transport-cc` RTCP feedback on any codec and no
 * transport-wide-cc header extension. Everything else (goog-remb, abs-send-time) stays.
 */
export function withoutTransportCc(caps: RtpCapabilities): RtpCapabilities {
  const codecs = caps.codecs?.map((codec) => {
    const c = codec as { rtcpFeedback?: { type: string }[] };
    return c.rtcpFeedback ? { ...c, rtcpFeedback: c.rtcpFeedback.filter((fb) => fb.type !== 'transport-cc') } : codec;
  });
  const headerExtensions = caps.headerExtensions?.filter((ext) => (ext as { uri?: string }).uri !== TRANSPORT_WIDE_CC_URI);
  return { ...caps, ...(codecs && { codecs }), ...(headerExtensions && { headerExtensions }) };
}

/**
 * The capabilities without any bandwidth feedback: neither transport-cc nor goog-remb. mediasoup
 * then makes no congestion-control client for the transport (no estimator, no 5 ms timer, no
 * per-packet send bookkeeping): the viewer receives the layer it prefers, whatever its link.
 */
export function withoutBandwidthFeedback(caps: RtpCapabilities): RtpCapabilities {
  const stripped = withoutTransportCc(caps);
  const codecs = stripped.codecs?.map((codec) => {
    const c = codec as { rtcpFeedback?: { type: string }[] };
    return c.rtcpFeedback ? { ...c, rtcpFeedback: c.rtcpFeedback.filter((fb) => fb.type !== 'goog-remb') } : codec;
  });
  return { ...stripped, ...(codecs && { codecs }) };
}

/**
 * The capabilities a viewer consumes with, decided when it (re)starts consuming: marks the peer
 * as a mass-audience viewer and strips transport-cc when the meeting is large (and REMB too with
 * `bwe: 'none'`).
 */
export function profileCapabilities(peer: Peer, caps: RtpCapabilities, large: boolean, bwe: 'remb' | 'none' = 'none'): RtpCapabilities {
  peer.massAudience = large && isReceiveOnly(peer);
  if (!peer.massAudience) return caps;
  return bwe === 'none' ? withoutBandwidthFeedback(caps) : withoutTransportCc(caps);
}

/** Whether the SFU runs no bandwidth estimator for this viewer: its page lowers its own layers on loss. */
export function adaptsOwnLayer(peer: Peer, bwe: 'remb' | 'none' = 'none'): boolean {
  return peer.massAudience && bwe === 'none';
}

/**
 * The spatial layer a viewer's consumer of `producerId` prefers: what it asked for with
 * `setConsumerLayers` (pinned, full screen) or its default, never above its link's ceiling
 * (`setLayerCeiling`) and, with data saver, the lowest layer. Data saver's bitrate cap alone would
 * do nothing on a transport the SFU does not estimate (mediasoup applies the cap to its estimator).
 */
export function viewerLayer(peer: Peer, producerId: string): number {
  if (peer.dataSaver) return 0;
  const wanted = peer.layerRequests.get(producerId) ?? defaultViewerLayer(peer);
  return peer.layerCeiling === null ? wanted : Math.min(wanted, peer.layerCeiling);
}

/**
 * After a video consumer is created (paused): its layer (`viewerLayer`). A consumer whose layer is
 * the top one is left alone: that is mediasoup's own default. Returns the layer it has.
 */
export async function applyViewerLayer(sfu: SfuControl, peer: Peer, consumerId: string, producerId: string, kind: string): Promise<number | null> {
  if (kind !== 'video') return null;
  const layer = viewerLayer(peer, producerId);
  if (layer !== TOP_SPATIAL_LAYER) await sfu.setConsumerPreferredLayers(consumerId, layer);
  return layer;
}

/**
 * Once a new consumer is registered on the peer: if its layer's inputs changed while it was being
 * created (a ceiling or data saver applied to the peer's other consumers meanwhile), set it again.
 */
export async function settleViewerLayer(sfu: SfuControl, peer: Peer, consumerId: string, producerId: string, applied: number | null): Promise<void> {
  if (applied === null) return;
  const layer = viewerLayer(peer, producerId);
  if (layer !== applied) await ignoreGone(sfu.setConsumerPreferredLayers(consumerId, layer));
}

/** A consumer closed meanwhile (its producer went) is not an error here; anything else is. */
async function ignoreGone(call: Promise<void>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof SfuError && error.code === 'not_found')) throw error;
  }
}

/**
 * Sets every video consumer of the viewer to its layer again, after something all of them depend
 * on changed (data saver, the link's ceiling). `kindOf` gives a producer's kind (undefined: gone).
 * Throws if the SFU failed for a consumer that still exists (the caller's request then fails and
 * the client asks again).
 */
export async function reapplyViewerLayers(sfu: SfuControl, peer: Peer, kindOf: (producerId: string) => string | undefined): Promise<void> {
  const video = [...peer.consumers].filter(([, producerId]) => kindOf(producerId) === 'video');
  await Promise.all(video.map(([consumerId, producerId]) => ignoreGone(sfu.setConsumerPreferredLayers(consumerId, viewerLayer(peer, producerId)))));
}
