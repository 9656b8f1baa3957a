/**
 * One participant connected through this signaling node: identity from the token, the socket it
 * speaks through, and the ids of the media objects it owns on the SFU (they stay with the node
 * that owns the socket). What every node must know of a participant is in the meeting store.
 * Plain state; the Meeting and the flows change it.
 */
import type { Claims } from '../auth/tokens';
import type { RtpCapabilities, SelfInfo } from '../protocol/events';
import type { PublishedProducer } from '../store/types';

export type { PublishedProducer };

export class Peer {
  readonly userId: string;
  readonly claims: Claims;
  socketId: string;
  /** Transport id → direction. */
  readonly transports = new Map<string, 'send' | 'recv'>();
  recvTransportId: string | null = null;
  /** The SFU room (edge) where this participant receives, chosen by the placement policy. */
  edgeRoomId: string | null = null;
  /** Set once the client has loaded its device and asked to consume. */
  rtpCapabilities: RtpCapabilities | null = null;
  readonly producers = new Map<string, PublishedProducer>();
  /** Consumer id → producer id. */
  readonly consumers = new Map<string, string>();
  /** Producers a consumer is being created for (so that two paths never create two). */
  readonly consuming = new Set<string>();
  /** Consumers the server keeps paused (national audio in a breakout, unless speaking to all). */
  readonly held = new Set<string>();
  /** Receives audio only (a weak connection): no video consumers. */
  audioOnly = false;
  /** Receives the sign-language interpreter's picture (the teacher turned it on; off by default). */
  interpreterView = false;
  /** Data saver: the receiving transport is capped at DATA_SAVER_BPS (kept across re-homes). */
  dataSaver = false;
  /** Receives with the mass-audience profile (massAudience.ts), decided at `startConsuming`. */
  massAudience = false;
  /** Producer id → the spatial layer this viewer asked for (`setConsumerLayers`: pinned, full screen). */
  readonly layerRequests = new Map<string, number>();
  /**
   * The highest spatial layer this viewer's link carries, as its page measured it
   * (`setLayerCeiling`: loss and freezes on a link the SFU does not estimate); null = no limit.
   * Kept across re-homes and re-consumes, like data saver.
   */
  layerCeiling: number | null = null;
  /** The session this participant is in: 'main' or a province code. */
  sessionKey = 'main';
  readonly joinedAt = Date.now();

  constructor(claims: Claims, socketId: string) {
    this.userId = claims.sub;
    this.claims = claims;
    this.socketId = socketId;
  }

  get isHost(): boolean {
    return this.claims.role === 'host';
  }

  selfInfo(canSend: boolean): SelfInfo {
    return {
      userId: this.userId,
      name: this.claims.name,
      role: this.claims.role,
      province: this.claims.province,
      school: this.claims.school,
      canSend,
    };
  }

  /** Forgets every media object (after they were closed, or lost with a worker). */
  resetMedia(): void {
    this.resetReceiving();
    this.transports.clear();
    this.producers.clear();
  }

  /** Forgets the receiving side only (its edge was lost); what it publishes stays. */
  resetReceiving(): void {
    if (this.recvTransportId) this.transports.delete(this.recvTransportId);
    this.recvTransportId = null;
    this.edgeRoomId = null;
    this.rtpCapabilities = null;
    this.consumers.clear();
    this.held.clear();
    this.consuming.clear();
  }

  /** Whether this participant already consumes (or is about to consume) a producer. */
  hasConsumerOf(producerId: string): boolean {
    if (this.consuming.has(producerId)) return true;
    for (const p of this.consumers.values()) if (p === producerId) return true;
    return false;
  }
}
