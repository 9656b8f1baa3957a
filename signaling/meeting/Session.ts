import type { Claims } from '../auth/tokens';
import { AppError } from '../protocol/errors';
import type { TypedSocket } from '../socketTypes';
import type { Meeting } from './Meeting';
import type { Peer } from './Peer';

/** One authenticated socket and, once joined, its meeting and peer. */
export class Session {
  readonly socket: TypedSocket;
  claims: Claims;
  meeting: Meeting | null = null;
  peer: Peer | null = null;
  /** Ends the connection when the token expires (re-armed by a refresh). */
  expiryTimer: NodeJS.Timeout | null = null;

  constructor(socket: TypedSocket, claims: Claims) {
    this.socket = socket;
    this.claims = claims;
  }

  /** The meeting and peer, or a typed `not_joined` error. */
  joined(): { meeting: Meeting; peer: Peer } {
    const { meeting, peer } = this;
    if (!meeting || !peer || meeting.peers.get(peer.userId) !== peer) {
      throw new AppError('not_joined', 'join a meeting first');
    }
    return { meeting, peer };
  }
}
