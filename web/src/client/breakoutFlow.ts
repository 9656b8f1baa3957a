/**
 * Province breakouts (signaling/meeting/breakoutFlow.ts is the server side): the national host
 * starts, extends and ends them, speaks into all of them, and sends notices. Every participant
 * follows `sessionChanged`: moved to a session where it may send, it makes a send transport;
 * moved to one where it may not, it stops sending (its capture stays, for a move back).
 */
import type { AckOf, SessionInfo } from '../../../signaling/protocol/events';
import { useStore } from '../state/store';
import type { Connection } from './connection';
import type { Receiver } from './receiver';
import type { Sender } from './sender';

/** Moved to another session: start or stop sending as this session allows. */
export async function onSessionChanged(info: SessionInfo, receiver: Receiver, sender: Sender): Promise<void> {
  const store = useStore.getState();
  store.setSession(info);
  // Out of the backstage: its view of the production is not this participant's any more.
  if (!info.backstage) store.setProduction(null);
  if (store.self) store.setSelf({ ...store.self, canSend: info.canSend });
  if (info.canSend && !sender.hasTransport && receiver.device) {
    await sender.setUp(receiver.device);
  } else if (!info.canSend && sender.hasTransport) {
    sender.closeTransport();
  }
}

export function startBreakouts(conn: Connection, durationS: number | undefined, nationalOverlay: boolean): Promise<AckOf<'startBreakouts'>> {
  return conn.request('startBreakouts', durationS ? { durationS, nationalOverlay } : { nationalOverlay });
}

export function extendBreakouts(conn: Connection, seconds: number): Promise<AckOf<'extendBreakouts'>> {
  return conn.request('extendBreakouts', { seconds });
}

export function endBreakouts(conn: Connection): Promise<AckOf<'endBreakouts'>> {
  return conn.request('endBreakouts', {});
}

export function speakToAll(conn: Connection, on: boolean): Promise<AckOf<'speakToAll'>> {
  return conn.request('speakToAll', { on });
}

export function sendNotice(conn: Connection, text: string): Promise<AckOf<'sendNotice'>> {
  return conn.request('sendNotice', { text });
}
