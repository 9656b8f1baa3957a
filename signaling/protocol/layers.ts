/**
 * The simulcast spatial layers both sides name: hosts publish three (0 = lowest, 180p; 1 = 360p;
 * 2 = 720p). The server picks a viewer's default layer from them (signaling/meeting/massAudience.ts)
 * and the page asks for them (web/src/client/sharpLayer.ts, layerGovernor.ts); the `produce`,
 * `setConsumerLayers` and `setLayerCeiling` schemas bound layers by the top one.
 */

/** The top spatial layer (mediasoup clamps it to the producer's own top: a screen share has one). */
export const TOP_SPATIAL_LAYER = 2;
/** The layer a mass-audience viewer receives by default: the middle one (360p). */
export const MASS_AUDIENCE_SPATIAL_LAYER = 1;
