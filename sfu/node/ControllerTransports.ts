/**
 * Which controller (signaling process) created each WebRTC transport on this SFU node, so that
 * the transports of a controller that is gone for good are closed.
 *
 * A viewer's transport is known only to the signaling process that created it: when that
 * process dies (kill -9, a lost machine), its clients reconnect through another one and get new
 * transports, and the old ones would stay here until their room closed, hours later in a long
 * meeting. A controller identifies itself when it connects (`controller` in its proof); when its
 * last link has been gone for `graceMs` (a link that only flapped comes back well within it), its
 * transports are closed. Origins, relays and pipes are shared by every controller and are not
 * touched. The node-wide orphan rule (no controller at all → every room closed) stays as it was.
 */
import { logger } from '../../common/log';

const log = logger('sfu-node');

export interface ControllerTransportsOptions {
  graceMs: number;
  /** Closes one transport (a no-op if it is already gone). */
  closeTransport: (transportId: string) => Promise<void>;
  /** Whether a transport still exists (to forget those closed by their controller or their room). */
  hasTransport: (transportId: string) => boolean;
}

export class ControllerTransports {
  readonly #options: ControllerTransportsOptions;
  /** controller id → its transports. */
  readonly #owned = new Map<string, Set<string>>();
  /** controller id → its links connected now. */
  readonly #links = new Map<string, number>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #added = 0;
  /** Transports closed because their controller was gone (metrics and tests). */
  closedForGoneControllers = 0;

  constructor(options: ControllerTransportsOptions) {
    this.#options = options;
  }

  linked(controller: string): void {
    this.#links.set(controller, (this.#links.get(controller) ?? 0) + 1);
    clearTimeout(this.#timers.get(controller));
    this.#timers.delete(controller);
  }

  unlinked(controller: string): void {
    const left = (this.#links.get(controller) ?? 1) - 1;
    if (left > 0) {
      this.#links.set(controller, left);
      return;
    }
    this.#links.delete(controller);
    if (!this.#owned.has(controller) || this.#timers.has(controller)) return;
    const timer = setTimeout(() => void this.#expire(controller), this.#options.graceMs);
    timer.unref();
    this.#timers.set(controller, timer);
  }

  created(controller: string, transportId: string): void {
    let set = this.#owned.get(controller);
    if (!set) this.#owned.set(controller, (set = new Set()));
    set.add(transportId);
    // Forget, now and then, transports closed by other means, so the sets stay the size of what lives.
    if (++this.#added % 1_000 === 0) this.#prune();
  }

  /** Transports held for a controller (tests). */
  count(controller: string): number {
    return this.#owned.get(controller)?.size ?? 0;
  }

  close(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  #prune(): void {
    for (const [controller, set] of this.#owned) {
      for (const id of set) if (!this.#options.hasTransport(id)) set.delete(id);
      if (set.size === 0 && !this.#links.has(controller)) this.#owned.delete(controller);
    }
  }

  async #expire(controller: string): Promise<void> {
    this.#timers.delete(controller);
    if (this.#links.has(controller)) return;
    const ids = [...(this.#owned.get(controller) ?? [])];
    this.#owned.delete(controller);
    let closed = 0;
    for (const id of ids) {
      if (!this.#options.hasTransport(id)) continue;
      try {
        await this.#options.closeTransport(id);
        closed += 1;
      } catch (error) {
        log.warn({ transportId: id, err: String(error) }, 'closing a gone controller\'s transport failed');
      }
    }
    this.closedForGoneControllers += closed;
    if (closed > 0) log.warn({ controller, transports: closed, graceMs: this.#options.graceMs }, 'controller gone for the grace period: its transports closed');
  }
}
