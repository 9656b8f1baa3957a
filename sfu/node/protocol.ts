/**
 * The control protocol between signaling (a cluster controller) and an SFU node: every SfuNodeControl
 * method as one socket.io `call` event with an ack, and the node's events and load reports.
 * socket.io is the engine (framing, acks, heartbeats, reconnects); this file names the methods,
 * checks their arguments with zod at the node's boundary, and ties both to SfuNodeControl at
 * compile time: a method renamed, added or given other arguments there fails to compile here,
 * in the node's method table (SfuNodeServer) and at every caller (NodeLink.call).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { types } from 'mediasoup';
import { z } from 'zod';
import type { TypedEmitter } from '../../common/TypedEmitter';
import type { SfuErrorCode } from '../errors';
import type { SfuEvents, SfuNodeControl, SfuStats } from '../types';

/**
 * What a controller calls on a node: all of SfuNodeControl but its event emitter (events come
 * as `sfuEvent`), `stats` (it comes with every load report) and `close` (a node's own process
 * closes it).
 */
export type NodeMethod = Exclude<keyof SfuNodeControl, keyof TypedEmitter<SfuEvents> | 'stats' | 'close'>;
/** A method's arguments, as SfuNodeControl declares them. */
export type NodeArgs<M extends NodeMethod> = Parameters<SfuNodeControl[M]>;
/** What a method's call resolves to (`undefined` crosses the link as `null`). */
export type NodeResult<M extends NodeMethod> = Awaited<ReturnType<SfuNodeControl[M]>>;

const id = z.string().min(1).max(200);
const obj = z.record(z.string(), z.unknown());
/**
 * A mediasoup structure (DTLS or RTP parameters, RTP capabilities, SRTP keys): checked here as a
 * JSON object only, its inside is mediasoup's to validate; typed as what SfuNodeControl takes.
 */
const opaque = <T>(): z.ZodType<T> => obj as unknown as z.ZodType<T>;
const endpoint = z.strictObject({
  id,
  ip: z.string().min(1).max(64),
  port: z.number().int().min(1).max(65535),
  srtpParameters: opaque<types.SrtpParameters>().optional(),
});

/** Method → its argument tuple (the schema's output is exactly SfuNodeControl's arguments: see below). */
export const methodArgs = {
  openRoom: z.tuple([id, id.optional()]),
  placeViewer: z.tuple([id]),
  closeRoom: z.tuple([id]),
  createWebRtcTransport: z.tuple([id, z.enum(['send', 'recv']), z.strictObject({ watch: z.boolean().optional() }).optional()]),
  createIngestTransport: z.tuple([id]),
  connectTransport: z.tuple([id, opaque<types.DtlsParameters>()]),
  closeTransport: z.tuple([id]),
  produce: z.tuple([id, z.enum(['audio', 'video']), opaque<types.RtpParameters>()]),
  closeProducer: z.tuple([id]),
  pauseProducer: z.tuple([id]),
  resumeProducer: z.tuple([id]),
  consume: z.tuple([id, id, opaque<types.RtpCapabilities>()]),
  resumeConsumer: z.tuple([id]),
  pauseConsumer: z.tuple([id]),
  closeConsumer: z.tuple([id]),
  pipeProducer: z.tuple([id, id]),
  setConsumerPreferredLayers: z.tuple([id, z.number().int().min(0).max(2)]),
  setMaxOutgoingBitrate: z.tuple([id, z.number().int().min(0).max(100_000_000)]),
  consumerStats: z.tuple([id]),
  workerCpu: z.tuple([]),
  createRecorderTap: z.tuple([
    id,
    z.strictObject({ ip: z.union([z.ipv4(), z.ipv6()]), port: z.number().int().min(1).max(65535), rtcpPort: z.number().int().min(1).max(65535) }),
  ]),
  resumeRecorderTap: z.tuple([id]),
  closeRecorderTap: z.tuple([id]),
  createPipeTransport: z.tuple([id, id.optional()]),
  connectPipeTransport: z.tuple([id, endpoint]),
  closePipeTransport: z.tuple([id]),
  pipeConsume: z.tuple([id, id]),
  pipeProduce: z.tuple([id, z.strictObject({ producerId: id, kind: z.enum(['audio', 'video']), rtpParameters: opaque<types.RtpParameters>(), paused: z.boolean() })]),
} as const satisfies { [M in NodeMethod]: z.ZodType<NodeArgs<M>> };

/**
 * `satisfies` above catches a missing, extra or renamed method and a schema that yields other
 * arguments than the interface takes; this catches the converse (an argument the interface
 * gained that the schema would refuse). A mismatch names its method in the error.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Mismatched = { [M in NodeMethod]: Same<z.output<(typeof methodArgs)[M]>, NodeArgs<M>> extends true ? never : M }[NodeMethod];
type Assert<T extends true> = T;
export type ArgumentsMatchTheInterface = Assert<[Mismatched] extends [never] ? true : Mismatched>;

/** Whether a name from the wire is a method a node answers. */
export const isNodeMethod = (method: unknown): method is NodeMethod => typeof method === 'string' && Object.hasOwn(methodArgs, method);

/** A method's arguments from the wire, checked: the interface's tuple, or null when they do not fit. */
export function parseArgs<M extends NodeMethod>(method: M, args: unknown): NodeArgs<M> | null {
  const schemas: { readonly [K in NodeMethod]: z.ZodType<NodeArgs<K>> } = methodArgs;
  const schema: z.ZodType<NodeArgs<M>> = schemas[method];
  const parsed = schema.safeParse(args);
  return parsed.success ? parsed.data : null;
}

export type CallResult = { ok: true; result: unknown } | { ok: false; error: { code: SfuErrorCode | 'internal'; message: string } };

/** What a node reports about itself, every second and on connect. */
export interface NodeLoad {
  nodeId: string;
  /** A new value per process start: a restarted node is a new node with nothing in it. */
  epoch: string;
  /** Receiving transports on the node. */
  viewers: number;
  /** Viewers it takes before placement must look elsewhere (alive workers × viewers per worker). */
  capacity: number;
  stats: SfuStats;
  /** Links to other nodes: pipe transport ends, pipe consumers on them, replica producers recreated from them. */
  nodePipes?: { transports: number; consumers: number; replicas: number };
  /** Transports closed since start because the controller that created them was gone (ControllerTransports). */
  goneControllerTransportsClosed?: number;
}

export interface NodeToController {
  /** The node's proof of the secret, first thing on every connection. */
  hello: (hello: { nodeId: string; mac: string }) => void;
  load: (load: NodeLoad) => void;
  sfuEvent: <K extends keyof SfuEvents>(name: K, payload: SfuEvents[K][0]) => void;
}

export interface ControllerToNode {
  call: (method: string, args: unknown, ack: (result: CallResult) => void) => void;
}

/**
 * Mutual proof of the shared secret, which itself never travels: the controller sends a fresh
 * nonce, a timestamp and an HMAC of them (a node checks it and the clock), and the node answers
 * with an HMAC of the same nonce under its own role (the controller checks it before trusting
 * the endpoint). A stranger who announces an endpoint in Redis learns nothing and is not used.
 */
export const PROOF_MAX_SKEW_MS = 60_000;

export function proof(secret: string, role: 'controller' | 'node', nonce: string, ts: number): string {
  return createHmac('sha256', secret).update(`hoinghi-sfu|${role}|${nonce}|${ts}`).digest('base64url');
}

export function proofMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

export const controllerAuth = z.strictObject({
  nonce: z.string().min(16).max(64),
  ts: z.number().int(),
  mac: z.string().min(1).max(128),
  /**
   * The controller's id, the same on every link it opens (one per signaling process): when all
   * of its links have been gone for the grace period, the transports it created are closed.
   */
  controller: z.string().regex(/^[A-Za-z0-9._:@-]{1,128}$/).optional(),
});

/** Redis keys of node discovery: a set of node ids, and one expiring announcement per node. */
export const NODES_SET = 'hoinghi:sfu:nodes';
export const nodeKey = (nodeId: string): string => `hoinghi:sfu:node:${nodeId}`;

export interface NodeAnnouncement {
  nodeId: string;
  epoch: string;
  /** Where controllers reach the node's control endpoint. */
  controlUrl: string;
  viewers: number;
  capacity: number;
  at: number;
}

/** An announcement lives this long unless refreshed (the node refreshes it every second). */
export const ANNOUNCE_TTL_MS = 5_000;
