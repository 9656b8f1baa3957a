/**
 * An EventEmitter whose event names and argument tuples are checked by the compiler, with a
 * `safeEmit` that reports a listener's exception instead of dying of it (as mediasoup's
 * enhancedEvents.ts does).
 */
import { EventEmitter } from 'node:events';
import { logger } from './log';

const log = logger('events');

export type EventMap = Record<string, unknown[]>;

export class TypedEmitter<E extends EventMap> {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(Infinity);
  }

  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Calls every listener; a throwing listener is logged and the others still run. */
  safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): void {
    for (const listener of this.#emitter.rawListeners(event)) {
      try {
        (listener as (...a: E[K]) => void)(...args);
      } catch (error) {
        log.error({ err: error, event }, 'safeEmit() | listener threw');
      }
    }
  }
}
