/**
 * Invite to speak (signaling/meeting/speakFlow.ts is the server side): a host invites, mutes or
 * revokes a speaker; the invited participant accepts or declines, and a speaker may stop. The
 * server's `speakState` drives this page: a grant starts sending (the microphone at once, the
 * camera too when the host allowed video), losing it stops everything this page sends.
 */
import type { AckOf, SpeakState } from '../../../signaling/protocol/events';
import { useStore } from '../state/store';
import type { Connection } from './connection';
import type { Receiver } from './receiver';
import type { Sender } from './sender';

/** The server's `speakState`: this participant's hand, invitation and grant. */
export async function onSpeakState(state: SpeakState, receiver: Receiver, sender: Sender): Promise<void> {
  const store = useStore.getState();
  const hadGrant = store.speakState.grant !== null;
  store.setSpeakState(state);
  if (store.self?.role === 'host') return;
  if (state.grant && !hadGrant) {
    store.setSelf(store.self ? { ...store.self, canSend: true } : null);
    if (receiver.device && !sender.hasTransport) await sender.setUp(receiver.device);
    if (!sender.capturing('mic')) await sender.start('mic');
    // "Invite with video": the camera comes on with the acceptance.
    if (state.grant.allowVideo && !sender.capturing('camera')) await sender.start('camera');
  } else if (!state.grant && hadGrant) {
    store.setSelf(store.self ? { ...store.self, canSend: false } : null);
    await sender.stopAllLocal();
    sender.closeTransport();
  }
}

export function respondInvitation(conn: Connection, accept: boolean): Promise<AckOf<'respondInvitation'>> {
  return conn.request('respondInvitation', { accept });
}

export function stopSpeaking(conn: Connection): Promise<AckOf<'stopSpeaking'>> {
  return conn.request('stopSpeaking', {});
}

/** Host: invite a participant to speak (audio, plus video if allowed). */
export function inviteSpeaker(conn: Connection, userId: string, allowVideo: boolean): Promise<AckOf<'inviteSpeaker'>> {
  return conn.request('inviteSpeaker', { userId, allowVideo });
}

export function muteSpeaker(conn: Connection, userId: string, muted: boolean): Promise<AckOf<'muteSpeaker'>> {
  return conn.request('muteSpeaker', { userId, muted });
}

export function revokeSpeaker(conn: Connection, userId: string): Promise<AckOf<'revokeSpeaker'>> {
  return conn.request('revokeSpeaker', { userId });
}
