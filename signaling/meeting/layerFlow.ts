/**
 * Which simulcast layers a viewer receives, as the viewer asks (docs/large-audiences.md):
 *   setConsumerLayers(consumer, layer | null)  one video shown large (pinned, full screen) or back
 *   setDataSaver(on)                           a metered connection: the lowest layer, capped
 *   setLayerCeiling(layer | null)              the page measured its link: no layer above this
 * Each consumer's layer is `viewerLayer` (massAudience.ts): the asked or default layer, under the
 * link's ceiling, the lowest with data saver. All three are kept for the viewer's next consumers
 * (a re-home or a re-consume).
 */
import { notFound } from '../protocol/errors';
import type { ClientPayload } from '../protocol/schemas';
import type { ClientResultMap } from '../protocol/events';
import type { Meeting } from './Meeting';
import type { Peer } from './Peer';
import type { Session } from './Session';
import { reapplyViewerLayers, viewerLayer } from './massAudience';

/**
 * What a data-saving viewer may receive, bps: the lowest simulcast layer (320×180, ≤ 150 kbps)
 * plus Opus, with headroom. The cap bounds the SFU's estimate (and its probing); the layer itself
 * is set to the lowest too, which also holds where the SFU estimates nothing.
 */
export const DATA_SAVER_BPS = 250_000;

/** Layer requests kept per viewer (one per producer it asked about); the oldest goes first. */
const MAX_LAYER_REQUESTS = 64;

/** Sets every video consumer of the viewer to its layer again (`reapplyViewerLayers`). */
export const reapply = (meeting: Meeting, peer: Peer): Promise<void> =>
  reapplyViewerLayers(meeting.sfu, peer, (producerId) => meeting.published.get(producerId)?.kind);

export async function setDataSaver(
  session: Session,
  { on }: ClientPayload<'setDataSaver'>,
): Promise<ClientResultMap['setDataSaver']> {
  const { meeting, peer } = session.joined();
  peer.dataSaver = on;
  if (peer.recvTransportId) await meeting.sfu.setMaxOutgoingBitrate(peer.recvTransportId, on ? DATA_SAVER_BPS : 0);
  // Every time, not only on a change: a request whose SFU calls failed is asked again and must
  // then apply what the first one could not.
  await reapply(meeting, peer);
  return { dataSaver: on };
}

export async function setConsumerLayers(
  session: Session,
  { consumerId, spatialLayer }: ClientPayload<'setConsumerLayers'>,
): Promise<ClientResultMap['setConsumerLayers']> {
  const { meeting, peer } = session.joined();
  const producerId = peer.consumers.get(consumerId);
  if (!producerId) throw notFound('consumer');
  // null: back to the default (the pin or full screen ended), and nothing kept for a re-consume.
  peer.layerRequests.delete(producerId);
  if (spatialLayer !== null) {
    // Kept for this producer's next consumer (a re-consume): a pinned video stays sharp.
    if (peer.layerRequests.size >= MAX_LAYER_REQUESTS) peer.layerRequests.delete(peer.layerRequests.keys().next().value!);
    peer.layerRequests.set(producerId, spatialLayer);
  }
  await meeting.sfu.setConsumerPreferredLayers(consumerId, viewerLayer(peer, producerId));
  return {};
}

/**
 * The page's measure of its own link: no video layer above `spatialLayer` (null: no limit). Sent
 * by a page the SFU does not estimate (`startConsuming` said `adaptsLayer`) when loss persists,
 * and lifted step by step when the link has been quiet (web/src/client/layerGovernor.ts). A new
 * connection carries the page's ceiling in `startConsuming` instead.
 */
export async function setLayerCeiling(
  session: Session,
  { spatialLayer }: ClientPayload<'setLayerCeiling'>,
): Promise<ClientResultMap['setLayerCeiling']> {
  const { meeting, peer } = session.joined();
  peer.layerCeiling = spatialLayer;
  // Every time (see setDataSaver): the page sends again a ceiling whose request failed.
  await reapply(meeting, peer);
  return { spatialLayer };
}
