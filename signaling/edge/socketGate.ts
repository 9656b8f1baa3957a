/**
 * The door of the socket layer, before any token is read: the WebSocket handshake's Origin, the
 * number of sockets per client IP, and how long a socket may stay unauthenticated.
 *
 * - **Origin**: a browser always sends one on a WebSocket handshake, and browsers do not apply
 *   CORS to WebSockets, so the server must: the page's own origin (same host as the request) and
 *   `HOINGHI_CORS_ORIGINS` pass, any other is refused. No Origin at all (a non-browser client)
 *   passes unless `HOINGHI_REQUIRE_ORIGIN`; it still needs a valid token.
 * - **Per-IP caps**: sockets not yet authenticated (`HOINGHI_MAX_PENDING_PER_IP`) and all sockets
 *   (`HOINGHI_MAX_SOCKETS_PER_IP`), counted by the client address that `TrustedProxies` gives
 *   (X-Forwarded-For only from the load balancer). Checked before the upgrade (a refusal costs
 *   one HTTP answer) and again when the connection opens (concurrent upgrades cannot overshoot).
 * - **Auth timeout**: socket.io's `connectTimeout` closes a connection that has not joined the
 *   namespace (a CONNECT packet whose token verifies) within `HOINGHI_AUTH_TIMEOUT_MS`.
 */
import type { IncomingMessage } from 'node:http';
import { logger } from '../../common/log';
import type { TrustedProxies } from './clientAddress';

const log = logger('socketGate');

/** Why a handshake was refused at the door (a metrics label). */
export type GateRefusal = 'origin' | 'pending_per_ip' | 'sockets_per_ip';

export interface SocketGateOptions {
  trusted: TrustedProxies;
  corsOrigins: readonly string[];
  requireOrigin: boolean;
  maxPendingPerIp: number;
  maxSocketsPerIp: number;
  onRefused?: (reason: GateRefusal) => void;
}

/** The subset of an engine.io socket the gate uses. */
interface RawSocket {
  request: IncomingMessage;
  close(): void;
  once(event: 'close', listener: () => void): unknown;
}

interface IpCount {
  pending: number;
  total: number;
}

const CLIENT_IP = Symbol('hoinghi.clientIp');
type TaggedRequest = IncomingMessage & { [CLIENT_IP]?: string };

export class SocketGate {
  readonly #opts: SocketGateOptions;
  readonly #allowed: Set<string>;
  readonly #byIp = new Map<string, IpCount>();
  /** Engine socket → its client IP, while not yet authenticated. */
  readonly #pending = new Map<object, string>();

  constructor(opts: SocketGateOptions) {
    this.#opts = opts;
    this.#allowed = new Set(opts.corsOrigins);
  }

  /** Sockets open but not yet authenticated, on this node. */
  get pending(): number {
    return this.#pending.size;
  }

  /** The client address of a request (X-Forwarded-For only from trusted proxies). */
  clientIp(req: IncomingMessage): string {
    const tagged = req as TaggedRequest;
    return (tagged[CLIENT_IP] ??= this.#opts.trusted.clientOf(req));
  }

  /** socket.io's `allowRequest`: Origin and per-IP caps, before the WebSocket upgrade. */
  readonly allowRequest = (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void): void => {
    const refusal = this.#check(req);
    if (refusal) {
      this.#opts.onRefused?.(refusal);
      log.debug({ ip: this.clientIp(req), reason: refusal }, 'handshake refused');
      callback(refusal === 'origin' ? 'origin not allowed' : 'too many connections from this address', false);
      return;
    }
    callback(null, true);
  };

  #check(req: IncomingMessage): GateRefusal | null {
    if (!this.#originAllowed(req)) return 'origin';
    const count = this.#byIp.get(this.clientIp(req));
    if (count && count.pending >= this.#opts.maxPendingPerIp) return 'pending_per_ip';
    if (count && count.total >= this.#opts.maxSocketsPerIp) return 'sockets_per_ip';
    return null;
  }

  #originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return !this.#opts.requireOrigin;
    if (this.#allowed.has(origin)) return true;
    // The page's own origin: the Origin's host (and port) is the host the request was sent to.
    try {
      const url = new URL(origin);
      return (url.protocol === 'http:' || url.protocol === 'https:') && req.headers.host !== undefined && url.host === req.headers.host.toLowerCase();
    } catch {
      return false;
    }
  }

  /** An engine.io connection opened: count it as pending, or close it if its IP is over a cap. */
  opened(raw: RawSocket): void {
    const ip = this.clientIp(raw.request);
    const count = this.#byIp.get(ip) ?? { pending: 0, total: 0 };
    if (count.pending >= this.#opts.maxPendingPerIp || count.total >= this.#opts.maxSocketsPerIp) {
      this.#opts.onRefused?.(count.pending >= this.#opts.maxPendingPerIp ? 'pending_per_ip' : 'sockets_per_ip');
      raw.close();
      return;
    }
    count.pending += 1;
    count.total += 1;
    this.#byIp.set(ip, count);
    this.#pending.set(raw, ip);
    raw.once('close', () => {
      if (this.#pending.delete(raw)) count.pending -= 1;
      count.total -= 1;
      if (count.total === 0 && this.#byIp.get(ip) === count) this.#byIp.delete(ip);
    });
  }

  /** The socket (its engine.io connection) authenticated: it no longer counts as pending. */
  authenticated(raw: object): void {
    const ip = this.#pending.get(raw);
    if (ip === undefined) return;
    this.#pending.delete(raw);
    const count = this.#byIp.get(ip);
    if (count) count.pending -= 1;
  }
}
