/**
 * Whether a process's Redis connections are up, and how often they were lost: what an operator
 * needs to see a Redis primary die, fail over, or drop off the network (the metrics
 * `hoinghi_redis_up` and `hoinghi_redis_connection_losses_total`).
 */

/** What is watched of a client: node-redis clients emit these events and carry `isReady`. */
export interface WatchedRedis {
  readonly isReady: boolean;
  on(event: 'ready' | 'end' | 'reconnecting', listener: () => void): unknown;
}

export class RedisWatch {
  readonly #clients = new Set<WatchedRedis>();
  #losses = 0;

  /** Follows a connected client from now on. */
  watch(client: WatchedRedis): void {
    this.#clients.add(client);
    // One loss per drop of a connection that was up: node-redis emits `reconnecting` before every
    // attempt. `end` is this process closing the client (it reconnects forever otherwise): not a loss.
    let up = client.isReady;
    client.on('ready', () => {
      up = true;
    });
    client.on('reconnecting', () => {
      if (up) this.#losses += 1;
      up = false;
    });
    client.on('end', () => this.#clients.delete(client));
  }

  /** 1 when every watched client is connected and ready (0 with none watched: nothing to say). */
  get up(): number {
    if (this.#clients.size === 0) return 0;
    for (const c of this.#clients) if (!c.isReady) return 0;
    return 1;
  }

  /** Connections that were up and dropped (a Redis restart, a failover, a network cut). */
  get losses(): number {
    return this.#losses;
  }

  get watched(): number {
    return this.#clients.size;
  }
}
