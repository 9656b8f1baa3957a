/**
 * Pin / full screen (issue 10): when the web client asks for the top simulcast layer, and the
 * `setConsumerLayers` payloads the server accepts (a layer 0–2, or null for the default back).
 */
import { describe, expect, it } from 'vitest';
import { asksTopLayer } from '../../web/src/client/sharpLayer';
import { clientEventSchemas } from '../../signaling/protocol/schemas';

const plain = { massAudience: true, dataSaver: false, audioOnly: false };

describe('asksTopLayer', () => {
  it('asks for the top layer only for a video shown sharp in the mass-audience profile', () => {
    expect(asksTopLayer(true, plain)).toBe(true);
    expect(asksTopLayer(false, plain)).toBe(false);
  });

  it('asks nothing outside the mass-audience profile, where the top layer is already the default', () => {
    expect(asksTopLayer(true, { ...plain, massAudience: false })).toBe(false);
  });

  it('never raises the layer with data saver or audio only on', () => {
    expect(asksTopLayer(true, { ...plain, dataSaver: true })).toBe(false);
    expect(asksTopLayer(true, { ...plain, audioOnly: true })).toBe(false);
  });
});

describe('setConsumerLayers payload', () => {
  const schema = clientEventSchemas.setConsumerLayers;
  const consumerId = '6f1c1a52-6d2a-4a8e-9a53-0f4b8f6b2c11';

  it('accepts a layer from 0 to 2, and null for the default back', () => {
    for (const spatialLayer of [0, 1, 2, null]) expect(schema.safeParse({ consumerId, spatialLayer }).success).toBe(true);
  });

  it('refuses a layer out of range, a fraction, a string, or none at all', () => {
    for (const spatialLayer of [3, -1, 1.5, '2', undefined]) expect(schema.safeParse({ consumerId, spatialLayer }).success).toBe(false);
    expect(schema.safeParse({ consumerId }).success).toBe(false);
  });
});
