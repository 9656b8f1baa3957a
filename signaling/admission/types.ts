/**
 * Admission of joins: one join rate for the whole cluster, and a waiting queue for those refused.
 *
 * Two implementations, chosen once at start-up (`createAdmission.ts`): `LocalAdmission` (memory,
 * one node: the default) and `RedisAdmission` (a token bucket and the queue in Redis, run as Lua
 * scripts on Redis's own clock, shared by every signaling node). The join flow cannot tell which
 * one it got.
 *
 * The rule, the same in both: the queue is ordered by arrival, rejoins (a participant whose media
 * was lost, or whose node died) in a lane ahead of new joins. A ticket at rank r (0-based, rejoin
 * lane first) is admitted when the bucket holds more than r tokens, i.e. once everyone ahead of it
 * could be admitted too; a newcomer is ranked behind the whole queue of its lane. So admission is
 * first come, first served, within the jitter of the clients' polls. While anyone waits, the
 * bucket keeps unused tokens up to `burst` plus `holdMs` of the rate, because waiting clients
 * poll about once a second: capped at `burst` alone, a small burst would cap the admitted rate at
 * one burst per poll interval. A ticket lives while its
 * socket polls (`ticketTtlMs` after the last poll) and is cancelled when the socket leaves.
 */

/** The rejoin lane goes ahead of the new-join lane. */
export type AdmissionLane = 'rejoin' | 'new';

export interface AdmitRequest {
  /**
   * The caller's ticket id (a random UUID the caller keeps for its socket), or null to have one
   * made. An id not in the queue (a first attempt, or expired) is queued afresh under that id.
   */
  ticket: string | null;
  lane: AdmissionLane;
}

export type AdmitResult =
  | { status: 'admitted' }
  | {
      status: 'queued';
      ticket: string;
      lane: AdmissionLane;
      /** 1-based place in the whole queue (rejoins ahead of new joins). */
      position: number;
      /** Estimated wait from the rate and the tokens in the bucket, ms. */
      etaMs: number;
    }
  /** The queue is at its cap: the caller is not queued (retry later). */
  | { status: 'full' };

export interface QueueLengths {
  rejoin: number;
  new: number;
}

export interface AdmissionOptions {
  /** Joins per second admitted (cluster-wide with Redis). */
  joinsPerSecond: number;
  /** Bucket size: joins admitted at once after a quiet period. */
  burst: number;
  /** While the queue is not empty, unused tokens are kept up to `burst` + `holdMs` of the rate. */
  holdMs: number;
  /** A ticket whose socket has not polled for this long leaves the queue, ms. */
  ticketTtlMs: number;
  /** Tickets in the queue (both lanes) at most; beyond, callers are refused with a retry-after. */
  maxQueue: number;
}

export interface Admission {
  readonly kind: 'local' | 'redis';
  readonly options: AdmissionOptions;
  /** Admits now, or queues (or refreshes) the caller's ticket and says where it stands. */
  admit(request: AdmitRequest): Promise<AdmitResult>;
  /** Removes a ticket from the queue (its socket left or disconnected). */
  cancel(ticket: string): Promise<void>;
  /** Live tickets per lane (metrics and tests). */
  queueLengths(): Promise<QueueLengths>;
  close(): Promise<void>;
}
