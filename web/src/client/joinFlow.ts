/**
 * The join flow of this page (signaling/meeting/joinFlow.ts is the server side):
 *   join → load the Device → receive transport → startConsuming → consume + resume each
 * and, for a participant who may send, a send transport that republishes whatever it was
 * publishing. It runs on every (re)connect and on the server's `rejoin`, so a network drop or a
 * media-server restart heals without a page reload; it runs once at a time (asked again meanwhile,
 * once more afterwards). Its answers: admitted (connected), waiting in the queue, no room
 * (retry), moved off a draining node, refused, or the meeting is over.
 */
import type { AckOf, MeetingEndedInfo } from '../../../signaling/protocol/events';
import { useStore } from '../state/store';
import { jitter } from './backoff';
import type { Connection } from './connection';
import { flushPendingHand } from './handFlow';
import type { Receiver } from './receiver';
import { RequestError } from './requestError';
import type { Sender } from './sender';
import { warn } from './warn';
import type { WebRtcFallback } from './webrtcFallback';

export class JoinFlow {
  readonly #conn: Connection;
  readonly #receiver: Receiver;
  readonly #sender: Sender;
  readonly #fallback: WebRtcFallback;
  readonly #end: (info: MeetingEndedInfo | null) => void;
  #joining: Promise<void> | null = null;
  #again = false;
  /** The join flow finished on the current connection (requests that need a joined peer may go). */
  #joined = false;
  /** From the last successful join: presented when joining again, for the rejoin lane. */
  #resumeTicket: string | null = null;

  constructor(conn: Connection, receiver: Receiver, sender: Sender, fallback: WebRtcFallback, end: (info: MeetingEndedInfo | null) => void) {
    this.#conn = conn;
    this.#receiver = receiver;
    this.#sender = sender;
    this.#fallback = fallback;
    this.#end = end;
  }

  get joined(): boolean {
    return this.#joined;
  }

  /** The connection dropped, or the meeting ended: nothing is joined now. */
  left(): void {
    this.#joined = false;
  }

  /** Runs the join flow once; if asked again meanwhile, runs it once more afterwards. */
  schedule(): void {
    const conn = this.#conn;
    if (conn.closed || conn.ended) return;
    if (this.#joining) {
      this.#again = true;
      return;
    }
    this.#joined = false;
    this.#joining = this.#join()
      .then(() => {
        conn.moving = false;
        this.#joined = conn.connected;
        useStore.getState().setJoinQueue(null);
        useStore.getState().setStatus('connected');
        return flushPendingHand(conn, this).catch((e) => warn('pending hand', e));
      })
      .catch((error: unknown) => this.#failed(error))
      .finally(() => {
        this.#joining = null;
        if (this.#again) {
          this.#again = false;
          this.schedule();
        }
      });
  }

  /** Closes this page's media (before a join, and when the client stops). */
  closeMedia(): void {
    this.#receiver.close();
    this.#sender.closeTransport();
  }

  #failed(error: unknown): void {
    const conn = this.#conn;
    if (error instanceof RequestError && error.code === 'queued' && error.queue) {
      // Waiting our turn: show the place and poll again when the server says (already jittered).
      useStore.getState().setJoinQueue(error.queue);
      useStore.getState().setStatus('queued');
      conn.retryLater(error.retryAfterMs ?? 5_000);
      return;
    }
    if (error instanceof RequestError && error.code === 'invalid_ticket') {
      // Not a ticket this cluster signed (e.g. its key changed): join as a newcomer.
      this.#resumeTicket = null;
      conn.retryLater(0);
      return;
    }
    if (error instanceof RequestError && error.code === 'not_open') {
      // The page shows a meeting only while it is open: refused now, it has ended.
      this.#end(null);
      return;
    }
    warn('join', error);
    if (error instanceof RequestError && error.code === 'draining') {
      // This node stopped admitting: leave it, and connect again (elsewhere) shortly.
      conn.moving = true;
      useStore.getState().setStatus('moving');
      conn.disconnect();
      conn.retryLater(jitter(error.retryAfterMs ?? 1_000));
      return;
    }
    if (!conn.connected) return; // the disconnect handler has scheduled the retry
    const retry = this.#fallback.retryDelay(error instanceof RequestError && error.retryAfterMs ? error.retryAfterMs : jitter(3_000));
    if (error instanceof RequestError && error.code === 'unauthorized') {
      useStore.getState().setStatus('unauthorized');
      useStore.getState().setSignInExpired();
      return;
    }
    if (error instanceof RequestError && error.code === 'forbidden') {
      // Signed in, but not in this meeting's audience: retrying will not change that.
      useStore.getState().setStatus('forbidden');
      return;
    }
    // 'unavailable': the meeting has no room right now; the server's retry-after is jittered.
    // On the delayed stream the socket is joined (hands work): only real time is retried.
    const full = error instanceof RequestError && error.code === 'unavailable';
    if (useStore.getState().mediaPath === 'hls' && this.#joined) {
      useStore.getState().setStatus('connected');
      void flushPendingHand(conn, this).catch((e) => warn('pending hand', e));
    } else useStore.getState().setStatus(full ? 'full' : 'reconnecting', Date.now() + retry);
    conn.retryLater(retry);
  }

  async #join(): Promise<void> {
    this.closeMedia();
    const store = useStore.getState();
    const meetingId = this.#conn.meetingId;
    const joined = await this.#conn.request('join', this.#resumeTicket ? { meetingId, resumeTicket: this.#resumeTicket } : { meetingId });
    this.#resumeTicket = joined.resumeTicket;
    if (store.joinQueue) {
      // Admitted after waiting: the media side comes next.
      store.setJoinQueue(null);
      store.setStatus('connecting');
    }
    store.setSelf(joined.self);
    store.setSession(joined.session);
    store.setBreakouts(joined.breakouts);

    // Teachers may watch the delayed HLS stream instead: by choice (no real-time media), or
    // when WebRTC fails below (the join flow then retries in the background).
    const teacher = !joined.self.canSend && joined.self.role === 'teacher';
    if (teacher && store.hlsChosen) {
      this.#fallback.use('chosen');
      return;
    }
    try {
      await this.#joinMedia(joined);
    } catch (error) {
      // The SFU is full (capacity), or the browser itself failed (no RTCPeerConnection, a
      // transport that cannot be made): the delayed stream meanwhile.
      if (teacher && error instanceof RequestError && error.code === 'unavailable') this.#fallback.use('capacity');
      else if (teacher && !(error instanceof RequestError)) this.#fallback.use('blocked');
      // On the delayed stream the socket stays joined: hands and the rest go over it meanwhile.
      if (useStore.getState().mediaPath === 'hls') this.#joined = this.#conn.connected;
      throw error;
    }
  }

  async #joinMedia(joined: AckOf<'join'>): Promise<void> {
    const { device, recv } = await this.#receiver.open(joined);
    await this.#receiver.startConsuming(device, recv);
    if (joined.self.canSend) await this.#sender.setUp(device);
  }
}
