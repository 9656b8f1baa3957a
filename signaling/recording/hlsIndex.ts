/**
 * Where a meeting's HLS lives, cluster-wide: which signaling node makes a session's live stream
 * (its "origin", held as a lease the origin renews), and which node keeps each recording's files.
 * Any node can then answer an HLS request: from its own disk, or by passing it to the node that
 * has the files (proxy.ts). Two implementations chosen at start-up, like the meeting store: in
 * memory for one node (the default), in Redis for a cluster (redisHlsIndex.ts).
 */
import type { RecordingInfo } from './recordingTypes';

/** A signaling node, as other nodes reach its HTTP listener. */
export interface HlsNode {
  /** The store's node id (unique per process). */
  id: string;
  /** Base URL other signaling nodes reach it at (HOINGHI_INTERNAL_URL). */
  url: string;
}

/** The node that makes a session's live stream, and the stream's current id (null while starting). */
export interface LiveOrigin {
  node: HlsNode;
  liveId: string | null;
}

/** A recording as the cluster knows it: its description, and the node that has its files. */
export interface IndexedRecording {
  node: HlsNode;
  info: RecordingInfo;
}

export interface HlsIndex {
  /**
   * Makes `origin` the session's live origin for `ttlMs`, unless another node holds it; renews
   * it when `origin.node` already holds it. Returns whoever holds it afterwards.
   */
  claimLive(meetingId: string, sessionKey: string, origin: LiveOrigin, ttlMs: number): Promise<LiveOrigin>;
  /** The session's live origin, if any holds it. */
  live(meetingId: string, sessionKey: string): Promise<LiveOrigin | null>;
  /** Gives the lease up, if `nodeId` holds it. */
  releaseLive(meetingId: string, sessionKey: string, nodeId: string): Promise<void>;
  /** Records (or updates) a recording and the node that has its files. */
  putRecording(entry: IndexedRecording): Promise<void>;
  /** A meeting's recordings, every node's. */
  recordings(meetingId: string): Promise<IndexedRecording[]>;
  /** One recording (a file request reads only its own entry). */
  recording(meetingId: string, recordingId: string): Promise<IndexedRecording | null>;
  dropRecording(meetingId: string, recordingId: string): Promise<void>;
  close(): Promise<void>;
}

interface Lease {
  origin: LiveOrigin;
  until: number;
}

/** One node: every origin is this node, and recordings are this node's (its folder is the truth). */
export class MemoryHlsIndex implements HlsIndex {
  readonly #leases = new Map<string, Lease>();
  readonly #recordings = new Map<string, Map<string, IndexedRecording>>();

  async claimLive(meetingId: string, sessionKey: string, origin: LiveOrigin, ttlMs: number): Promise<LiveOrigin> {
    const key = `${meetingId}|${sessionKey}`;
    const held = this.#leases.get(key);
    if (held && held.until > Date.now() && held.origin.node.id !== origin.node.id) return held.origin;
    this.#leases.set(key, { origin, until: Date.now() + ttlMs });
    return origin;
  }

  async live(meetingId: string, sessionKey: string): Promise<LiveOrigin | null> {
    const held = this.#leases.get(`${meetingId}|${sessionKey}`);
    return held && held.until > Date.now() ? held.origin : null;
  }

  async releaseLive(meetingId: string, sessionKey: string, nodeId: string): Promise<void> {
    const key = `${meetingId}|${sessionKey}`;
    if (this.#leases.get(key)?.origin.node.id === nodeId) this.#leases.delete(key);
  }

  async putRecording(entry: IndexedRecording): Promise<void> {
    let m = this.#recordings.get(entry.info.meetingId);
    if (!m) this.#recordings.set(entry.info.meetingId, (m = new Map()));
    m.set(entry.info.id, entry);
  }

  async recordings(meetingId: string): Promise<IndexedRecording[]> {
    return [...(this.#recordings.get(meetingId)?.values() ?? [])];
  }

  async recording(meetingId: string, recordingId: string): Promise<IndexedRecording | null> {
    return this.#recordings.get(meetingId)?.get(recordingId) ?? null;
  }

  async dropRecording(meetingId: string, recordingId: string): Promise<void> {
    this.#recordings.get(meetingId)?.delete(recordingId);
  }

  async close(): Promise<void> {}
}
