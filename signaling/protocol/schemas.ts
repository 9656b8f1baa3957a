/**
 * zod schemas for every client → server event. The inferred types are the only payload types the
 * handlers see. Every string, array and record is bounded, so that a hostile payload is refused
 * before any work is done with it. mediasoup validates RTP semantics again on its side.
 */
import { z } from 'zod';
import { MAX_SSRC, refineProducerParameters } from './mediaRules';
import { QA_MAX_EVENT_BYTES, qaEventSchemas } from './qaSchemas';
import { CAPTION_MAX_EVENT_BYTES, captionEventSchemas } from './captionSchemas';
import { TOP_SPATIAL_LAYER } from './layers';
import { CREW_ROLES, MAX_COUNTDOWN_S, MAX_STAGE_SOURCES, STAGE_LAYOUTS } from './production';
import { CLIP_NAME, MAX_CLIP_NAME } from './clips';

const id = z.string().min(1).max(64);
/** A stage key: a user id, or a user id and `#screen` (meeting/production.ts stageKey). */
const stageKeySchema = z.string().min(1).max(72);
const shortStr = z.string().max(128);
const scalar = z.union([z.string().max(256), z.number(), z.boolean()]);
const codecParams = z.record(z.string().max(64), scalar).refine((r) => Object.keys(r).length <= 32, {
  message: 'too many codec parameters',
});

const rtcpFeedback = z.object({ type: shortStr, parameter: shortStr.optional() });

const rtpCodecCapability = z.object({
  kind: z.enum(['audio', 'video']),
  mimeType: shortStr,
  preferredPayloadType: z.number().int().min(0).max(127).optional(),
  clockRate: z.number().int().positive().max(1_000_000),
  channels: z.number().int().min(1).max(8).optional(),
  parameters: codecParams.optional(),
  rtcpFeedback: z.array(rtcpFeedback).max(32).optional(),
});

const rtpHeaderExtension = z.object({
  kind: z.enum(['audio', 'video']),
  uri: z.string().max(256),
  preferredId: z.number().int().min(1).max(255),
  preferredEncrypt: z.boolean().optional(),
  direction: z.enum(['sendrecv', 'sendonly', 'recvonly', 'inactive']).optional(),
});

export const rtpCapabilitiesSchema = z.object({
  codecs: z.array(rtpCodecCapability).max(64).optional(),
  headerExtensions: z.array(rtpHeaderExtension).max(64).optional(),
});

const rtpCodecParameters = z.object({
  mimeType: shortStr,
  payloadType: z.number().int().min(0).max(127),
  clockRate: z.number().int().positive().max(1_000_000),
  channels: z.number().int().min(1).max(8).optional(),
  parameters: codecParams.optional(),
  rtcpFeedback: z.array(rtcpFeedback).max(32).optional(),
});

const rtpEncoding = z.object({
  ssrc: z.number().int().nonnegative().max(MAX_SSRC).optional(),
  rid: z.string().max(32).optional(),
  codecPayloadType: z.number().int().min(0).max(127).optional(),
  rtx: z.object({ ssrc: z.number().int().nonnegative().max(MAX_SSRC) }).optional(),
  dtx: z.boolean().optional(),
  scalabilityMode: z.string().max(16).optional(),
  scaleResolutionDownBy: z.number().min(1).max(64).optional(),
  maxBitrate: z.number().int().positive().max(50_000_000).optional(),
  maxFramerate: z.number().positive().max(120).optional(),
  adaptivePtime: z.boolean().optional(),
  priority: z.enum(['very-low', 'low', 'medium', 'high']).optional(),
  networkPriority: z.enum(['very-low', 'low', 'medium', 'high']).optional(),
  active: z.boolean().optional(),
});

export const rtpParametersSchema = z.object({
  mid: z.string().max(32).optional(),
  codecs: z.array(rtpCodecParameters).min(1).max(16),
  headerExtensions: z
    .array(
      z.object({
        uri: z.string().max(256),
        id: z.number().int().min(1).max(255),
        encrypt: z.boolean().optional(),
        parameters: codecParams.optional(),
      }),
    )
    .max(32)
    .optional(),
  encodings: z.array(rtpEncoding).max(4).optional(),
  rtcp: z
    .object({
      cname: z.string().max(256).optional(),
      reducedSize: z.boolean().optional(),
      mux: z.boolean().optional(),
    })
    .optional(),
});

export const dtlsParametersSchema = z.object({
  role: z.enum(['auto', 'client', 'server']).optional(),
  fingerprints: z
    .array(
      z.object({
        algorithm: z.enum(['sha-1', 'sha-224', 'sha-256', 'sha-384', 'sha-512']),
        value: z.string().max(256),
      }),
    )
    .min(1)
    .max(8),
});

export const mediaSourceSchema = z.enum(['camera', 'mic', 'screen']);
export type MediaSource = z.infer<typeof mediaSourceSchema>;

/**
 * One schema per client → server event. The key is the event name. Event payloads are strict:
 * an unknown key is refused, not silently dropped.
 */
export const clientEventSchemas = {
  join: z.strictObject({
    meetingId: id,
    /** The `resumeTicket` of this user's last join: a rejoin goes ahead of new joins. */
    resumeTicket: z.string().min(1).max(256).optional(),
  }),
  leave: z.strictObject({}),
  createTransport: z.strictObject({ direction: z.enum(['send', 'recv']) }),
  connectTransport: z.strictObject({ transportId: id, dtlsParameters: dtlsParametersSchema }),
  /** Ask for consumers of everything currently published, once the device is loaded. */
  startConsuming: z.strictObject({
    rtpCapabilities: rtpCapabilitiesSchema,
    /**
     * The ceiling the page learnt of its link on an earlier connection (setLayerCeiling); kept
     * only if this connection gets no estimator (`adaptsLayer`). Absent or null: no limit.
     */
    layerCeiling: z.number().int().min(0).max(TOP_SPATIAL_LAYER).nullable().optional(),
  }),
  /** Also checked against the rules of `mediaRules.ts` (codec kind, layers, SSRCs, rids). */
  produce: z
    .strictObject({
      transportId: id,
      kind: z.enum(['audio', 'video']),
      rtpParameters: rtpParametersSchema,
      source: mediaSourceSchema,
    })
    .superRefine(refineProducerParameters),
  closeProducer: z.strictObject({ producerId: id }),
  pauseProducer: z.strictObject({ producerId: id }),
  resumeProducer: z.strictObject({ producerId: id }),
  resumeConsumer: z.strictObject({ consumerId: id }),
  /** Receive audio only (weak connections): video consumers close, and none are offered. */
  setAudioOnly: z.strictObject({ on: z.boolean() }),
  /** Data saver (metered connections): the viewer's downlink is capped, so video stays on the lowest layer. */
  setDataSaver: z.strictObject({ on: z.boolean() }),
  /**
   * A viewer's preferred simulcast layer (0 = lowest); the SFU still follows the bandwidth.
   * `null`: back to the default (the middle layer for a mass-audience viewer, else the top one).
   */
  setConsumerLayers: z.strictObject({
    consumerId: id,
    spatialLayer: z.number().int().min(0).max(TOP_SPATIAL_LAYER).nullable(),
  }),
  /**
   * The highest spatial layer the viewer's link carries, as its page measured it (loss, freezes);
   * every video consumer stays at or below it. `null`: no limit.
   */
  setLayerCeiling: z.strictObject({ spatialLayer: z.number().int().min(0).max(TOP_SPATIAL_LAYER).nullable() }),
  /** A teacher raises or lowers their own hand. */
  raiseHand: z.strictObject({}),
  lowerHand: z.strictObject({}),
  /** Host: lower one hand, every hand, or every hand of one province ('--': no province). */
  lowerHands: z.discriminatedUnion('scope', [
    z.strictObject({ scope: z.literal('all') }),
    z.strictObject({ scope: z.literal('province'), province: z.string().regex(/^([0-9]{2}|--)$/) }),
    z.strictObject({ scope: z.literal('user'), userId: id }),
  ]),
  /** Host: a page of the hand queue, in raise order (for scrolling past the summary's head). */
  handQueuePage: z.strictObject({ offset: z.number().int().min(0).max(10_000_000), limit: z.number().int().min(1).max(500) }),
  /**
   * Hosts: a page of the participant list, searchable by name, school and province name (case and
   * diacritics ignored), optionally of one province. A province host sees only their province.
   */
  participantsPage: z.strictObject({
    query: z.string().trim().max(64).optional(),
    province: z.string().regex(/^[0-9]{2}$/).optional(),
    offset: z.number().int().min(0).max(10_000_000),
    limit: z.number().int().min(1).max(100),
  }),
  /** Host: invite a participant to speak (audio, plus video if allowed). */
  inviteSpeaker: z.strictObject({ userId: id, allowVideo: z.boolean().default(false) }),
  /** The invited participant accepts or declines. */
  respondInvitation: z.strictObject({ accept: z.boolean() }),
  /** Host: mute or unmute a speaker's microphone (pauses the producer on the server). */
  muteSpeaker: z.strictObject({ userId: id, muted: z.boolean().default(true) }),
  /** Host: end a speaker's grant; their producers close. */
  revokeSpeaker: z.strictObject({ userId: id }),
  /** A speaker stops speaking. */
  stopSpeaking: z.strictObject({}),
  /** National host: split the meeting into one session per province. */
  startBreakouts: z.strictObject({
    /** Optional duration; the breakouts end by themselves when it runs out. */
    durationS: z.number().int().min(1).max(8 * 3600).optional(),
    /** Keep the national video as a small overlay in every breakout. */
    nationalOverlay: z.boolean().default(false),
    /** Only these provinces split out; the others stay in main. Default: the meeting's plan, else every province. */
    provinces: z.array(z.string().regex(/^[0-9]{2}$/)).min(1).max(34).optional(),
  }),
  /** National host: add time to the running breakouts. */
  extendBreakouts: z.strictObject({ seconds: z.number().int().min(60).max(4 * 3600) }),
  /** National host: call everyone back to the main session. */
  endBreakouts: z.strictObject({}),
  /** National host: be heard in every breakout (or stop). */
  speakToAll: z.strictObject({ on: z.boolean() }),
  /** A fresh token for this connection before the current one expires (same user and role). */
  refreshToken: z.strictObject({ token: z.string().min(1).max(8192) }),
  /** National host: a text notice to every session. */
  sendNotice: z.strictObject({ text: z.string().trim().min(1).max(500) }),
  /** Questions, polls and reactions (qaSchemas.ts). */
  ...qaEventSchemas,
  /** Live captions (captionSchemas.ts). */
  ...captionEventSchemas,
  /** Session hosts: record the caller's session (the main session, or their province's breakout). */
  startRecording: z.strictObject({}),
  stopRecording: z.strictObject({}),
  /** Anyone joined: where the delayed (live HLS) stream of their session is; starts it if needed. */
  watchLive: z.strictObject({}),
  /** Hosts and producers: one change of the stage (meeting/production.ts). */
  updateStage: z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('backstage'), on: z.boolean() }),
    z.strictObject({ type: z.literal('put'), key: stageKeySchema, on: z.boolean() }),
    z.strictObject({ type: z.literal('move'), key: stageKeySchema, to: z.number().int().min(0).max(MAX_STAGE_SOURCES) }),
    z.strictObject({ type: z.literal('layout'), layout: z.enum(STAGE_LAYOUTS) }),
    z.strictObject({ type: z.literal('goLive'), inS: z.number().int().min(0).max(MAX_COUNTDOWN_S) }),
    z.strictObject({ type: z.literal('endLive') }),
  ]),
  /** Hosts (producers for the roles but producer): name someone to the crew, or remove them (`role: null`). */
  setCrew: z.strictObject({
    userId: id,
    role: z.enum(CREW_ROLES).nullable(),
    /** For someone not in the meeting yet (as the staff directory names them). */
    name: z.string().trim().min(1).max(120).optional(),
  }),
  /** Anyone: see the sign-language interpreter's picture beside the speaker (or not). */
  setInterpreterView: z.strictObject({ on: z.boolean() }),
  /** Hosts and producers: the clip library (signaling/clips/), and the clip playing. */
  listClips: z.strictObject({}),
  /** Hosts and producers: play a clip of the library into the backstage (replacing the one playing). */
  playClip: z.strictObject({ name: z.string().min(1).max(MAX_CLIP_NAME).regex(CLIP_NAME, 'not a clip name') }),
  stopClip: z.strictObject({}),
} as const;

export type ClientEventName = keyof typeof clientEventSchemas;
export type ClientPayload<E extends ClientEventName> = z.infer<(typeof clientEventSchemas)[E]>;
/**
 * What a client sends for an event: the schema's input, before zod fills in defaults (a field with
 * a default may be left out). `ClientPayload` is what the server's handler sees after parsing.
 */
export type ClientRequest<E extends ClientEventName> = z.input<(typeof clientEventSchemas)[E]>;

/** Largest accepted JSON size of one event payload, in bytes. */
export const MAX_EVENT_BYTES: Record<ClientEventName, number> = {
  join: 512,
  leave: 64,
  createTransport: 128,
  connectTransport: 2_048,
  startConsuming: 16_384,
  produce: 16_384,
  closeProducer: 256,
  pauseProducer: 256,
  resumeProducer: 256,
  resumeConsumer: 256,
  setConsumerLayers: 256,
  setAudioOnly: 64,
  setDataSaver: 64,
  setLayerCeiling: 64,
  raiseHand: 64,
  lowerHand: 64,
  lowerHands: 256,
  handQueuePage: 128,
  participantsPage: 256,
  inviteSpeaker: 256,
  respondInvitation: 64,
  muteSpeaker: 256,
  revokeSpeaker: 256,
  stopSpeaking: 64,
  startBreakouts: 512,
  extendBreakouts: 64,
  endBreakouts: 64,
  speakToAll: 64,
  sendNotice: 2_048,
  startRecording: 64,
  stopRecording: 64,
  watchLive: 64,
  refreshToken: 8_300,
  updateStage: 256,
  setCrew: 512,
  setInterpreterView: 64,
  listClips: 64,
  playClip: 1_024,
  stopClip: 64,
  ...QA_MAX_EVENT_BYTES,
  ...CAPTION_MAX_EVENT_BYTES,
};
