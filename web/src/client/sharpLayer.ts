/**
 * When a viewer's video asks the SFU for its top simulcast layer (docs/large-audiences.md, "Pin
 * and full screen"): a mass-audience viewer receives every video on the middle layer
 * (360p) by default; the video the teacher pins as the large one, or watches full screen, asks
 * for the top layer (720p) with `setConsumerLayers`, and asks for the default back (`null`) when
 * the pin or the full screen ends.
 *
 * Outside the mass-audience profile nothing is asked: the server's default there is already the
 * top layer (mediasoup's own default preferred layer), and the SFU picks the highest layer the
 * viewer's bandwidth estimate allows, pinned or not. A request would change nothing and cost a
 * round trip per toggle for every viewer.
 *
 * Data saver and audio only never raise a layer: data saver caps the viewer's downlink for the
 * lowest layer (asking for more would only make the SFU probe against the cap), and audio only
 * has no video consumers at all.
 */

// The layers are the protocol's (the server's defaults use the same constants).
export { MASS_AUDIENCE_SPATIAL_LAYER, TOP_SPATIAL_LAYER } from '../../../signaling/protocol/layers';

export interface ReceiveContext {
  /** The server gave this connection the mass-audience profile (`startConsuming`). */
  massAudience: boolean;
  dataSaver: boolean;
  audioOnly: boolean;
}

/** Whether a video shown large (`sharp`: pinned or full screen) asks for the top layer. */
export function asksTopLayer(sharp: boolean, ctx: ReceiveContext): boolean {
  return sharp && ctx.massAudience && !ctx.dataSaver && !ctx.audioOnly;
}
