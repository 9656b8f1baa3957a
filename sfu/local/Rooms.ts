/**
 * The rooms of one SFU node and the routers behind them: opening (race-free), placing a viewer
 * on an edge room, and closing.
 *
 * A meeting (a room "group") has at most one router per worker, its group router there: the
 * main origin and the viewers' edge on that worker are aliases of it, so the main origin's
 * producers only ever cross between workers, which pipeToRouter supports (mediasoup 3.12.16
 * cannot pipe between two routers of one worker: a piped producer keeps its id, and ids are
 * unique per worker). Any other origin of the group (a breakout) gets a router of its own, and
 * RouterPipes handles the case where that router shares a worker with the group's.
 *
 * Ownership flows down: a room holds what it created (WebRTC transports, node pipe ends) and
 * closes it with itself; a router goes when no room uses it, and its close drops its rooms.
 */
import type { types } from 'mediasoup';
import { TypedEmitter } from '../../common/TypedEmitter';
import { logger } from '../../common/log';
import { createMediaRouter } from '../mediaCodecs';
import type { PooledWorker, WorkerPool } from '../WorkerPool';
import { chooseWorker, type WorkerLoad } from '../placement';
import { SfuError } from '../errors';

const log = logger('sfu');

/** A meeting's router on one worker, and the rooms that are aliases of it. */
export interface GroupRouter {
  group: string;
  pooled: PooledWorker;
  router: types.Router;
  rooms: Set<string>;
}

export interface Room {
  id: string;
  group: string;
  gr: GroupRouter;
  /** What the room created and closes with itself (each entry drops out when it closes). */
  owned: Set<{ close(): void }>;
}

type RoomsEvents = {
  /** Rooms lost with their worker; everything in them is gone. */
  roomsLost: [{ roomIds: string[]; reason: 'worker_died' }];
};

export class Rooms extends TypedEmitter<RoomsEvents> {
  readonly #pool: WorkerPool;
  readonly #viewersPerWorker: number;
  readonly #rooms = new Map<string, Room>();
  /** Group → worker index → its group router (or the promise of it while it is created). */
  readonly #groups = new Map<string, Map<number, Promise<GroupRouter>>>();
  /** Rooms being opened, so that two simultaneous requests never create one room twice. */
  readonly #opening = new Map<string, Promise<Room>>();
  #placementRefusals = 0;

  constructor(pool: WorkerPool, viewersPerWorker: number) {
    super();
    this.#pool = pool;
    this.#viewersPerWorker = viewersPerWorker;
  }

  /** Viewers refused because every worker was at capacity. */
  get placementRefusals(): number {
    return this.#placementRefusals;
  }

  ids(): string[] {
    return [...this.#rooms.keys()];
  }

  find(roomId: string): Room | undefined {
    return this.#rooms.get(roomId);
  }

  get(roomId: string): Room {
    const room = this.#rooms.get(roomId);
    if (!room) throw new SfuError('not_found', `room ${roomId} not open`);
    return room;
  }

  /** Opens a room (idempotent, race-free); see SfuControl.openRoom. */
  async open(roomId: string, group: string): Promise<Room> {
    const existing = this.#rooms.get(roomId);
    if (existing) return existing;
    let pending = this.#opening.get(roomId);
    if (!pending) {
      pending = (async () => {
        // Origins spread over the workers with the fewest routers. The group's first room (the
        // main origin) is the group's router there; any other origin (a breakout) gets a router
        // of its own.
        const pooled = this.#pool.leastLoaded();
        return roomId === group ? this.#addRoom(roomId, group, pooled) : this.#addOwnRoom(roomId, group, pooled);
      })().finally(() => this.#opening.delete(roomId));
      this.#opening.set(roomId, pending);
    }
    return pending;
  }

  /** The edge room where a new viewer of the origin's meeting receives (sfu/placement.ts). */
  async placeViewer(originRoomId: string): Promise<string> {
    const origin = this.get(originRoomId);
    const pooled = chooseWorker(this.#placementCandidates(origin.group), this.#viewersPerWorker);
    if (!pooled) {
      this.#placementRefusals += 1;
      throw new SfuError('unavailable', 'every media worker is at capacity');
    }
    const edgeId = `${origin.group}@${pooled.index}`;
    if (!this.#rooms.has(edgeId)) {
      let pending = this.#opening.get(edgeId);
      if (!pending) {
        pending = this.#addRoom(edgeId, origin.group, pooled).finally(() => this.#opening.delete(edgeId));
        this.#opening.set(edgeId, pending);
      }
      await pending;
    }
    return edgeId;
  }

  #placementCandidates(group: string): WorkerLoad[] {
    const routers = this.#groups.get(group);
    return this.#pool.alive().map((w) => ({ worker: w, viewers: w.viewers, hasRouter: routers?.has(w.index) ?? false }));
  }

  async #addRoom(roomId: string, group: string, pooled: PooledWorker): Promise<Room> {
    const gr = await this.#groupRouter(group, pooled);
    const room: Room = { id: roomId, group, gr, owned: new Set() };
    gr.rooms.add(roomId);
    this.#rooms.set(roomId, room);
    log.info({ room: roomId, worker: pooled.index }, 'room opened');
    return room;
  }

  /** A room with a router of its own (not shared with the rest of its group). */
  async #addOwnRoom(roomId: string, group: string, pooled: PooledWorker): Promise<Room> {
    const gr = await this.#newRouter(group, pooled, () => undefined);
    const room: Room = { id: roomId, group, gr, owned: new Set() };
    gr.rooms.add(roomId);
    this.#rooms.set(roomId, room);
    log.info({ room: roomId, worker: pooled.index }, 'room opened on its own router');
    return room;
  }

  /** The meeting's router on a worker, created once. */
  async #groupRouter(group: string, pooled: PooledWorker): Promise<GroupRouter> {
    let routers = this.#groups.get(group);
    if (!routers) {
      routers = new Map();
      this.#groups.set(group, routers);
    }
    const existing = routers.get(pooled.index);
    if (existing) return existing;
    const map = routers;
    const creating: Promise<GroupRouter> = this.#newRouter(group, pooled, () => {
      if (map.get(pooled.index) === creating) map.delete(pooled.index);
      if (map.size === 0 && this.#groups.get(group) === map) this.#groups.delete(group);
    });
    map.set(pooled.index, creating);
    try {
      return await creating;
    } catch (error) {
      map.delete(pooled.index);
      throw error;
    }
  }

  async #newRouter(group: string, pooled: PooledWorker, onClose: () => void): Promise<GroupRouter> {
    const router = await createMediaRouter(pooled.worker, { group });
    const gr: GroupRouter = { group, pooled, router, rooms: new Set() };
    pooled.routers += 1;
    router.observer.once('close', () => {
      pooled.routers -= 1;
      onClose();
      for (const id of gr.rooms) if (this.#rooms.get(id)?.gr === gr) this.#rooms.delete(id);
    });
    router.once('workerclose', () => {
      log.warn({ group, worker: pooled.index, rooms: [...gr.rooms] }, 'rooms lost with their worker');
      this.safeEmit('roomsLost', { roomIds: [...gr.rooms], reason: 'worker_died' });
    });
    return gr;
  }

  /**
   * Closes a room, synchronously: a request to open the same room that arrives meanwhile must
   * find it gone and open a new one, never the one being closed. Closing a group's first room (a
   * meeting's main origin) closes the whole group: its viewers' edges and any other origin, even
   * when the first room itself is already gone with its worker.
   */
  close(roomId: string): void {
    const room = this.#rooms.get(roomId);
    if (!room || room.group === roomId) {
      for (const other of [...this.#rooms.values()]) if (other.group === roomId && other.id !== roomId) this.#closeNow(other);
    }
    if (room) this.#closeNow(room);
  }

  #closeNow(room: Room): void {
    this.#rooms.delete(room.id);
    room.gr.rooms.delete(room.id);
    // Close what this room created; the router goes when no room of the meeting uses it.
    for (const child of [...room.owned]) child.close();
    if (room.gr.rooms.size === 0) room.gr.router.close();
  }
}
