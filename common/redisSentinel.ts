/**
 * Redis behind Sentinel, for every Redis user of a process at once: a loopback listener whose
 * every accepted connection is joined to the current primary, which it asks the sentinels for
 * (`SENTINEL get-master-addr-by-name`) and checks with `ROLE` (a replica, or a restarted old
 * primary that has not yet been demoted, is refused). The clients connect to the listener's
 * `redis://127.0.0.1:port` as to any Redis.
 *
 * Why a listener and not node-redis's own `createSentinel`: every user here holds a plain node-redis
 * client (its events, `duplicate()`, `disconnect()`, blocking XREAD on a dedicated connection,
 * pub/sub resubscribed on reconnect, EVALSHA); the sentinel client is another type without
 * `disconnect()` (the socket.io streams adapter calls it) and with its own pool and events. With the
 * listener, a failover is what node-redis already handles: the connection drops, the client
 * reconnects, and the reconnection reaches the new primary. Connections that stay open to a primary
 * the sentinels have replaced (a partition, a manual failover) are cut when the periodic check sees
 * the change, so no client keeps writing to a demoted node.
 */
import net from 'node:net';
import { createClient } from 'redis';
import type { Logger } from './log';

export interface HostPort {
  host: string;
  port: number;
}

export interface SentinelSettings {
  /** The sentinels, asked in turn. */
  sentinels: HostPort[];
  /** The name the sentinels monitor the primary under. */
  name: string;
}

export interface SentinelRouterOptions extends SentinelSettings {
  /** Credentials of the data nodes (for the ROLE check), from HOINGHI_REDIS_URL when it has them. */
  username?: string;
  password?: string;
  /** How often the sentinels are asked whether the primary changed, ms. Default 1000. */
  checkMs?: number;
  log: Logger;
}

/** Parses `host:port,host:port` (the HOINGHI_REDIS_SENTINELS form). */
export function parseHostPorts(list: string): HostPort[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const at = s.lastIndexOf(':');
      const host = s.slice(0, at).replace(/^\[|\]$/g, '');
      const port = Number(s.slice(at + 1));
      if (at <= 0 || !host || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`not host:port: ${s}`);
      return { host, port };
    });
}

const oneShot = (options: Parameters<typeof createClient>[0]) => createClient(options);
type OneShot = ReturnType<typeof oneShot>;

const same = (a: HostPort | undefined, b: HostPort | undefined): boolean => a?.host === b?.host && a?.port === b?.port;
const label = (a: HostPort): string => `${a.host}:${a.port}`;

/** One client's connection and the primary it was joined to. */
interface Pair {
  primary: HostPort;
  down: net.Socket;
  up: net.Socket;
}

export class SentinelRouter {
  readonly #options: SentinelRouterOptions;
  readonly #server: net.Server;
  readonly #pairs = new Set<Pair>();
  #primary: HostPort | undefined;
  #resolving: Promise<HostPort> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(options: SentinelRouterOptions) {
    this.#options = options;
    this.#server = net.createServer({ pauseOnConnect: true }, (socket) => this.#accept(socket));
  }

  /** Listens on 127.0.0.1 (a free port). It does not wait for the sentinels: clients retry until they answer. */
  static async start(options: SentinelRouterOptions): Promise<SentinelRouter> {
    if (options.sentinels.length === 0) throw new Error('no sentinels given');
    const router = new SentinelRouter(options);
    await new Promise<void>((resolve, reject) => {
      router.#server.once('error', reject);
      router.#server.listen(0, '127.0.0.1', () => resolve());
    });
    router.#timer = setInterval(() => void router.#check(), options.checkMs ?? 1_000);
    router.#timer.unref();
    return router;
  }

  /** The URL clients connect to; `base` (HOINGHI_REDIS_URL) lends its credentials and database. */
  url(base?: string): string {
    const { port } = this.#server.address() as net.AddressInfo;
    const url = new URL(base ?? 'redis://localhost');
    url.hostname = '127.0.0.1';
    url.port = String(port);
    return url.toString();
  }

  /** The primary connections are joined to now (undefined while none is known). */
  get primary(): HostPort | undefined {
    return this.#primary;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const pair of this.#pairs) this.#cut(pair);
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(down: net.Socket): void {
    down.on('error', () => undefined);
    const primary = this.#primary;
    (primary ? Promise.resolve(primary) : this.#resolve()).then(
      (target) => this.#join(down, target),
      (err: unknown) => {
        this.#options.log.warn({ err: String(err) }, 'redis sentinel: no primary yet');
        down.destroy();
      },
    );
  }

  #join(down: net.Socket, primary: HostPort): void {
    if (this.#closed || down.destroyed) {
      down.destroy();
      return;
    }
    const up = net.connect({ host: primary.host, port: primary.port, noDelay: true });
    const pair: Pair = { primary, down, up };
    this.#pairs.add(pair);
    up.once('connect', () => {
      up.setKeepAlive(true, 5_000);
      down.pipe(up);
      up.pipe(down);
      down.resume();
    });
    // The primary is gone (killed, or its link dropped): forget it, so that the next connection
    // asks the sentinels again; the client reconnects on its own.
    up.on('error', () => {
      if (same(this.#primary, primary)) this.#primary = undefined;
    });
    up.once('close', () => this.#cut(pair));
    down.once('close', () => this.#cut(pair));
  }

  #cut(pair: Pair): void {
    if (!this.#pairs.delete(pair)) return;
    pair.up.destroy();
    pair.down.destroy();
  }

  /** Asks the sentinels (in turn) for the primary, and accepts it only if it says it is one. */
  #resolve(): Promise<HostPort> {
    this.#resolving ??= this.#ask().finally(() => {
      this.#resolving = undefined;
    });
    return this.#resolving;
  }

  async #ask(): Promise<HostPort> {
    const problems: string[] = [];
    for (const sentinel of this.#options.sentinels) {
      let named: HostPort;
      try {
        named = await this.#askSentinel(sentinel);
      } catch (error) {
        problems.push(`sentinel ${label(sentinel)}: ${String(error)}`);
        continue;
      }
      // The primary the connections already use needs no second look (its failure clears it).
      if (same(this.#primary, named)) return named;
      const role = await this.#role(named).catch((error: unknown) => `unreachable (${String(error)})`);
      if (role === 'master') {
        if (!same(this.#primary, named)) this.#switchTo(named);
        return named;
      }
      problems.push(`sentinel ${label(sentinel)} names ${label(named)}, which is ${role}`);
    }
    throw new Error(problems.join('; '));
  }

  async #askSentinel(sentinel: HostPort): Promise<HostPort> {
    const reply = await this.#once(sentinel, {}, (c) => c.sendCommand(['SENTINEL', 'get-master-addr-by-name', this.#options.name]));
    if (!Array.isArray(reply) || reply.length !== 2) throw new Error(`does not know '${this.#options.name}'`);
    return { host: String(reply[0]), port: Number(reply[1]) };
  }

  async #role(node: HostPort): Promise<string> {
    const { username, password } = this.#options;
    const reply = await this.#once(node, { username, password }, (c) => c.sendCommand(['ROLE']));
    return Array.isArray(reply) ? String(reply[0]) : 'unknown';
  }

  /** One command on a short-lived connection that never retries (a dead node must fail fast). */
  async #once<T>(node: HostPort, auth: { username?: string; password?: string }, run: (c: OneShot) => Promise<T>): Promise<T> {
    const client: OneShot = oneShot({
      ...auth,
      socket: { host: node.host, port: node.port, connectTimeout: 1_000, reconnectStrategy: false },
      disableOfflineQueue: true,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await run(client);
    } finally {
      client.destroy();
    }
  }

  /** A new primary: connections joined to the old one are cut, so their clients reconnect to this one. */
  #switchTo(primary: HostPort): void {
    const old = this.#primary;
    this.#primary = primary;
    let cut = 0;
    for (const pair of this.#pairs) {
      if (!same(pair.primary, primary)) {
        this.#cut(pair);
        cut += 1;
      }
    }
    if (old) this.#options.log.warn({ primary: label(primary), previous: label(old), cut }, 'redis sentinel: the primary changed');
    else this.#options.log.info({ primary: label(primary), cut }, 'redis sentinel: primary');
  }

  async #check(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#resolve();
    } catch (error) {
      this.#options.log.warn({ err: String(error) }, 'redis sentinel: no primary');
    }
  }
}
