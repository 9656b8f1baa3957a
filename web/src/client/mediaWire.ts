/**
 * mediasoup-client's parameter types and the protocol's, converted in one place. Both describe the
 * same JSON, which mediasoup and mediasoup-client exchange through the server: the protocol keeps
 * structural copies (signaling/protocol/events.ts) so that web/ does not depend on the server
 * package, and its schemas (schemas.ts) check what comes in. The two differ only where one is
 * looser (mediasoup-client types codec parameters as `Record<string, unknown>`, the schema as
 * scalars), so each conversion is a type assertion; the server validates the payload, and
 * mediasoup-client the answers it loads.
 */
import type { types as msTypes } from 'mediasoup-client';
import type { AckOf, ClientRequest, ConsumerInfo } from '../../../signaling/protocol/events';

export const wireRtpCapabilities = (c: msTypes.RtpCapabilities): ClientRequest<'startConsuming'>['rtpCapabilities'] =>
  c as ClientRequest<'startConsuming'>['rtpCapabilities'];

export const wireRtpParameters = (p: msTypes.RtpParameters): ClientRequest<'produce'>['rtpParameters'] =>
  p as ClientRequest<'produce'>['rtpParameters'];

export const routerCapabilities = (joined: AckOf<'join'>): msTypes.RtpCapabilities => joined.routerRtpCapabilities as msTypes.RtpCapabilities;

export const transportOptions = (info: AckOf<'createTransport'>): msTypes.TransportOptions => info as msTypes.TransportOptions;

export const consumerRtpParameters = (info: ConsumerInfo): msTypes.RtpParameters => info.rtpParameters as msTypes.RtpParameters;
