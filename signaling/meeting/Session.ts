/**
 * One authenticated connection, as the meeting flows see it (its id, not the socket: the meeting
 * domain reaches sockets only through its notifier), and, once joined, its meeting and peer.
 */
import type { Claims } from '../auth/tokens';
import { AppError } from '../protocol/errors';
import type { Meeting } from './Meeting';
import type { Peer } from './Peer';

export class Session {
  readonly socketId: string;
  claims: Claims;
  meeting: Meeting | null = null;
  peer: Peer | null = null;
  /** Ends the connection when the token expires (re-armed by a refresh). */
  expiryTimer: NodeJS.Timeout | null = null;

  constructor(socketId: string, claims: Claims) {
    this.socketId = socketId;
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
