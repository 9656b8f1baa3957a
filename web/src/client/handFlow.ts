/**
 * Raise hand (signaling/meeting/handFlow.ts is the server side): a participant raises and lowers
 * their own hand, kept as a wish while disconnected and sent once joined again; hosts lower hands
 * (one, all, one province) and page through the queue beyond its summary's head.
 */
import type { AckOf, ClientRequest } from '../../../signaling/protocol/events';
import { useStore } from '../state/store';
import type { Connection } from './connection';
import { RequestError } from './requestError';

/** Whether the join flow has finished on the current connection. */
export interface Joined {
  readonly joined: boolean;
}

/**
 * Raises or lowers the hand. While disconnected the wish is kept (the button says so) and sent
 * once the join flow has run again; a wish that matches the state found then is dropped.
 */
export async function setHand(conn: Connection, join: Joined, want: boolean): Promise<void> {
  const store = useStore.getState();
  if (!join.joined) {
    store.setPendingHand(want === store.speakState.handRaised ? null : want);
    return;
  }
  store.setPendingHand(null);
  try {
    await conn.request(want ? 'raiseHand' : 'lowerHand', {});
    const now = useStore.getState();
    now.setSpeakState({ ...now.speakState, handRaised: want });
  } catch (error) {
    // The connection dropped under the request: keep the wish for the rejoin.
    if (!join.joined && !(error instanceof RequestError)) store.setPendingHand(want);
    else throw error;
  }
}

/** Sends a hand change asked for while disconnected. */
export async function flushPendingHand(conn: Connection, join: Joined): Promise<void> {
  const want = useStore.getState().pendingHand;
  if (want === null) return;
  await setHand(conn, join, want);
}

/** Host: lower one hand, every hand, or every hand of one province ('--': no province). */
export function lowerHands(conn: Connection, scope: ClientRequest<'lowerHands'>): Promise<AckOf<'lowerHands'>> {
  return conn.request('lowerHands', scope);
}

/** Host: a page of the hand queue, in raise order. */
export function handQueuePage(conn: Connection, offset: number, limit: number): Promise<AckOf<'handQueuePage'>> {
  return conn.request('handQueuePage', { offset, limit });
}
