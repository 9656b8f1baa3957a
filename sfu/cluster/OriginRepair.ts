/**
 * Repair of a lost origin (its node died, or the worker holding it): its room is closed on every
 * live node (closing a meeting's main origin there closes its edges and transports: everyone
 * rejoins), then its shared record is cleared, so that the next openRoom makes a fresh one.
 * Several signaling processes see the same loss: one of them repairs (a claim in Redis, SET NX),
 * the others' openRoom waits for the record to clear.
 */
import { randomUUID } from 'node:crypto';
import { logger } from '../../common/log';
import type { NodeDirectory } from './NodeDirectory';
import type { OriginRecord, TopologyStore } from './TopologyStore';

const log = logger('sfu-cluster');

/** How long the process repairing a lost origin holds that right before another may take it. */
const REPAIR_CLAIM_MS = 15_000;

export class OriginRepair {
  readonly #store: TopologyStore;
  readonly #nodes: NodeDirectory;
  readonly #token = randomUUID();
  #repairs = 0;

  constructor(store: TopologyStore, nodes: NodeDirectory) {
    this.#store = store;
    this.#nodes = nodes;
  }

  /** Lost origins this process cleared. */
  get repairs(): number {
    return this.#repairs;
  }

  /** Repairs a lost origin, if no other process has claimed it; never throws (failures are logged). */
  async repair(rec: OriginRecord): Promise<void> {
    try {
      if (!(await this.#store.claimRepair(rec.room, rec.gen, this.#token, REPAIR_CLAIM_MS))) return;
      // Already repaired (and maybe made anew, with the same room id): nothing of it to close.
      if ((await this.#store.origin(rec.room))?.gen !== rec.gen) return;
      await Promise.all(this.#nodes.aliveIds().filter((n) => n !== rec.node).map((n) => this.#nodes.quietly(n, 'closeRoom', rec.room)));
      // Only its worker died: the meeting's rooms on the node's other workers go too.
      if (this.#nodes.has(rec.node)) await this.#nodes.quietly(rec.node, 'closeRoom', rec.room);
      if (await this.#store.clearOrigin(rec.room, rec.gen)) {
        this.#repairs += 1;
        log.warn({ origin: rec.room, node: rec.node, gen: rec.gen }, 'lost origin cleared');
      }
    } catch (error) {
      log.warn({ origin: rec.room, err: String(error) }, 'origin repair failed');
    }
  }
}
