/**
 * The meeting's socket: typed requests, the server's events, and keeping the connection up. The
 * reconnection is ours (socket.io's is off), so the page can say when the next attempt is and why:
 * back-off after a drop, a pause after being cut off for flooding, a move to another node when
 * this one drains, no retry when the account signed in elsewhere or the meeting ended. The join
 * flow (joinFlow.ts) runs on every connect; this file only says when.
 */
import { io, type Socket } from 'socket.io-client';
import type {
  Ack,
  AckOf,
  ClientEvent,
  ClientRequest,
  ClientToServerEvents,
  DisconnectReason,
  MeetingEndedInfo,
  ServerToClientEvents,
} from '../../../signaling/protocol/events';
import type { WireError } from '../../../signaling/protocol/errors';
import { useStore } from '../state/store';
import { FLOOD_PAUSE_MS, jitter, reconnectDelay } from './backoff';
import { RequestError } from './requestError';
import { TokenRefresh } from './tokenRefresh';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const REQUEST_TIMEOUT_MS = 15_000;

export interface MeetingClientOptions {
  serverUrl?: string;
  /** Gets a fresh token before the current one expires (null: none available). */
  refreshToken?: () => Promise<string | null>;
}

/** What the connection asks of the rest of the client. */
export interface ConnectionHooks {
  /** Run the join flow: connected (again), or a retry found the socket still connected. */
  join(): void;
  /** The socket dropped: nothing is joined on it any more. */
  dropped(): void;
  /** The meeting is over (`info`: how, when the server said). */
  end(info: MeetingEndedInfo | null): void;
}

export class Connection {
  readonly #socket: ClientSocket;
  readonly #meetingId: string;
  readonly #hooks: ConnectionHooks;
  readonly #refresh: TokenRefresh;
  #token: string;
  #closed = false;
  /** The meeting is over (the server said so, or refused the join with not_open): nothing is retried. */
  #ended = false;
  /** The server asked this client to move to another node (it is draining). */
  #moving = false;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #moveTimer: ReturnType<typeof setTimeout> | null = null;
  /** Consecutive failed connection attempts (for the back-off). */
  #attempt = 0;
  /** What the server said just before it ended the connection. */
  #serverReason: DisconnectReason | null = null;

  constructor(token: string, meetingId: string, options: MeetingClientOptions, hooks: ConnectionHooks) {
    this.#token = token;
    this.#meetingId = meetingId;
    this.#hooks = hooks;
    this.#refresh = new TokenRefresh(this, options.refreshToken);
    const serverUrl = options.serverUrl;
    const opts = { transports: ['websocket'], auth: { token }, reconnection: false };
    this.#socket = serverUrl ? io(serverUrl, opts) : io(opts);
    const store = useStore.getState();
    store.setStatus('connecting');
    store.setMeetingEnded(null);

    this.#socket.on('connect', () => {
      this.#attempt = 0;
      this.#serverReason = null;
      useStore.getState().setStatus(this.#moving ? 'moving' : 'connecting');
      this.#refresh.schedule();
      this.#hooks.join();
    });
    this.#socket.on('sessionExpired', () => signInOver());
    this.#socket.on('disconnectReason', ({ reason }) => {
      this.#serverReason = reason;
    });
    this.#socket.on('meetingEnded', (info) => {
      if (info.meetingId === this.#meetingId) this.#hooks.end(info);
    });
    this.#socket.on('disconnect', (how) => {
      this.#hooks.dropped();
      if (this.#closed) return;
      // The server drops a disconnected socket's place in the queue; the next join queues afresh.
      useStore.getState().setJoinQueue(null);
      const reason = this.#serverReason;
      if (this.#ended || reason === 'meeting_ended') {
        // Nothing to reconnect to: the page shows the end (MeetingGate shows the summary).
        this.#hooks.end(null);
      } else if (reason === 'signed_in_elsewhere') {
        // No automatic retry: this tab and the other would take turns forever.
        useStore.getState().setStatus('replaced');
      } else if (reason === 'session_expired') {
        signInOver();
      } else if (this.#moving) {
        // Our own move (#moveAfter connects again itself), or the draining server closing us after
        // our turn, or the node gone under us: connect again now; the balancer picks another node.
        useStore.getState().setStatus('moving');
        if (how !== 'io client disconnect') this.retryLater(0);
      } else if (reason === 'flooding') {
        useStore.getState().setStatus('flooded', Date.now() + FLOOD_PAUSE_MS);
        this.retryLater(FLOOD_PAUSE_MS);
      } else {
        this.#reconnectLater();
      }
    });
    this.#socket.on('connect_error', (err: Error & { data?: WireError }) => {
      if (err.data?.code === 'unauthorized') {
        signInOver();
      } else if (err.data?.code === 'draining') {
        // Reached a node that is shutting down (the balancer has not noticed yet): try again.
        this.#moving = true;
        useStore.getState().setStatus('moving');
        this.retryLater(jitter(err.data.retryAfterMs ?? 1_000));
      } else {
        this.#reconnectLater();
      }
    });
    this.#socket.on('moveNode', ({ afterMs }) => this.#moveAfter(afterMs));
  }

  get meetingId(): string {
    return this.#meetingId;
  }

  get token(): string {
    return this.#token;
  }

  get connected(): boolean {
    return this.#socket.connected;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The meeting is over: no retry from now on. */
  markEnded(): void {
    this.#ended = true;
  }

  /** Moving to another node: the status says so until the join there is done. */
  get moving(): boolean {
    return this.#moving;
  }

  set moving(on: boolean) {
    this.#moving = on;
  }

  /** Sends one request and waits for its ack: the answer's data, or a RequestError with the server's code. */
  request<E extends ClientEvent>(event: E, payload: ClientRequest<E>): Promise<AckOf<E>> {
    return new Promise((resolve, reject) => {
      // socket.io's emit types cannot follow a generic event name; this signature types both ends.
      (this.#socket.timeout(REQUEST_TIMEOUT_MS).emit as (
        ev: E,
        p: ClientRequest<E>,
        cb: (err: Error | null, res: Ack<AckOf<E>>) => void,
      ) => void)(event, payload, (err, res) => {
        if (err) return reject(err);
        if (res.ok) resolve(res.data);
        else reject(new RequestError(res.error));
      });
    });
  }

  /** Listens to a server event; returns the unsubscribe. */
  on<E extends keyof ServerToClientEvents>(event: E, listener: ServerToClientEvents[E]): () => void {
    // As in `request`: the listener's type is checked by this signature.
    const socket = this.#socket as unknown as { on(e: string, l: unknown): void; off(e: string, l: unknown): void };
    socket.on(event, listener);
    return () => socket.off(event, listener);
  }

  /** Presents a fresh token to the server, then keeps it for reconnects. */
  async useToken(token: string): Promise<void> {
    await this.request('refreshToken', { token });
    this.#token = token;
    // A reconnect must present the fresh token.
    (this.#socket.auth as { token: string }).token = token;
  }

  /** Tries to connect now (after `replaced`: take the meeting back to this tab; or skip a wait). */
  reconnectNow(): void {
    if (this.#closed || this.#ended) return;
    this.#serverReason = null;
    this.#attempt = 0;
    useStore.getState().setStatus('connecting');
    this.retryLater(0);
  }

  /** Leaves this node (the join flow found it draining): the disconnect handler sees `moving`. */
  disconnect(): void {
    this.#socket.disconnect();
  }

  /** Connects (or joins again, if connected) after `ms` (already jittered by the caller). */
  retryLater(ms: number): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      if (this.#closed || this.#ended) return;
      if (!this.#socket.connected) {
        // A move keeps saying so until the join on the new node is done.
        useStore.getState().setStatus(this.#moving ? 'moving' : 'connecting');
        this.#socket.connect();
      } else this.#hooks.join();
    }, ms);
  }

  /** Stops the retry, move and token refresh timers. */
  stopTimers(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#moveTimer) clearTimeout(this.#moveTimer);
    this.#retryTimer = this.#moveTimer = null;
    this.#refresh.stop();
  }

  /** From now on nothing is retried and a disconnect is not handled (the socket closes next). */
  markClosed(): void {
    this.#closed = true;
  }

  closeSocket(): void {
    this.#socket.close();
  }

  /** The next connection attempt after a drop, with back-off; the page shows the countdown. */
  #reconnectLater(): void {
    const delay = reconnectDelay(this.#attempt);
    this.#attempt += 1;
    useStore.getState().setStatus('reconnecting', Date.now() + delay);
    this.retryLater(delay);
  }

  /**
   * The node is draining: at our turn, leave it and connect again through our own retry path (the
   * socket's reconnection is off); the load balancer sends the new connection to another node, and
   * the join flow runs there as after any reconnect.
   */
  #moveAfter(afterMs: number): void {
    this.#moving = true;
    useStore.getState().setStatus('moving');
    if (this.#moveTimer) clearTimeout(this.#moveTimer);
    this.#moveTimer = setTimeout(() => {
      this.#moveTimer = null;
      if (this.#closed) return;
      this.#socket.disconnect();
      this.retryLater(0);
    }, Math.max(0, Math.min(afterMs, 10 * 60_000)));
  }
}

/** The server refused the sign-in (expired, revoked, invalid): no retry; the page asks to sign in again. */
function signInOver(): void {
  const store = useStore.getState();
  store.setStatus('unauthorized');
  store.setSignInExpired();
}
