/**
 * What one signaling process holds in the cluster, apart from what all of them share in Redis:
 * the origins it opened or piped from (the shared record as last read), the edges it placed its
 * viewers in, and the transports, consumers, producers and recorder taps it made, each with the
 * node that holds it. Other processes never see these; the death of a node, or of a worker
 * holding some rooms, loses the ones there (`loseNode`, `loseRooms`).
 */
import { SfuError } from '../errors';
import type { OriginRecord } from './TopologyStore';

/** Room ids the caller sees: origin ids as given; edges as `${nodeId}|${localEdgeId}`. */
export const EDGE_SEP = '|';

interface Edge {
  nodeId: string;
  localId: string;
  group: string;
}

export class OwnRooms {
  readonly #forgotOrigin: (room: string) => void;
  readonly #origins = new Map<string, OriginRecord>();
  readonly #edges = new Map<string, Edge>();
  readonly #transports = new Map<string, { nodeId: string; roomId: string }>();
  /** Producers published through this process, by id → their transport. */
  readonly #producers = new Map<string, string>();
  /** Consumer id → its node. */
  readonly #consumers = new Map<string, string>();
  /** Recorder tap id → the node holding it (the producer's origin node). */
  readonly #taps = new Map<string, string>();

  /** `forgotOrigin`: an origin left this process's view (lost, closed, or closed elsewhere). */
  constructor(forgotOrigin: (room: string) => void) {
    this.#forgotOrigin = forgotOrigin;
  }

  // ---- origins and edges -----------------------------------------------------------------------

  /** An origin of this process; throws not_found. */
  origin(roomId: string): OriginRecord {
    const rec = this.#origins.get(roomId);
    if (!rec) throw new SfuError('not_found', `room ${roomId} not open`);
    return rec;
  }

  knownOrigin(roomId: string): OriginRecord | undefined {
    return this.#origins.get(roomId);
  }

  originRooms(): string[] {
    return [...this.#origins.keys()];
  }

  setOrigin(rec: OriginRecord): void {
    this.#origins.set(rec.room, rec);
  }

  /** The origin's shared record is gone (another process closed it): when it was a meeting's, so are this process's edges of it. */
  closedElsewhere(room: string, rec: OriginRecord): void {
    this.#origins.delete(room);
    if (room === rec.group) for (const id of this.edgesOf(rec.group)) this.forgetRoom(id);
  }

  /** Records an edge this process placed a viewer in; returns its id. */
  addEdge(nodeId: string, localId: string, group: string): string {
    const edgeId = `${nodeId}${EDGE_SEP}${localId}`;
    this.#edges.set(edgeId, { nodeId, localId, group });
    return edgeId;
  }

  isEdge(roomId: string): boolean {
    return this.#edges.has(roomId);
  }

  /** Own edges of a group (on one node, or anywhere). */
  edgesOf(group: string, nodeId?: string): string[] {
    return [...this.#edges].filter(([, e]) => e.group === group && (nodeId === undefined || e.nodeId === nodeId)).map(([id]) => id);
  }

  /** Nodes where this process has edges of a group. */
  edgeNodes(group: string): string[] {
    const out: string[] = [];
    for (const e of this.#edges.values()) if (e.group === group) out.push(e.nodeId);
    return out;
  }

  /** Node and node-local id of a room of this process. */
  where(roomId: string): { nodeId: string; localId: string } {
    const edge = this.#edges.get(roomId);
    if (edge) return { nodeId: edge.nodeId, localId: edge.localId };
    return { nodeId: this.origin(roomId).node, localId: roomId };
  }

  /** The node an origin or edge room is on. */
  nodeOf(roomId: string): string | undefined {
    return this.#edges.get(roomId)?.nodeId ?? this.#origins.get(roomId)?.node;
  }

  /** Forgets a room (edge or origin) of this process and what this process created in it. */
  forgetRoom(roomId: string): void {
    if (this.#origins.delete(roomId)) this.#forgotOrigin(roomId);
    this.#edges.delete(roomId);
    for (const [id, t] of this.#transports) if (t.roomId === roomId) this.#transports.delete(id);
  }

  // ---- transports, producers, consumers, taps --------------------------------------------------

  addTransport(transportId: string, nodeId: string, roomId: string): void {
    this.#transports.set(transportId, { nodeId, roomId });
  }

  /** A transport of this process; throws not_found. */
  transport(transportId: string): { nodeId: string; roomId: string } {
    const t = this.#transports.get(transportId);
    if (!t) throw new SfuError('not_found', 'transport not found');
    return t;
  }

  /** Whether a transport is this process's (the node reports events to every controller). */
  hasTransport(transportId: string): boolean {
    return this.#transports.has(transportId);
  }

  /** Forgets a transport; returns it, or undefined if it was not this process's. */
  takeTransport(transportId: string): { nodeId: string; roomId: string } | undefined {
    const t = this.#transports.get(transportId);
    if (t) this.#transports.delete(transportId);
    return t;
  }

  addProducer(producerId: string, transportId: string): void {
    this.#producers.set(producerId, transportId);
  }

  dropProducer(producerId: string): void {
    this.#producers.delete(producerId);
  }

  /** Producers published through this process on a transport. */
  producersOf(transportId: string): string[] {
    return [...this.#producers].filter(([, tid]) => tid === transportId).map(([pid]) => pid);
  }

  addConsumer(consumerId: string, nodeId: string): void {
    this.#consumers.set(consumerId, nodeId);
  }

  /** The node of a consumer of this process; throws not_found. */
  consumerNode(consumerId: string): string {
    const nodeId = this.#consumers.get(consumerId);
    if (!nodeId) throw new SfuError('not_found', 'consumer not found');
    return nodeId;
  }

  /** Forgets a consumer; returns its node, or undefined if it was not this process's. */
  takeConsumer(consumerId: string): string | undefined {
    const nodeId = this.#consumers.get(consumerId);
    if (nodeId) this.#consumers.delete(consumerId);
    return nodeId;
  }

  addTap(tapId: string, nodeId: string): void {
    this.#taps.set(tapId, nodeId);
  }

  /** The node of a recorder tap of this process; throws not_found. */
  tapNode(tapId: string): string {
    const nodeId = this.#taps.get(tapId);
    if (!nodeId) throw new SfuError('not_found', 'recorder tap not found');
    return nodeId;
  }

  /** Forgets a tap; returns its node, or undefined if it was not this process's. */
  takeTap(tapId: string): string | undefined {
    const nodeId = this.#taps.get(tapId);
    this.#taps.delete(tapId);
    return nodeId;
  }

  // ---- losses ----------------------------------------------------------------------------------

  /**
   * A node (of an epoch) is gone: its edges, the origins on it and every edge of their meetings
   * are forgotten, with this process's transports and consumers there. Returns the lost room ids,
   * and the origins this process knew before (the shared repair looks at each).
   */
  loseNode(nodeId: string, epoch: string): { rooms: string[]; origins: OriginRecord[] } {
    const lost = new Set<string>();
    for (const [edgeId, e] of this.#edges) if (e.nodeId === nodeId) lost.add(edgeId);
    const origins = [...this.#origins.values()];
    for (const rec of origins) {
      if (rec.node !== nodeId || rec.epoch !== epoch) continue;
      lost.add(rec.room);
      for (const id of this.edgesOf(rec.group)) lost.add(id);
    }
    for (const id of lost) this.forgetRoom(id);
    for (const [id, t] of this.#transports) if (t.nodeId === nodeId) this.#transports.delete(id);
    for (const [id, n] of this.#consumers) if (n === nodeId) this.#consumers.delete(id);
    return { rooms: [...lost], origins };
  }

  /**
   * A worker of a node died with some rooms (node-local ids): this process's edges among them
   * are lost; an origin among them is lost with every edge of its meeting; a replica among them
   * loses the node's edges of its meeting. Returns the lost room ids (forgotten here), and the
   * lost origins and replicas in the order met (the shared repair follows it).
   */
  loseRooms(nodeId: string, localIds: string[]): { rooms: string[]; repairs: { rec: OriginRecord; replica: boolean }[] } {
    const lost = new Set<string>();
    const local = new Set(localIds);
    const repairs: { rec: OriginRecord; replica: boolean }[] = [];
    for (const [edgeId, e] of this.#edges) if (e.nodeId === nodeId && local.has(e.localId)) lost.add(edgeId);
    for (const rec of [...this.#origins.values()]) {
      if (!local.has(rec.room)) continue;
      if (rec.node === nodeId) {
        // The origin is gone: everyone of the meeting rejoins.
        lost.add(rec.room);
        for (const id of this.edgesOf(rec.group)) lost.add(id);
        repairs.push({ rec, replica: false });
      } else {
        // A replica died: the node's edges of this meeting lost their feed; they re-home, and the
        // node leaves the tree (with whatever it relayed to).
        for (const id of this.edgesOf(rec.group, nodeId)) lost.add(id);
        repairs.push({ rec, replica: true });
      }
    }
    for (const id of lost) this.forgetRoom(id);
    return { rooms: [...lost], repairs };
  }
}
