/**
 * Ended sign-ins (sign-out, an operator's revoke): every token of a user issued before the moment
 * of the revocation is refused, for HTTP and sockets, on every node and after a restart. Tokens
 * this server issues say when to the millisecond (`iatMs`); another issuer's say it in whole
 * seconds (`iat`), so one of theirs issued within the same second as the revocation is refused
 * too; a token that does not say is refused once its user has any revocation.
 *
 * Kept in memory on each node (checked on every token, no I/O); written to the database when
 * there is one (so a restarted node knows), told to the other nodes at once (`broadcast`), and
 * reloaded from the database every `refreshMs` (a node that missed a message learns within it).
 * Entries older than the longest token lifetime change nothing and are forgotten.
 */
import { logger } from '../../common/log';

const log = logger('revocations');

export interface Revocation {
  userId: string;
  /** Tokens issued before this instant (ms since epoch) are refused. */
  beforeMs: number;
}

/** Where revocations outlive the process (the database), if anywhere. */
export interface RevocationStore {
  save(r: Revocation): Promise<void>;
  /** Revocations whose instant is after `sinceMs`. */
  since(sinceMs: number): Promise<Revocation[]>;
}

export interface RevocationOptions {
  store: RevocationStore | null;
  /** The longest a token lives, ms: older revocations change nothing. */
  maxTokenAgeMs: number;
  /** How often the store is read again, ms (default 10 s). */
  refreshMs?: number;
}

export class Revocations {
  readonly #before = new Map<string, number>();
  readonly #opts: RevocationOptions;
  #broadcast: (r: Revocation) => void = () => undefined;
  #timer: NodeJS.Timeout | null = null;

  constructor(opts: RevocationOptions) {
    this.#opts = opts;
  }

  /** How a revocation reaches the other nodes (set once the socket layer is up). */
  set broadcast(fn: (r: Revocation) => void) {
    this.#broadcast = fn;
  }

  /** Reads the store, then again every `refreshMs`. */
  async start(): Promise<void> {
    await this.refresh();
    if (!this.#opts.store) return;
    this.#timer = setInterval(() => void this.refresh().catch((error: unknown) => log.warn({ err: error }, 'could not reload revocations')), this.#opts.refreshMs ?? 10_000);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Whether a token of `sub` issued at `issuedAtMs` (0: unknown) is revoked. */
  isRevoked(sub: string, issuedAtMs: number): boolean {
    const before = this.#before.get(sub);
    return before !== undefined && issuedAtMs < before;
  }

  /** Ends every sign-in of `userId` so far: here, in the store, and on the other nodes. */
  async revoke(userId: string, nowMs = Date.now()): Promise<Revocation> {
    const r = { userId, beforeMs: nowMs };
    await this.#opts.store?.save(r);
    this.apply(r);
    this.#broadcast(r);
    return r;
  }

  /** A revocation learnt from another node (or the store). */
  apply(r: Revocation): void {
    const known = this.#before.get(r.userId);
    if (known === undefined || r.beforeMs > known) this.#before.set(r.userId, r.beforeMs);
  }

  async refresh(now = Date.now()): Promise<void> {
    const horizon = now - this.#opts.maxTokenAgeMs;
    for (const [userId, before] of this.#before) if (before < horizon) this.#before.delete(userId);
    for (const r of (await this.#opts.store?.since(horizon)) ?? []) this.apply(r);
  }
}
