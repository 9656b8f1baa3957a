/**
 * Ending a person's sign-in live, on every signaling node (sign-out, an operator's revoke): the
 * revocation is recorded (auth/revocations.ts: memory, the database, the other nodes), then each
 * node ends that person's sockets it holds: they are told (`disconnectReason` session_expired,
 * `sessionExpired`: the page asks to sign in again) and disconnected, and their tokens no longer
 * connect anywhere. Every socket is in the room of its user (`signin:<sub>`), so a node finds them
 * at once. A node that missed the message (its Redis link was down) finds its revoked sockets
 * within `sweepMs` (the revocations are reloaded from the database, and every socket is checked).
 */
import { logger } from '../common/log';
import type { Revocation, Revocations } from './auth/revocations';
import type { TypedServer, TypedSocket } from './socketTypes';
import { issuedAtMs } from './auth/tokens';

const log = logger('sign-in-end');
const DEFAULT_SWEEP_MS = 10_000;

export const signInRoom = (userId: string): string => `signin:${userId}`;

/** Tells sockets (one, or a room's) that their sign-in is over (the page asks to sign in again), then disconnects them. */
export function endSignIn(target: Pick<TypedSocket, 'emit' | 'disconnect'> | { emit: TypedSocket['emit']; disconnectSockets(close: boolean): void }): void {
  target.emit('disconnectReason', { reason: 'session_expired' });
  target.emit('sessionExpired');
  if ('disconnectSockets' in target) target.disconnectSockets(true);
  else target.disconnect(true);
}

export interface SignInEndsDeps {
  io: TypedServer;
  revocations: Revocations;
  /** Other signaling nodes share the adapter (Redis): tell them. One node: false. */
  clustered: boolean;
  /** Ends the person's sessions of this server too (their refresh tokens), when there are any. */
  endSessions?: (userId: string) => Promise<unknown>;
  sweepMs?: number;
}

export class SignInEnds {
  readonly #deps: SignInEndsDeps;
  readonly #sweep: NodeJS.Timeout;

  constructor(deps: SignInEndsDeps) {
    this.#deps = deps;
    deps.io.on('connection', (socket) => void socket.join(signInRoom(socket.data.claims.sub)));
    deps.io.on('userRevoked', (r) => {
      deps.revocations.apply(r);
      this.#endHere(r.userId);
    });
    deps.revocations.broadcast = (r: Revocation) => {
      if (deps.clustered) deps.io.serverSideEmit('userRevoked', r);
    };
    this.#sweep = setInterval(() => this.#sweepHere(), deps.sweepMs ?? DEFAULT_SWEEP_MS);
    this.#sweep.unref();
  }

  /** Ends every sign-in of `userId`, everywhere; resolves once recorded and this node's sockets are out. */
  async end(userId: string): Promise<Revocation> {
    // The sessions first: no refresh can then hand out a token newer than the revocation.
    await this.#deps.endSessions?.(userId);
    const r = await this.#deps.revocations.revoke(userId);
    this.#endHere(userId);
    return r;
  }

  close(): void {
    clearInterval(this.#sweep);
  }

  /** This node's sockets of `userId`: told why, then disconnected. */
  #endHere(userId: string): void {
    endSignIn(this.#deps.io.local.in(signInRoom(userId)));
  }

  #sweepHere(): void {
    for (const socket of this.#deps.io.of('/').sockets.values()) {
      const claims = (socket as TypedSocket).data.claims;
      if (!this.#deps.revocations.isRevoked(claims.sub, issuedAtMs(claims))) continue;
      log.info({ user: claims.sub }, 'ending a revoked sign-in found by the sweep');
      endSignIn(socket as TypedSocket);
    }
  }
}
