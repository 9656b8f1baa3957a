/**
 * Hands and speaker grants as this node acts on them: the hand-toggle rate limit per user, what
 * a participant is told of their own hand, invitation and grant, what a session hears of its
 * speakers, and ending a grant (a speaker connected here stops sending at once). The hand queue
 * and the grants themselves live in the meeting store; handFlow.ts and speakFlow.ts are the
 * participants' and hosts' actions.
 */
import type { SpeakState } from '../protocol/events';
import { TokenBucket } from '../rateLimit';
import type { MeetingState } from '../store/types';
import type { MeetingOptions } from './meetingOptions';
import type { MeetingSession } from './MeetingSession';
import type { MeetingNotifier } from './Notifier';
import type { Peer } from './Peer';

/** What this part reads of the meeting (Meeting implements it). */
export interface GrantsMeeting {
  readonly state: MeetingState;
  readonly notify: MeetingNotifier;
  readonly options: Pick<MeetingOptions, 'handTogglesPerSecond' | 'handToggleBurst'>;
  readonly peers: ReadonlyMap<string, Peer>;
  session(key: string): MeetingSession;
  userRoom(userId: string): string;
  closeSending(peer: Peer): Promise<void>;
  /** Sends by a crew role (production.ts), not by a grant. */
  sendsByCrewRole(peer: Peer): boolean;
}

export class SpeakerGrants {
  readonly #meeting: GrantsMeeting;
  readonly #handBuckets = new Map<string, TokenBucket>();

  constructor(meeting: GrantsMeeting) {
    this.#meeting = meeting;
  }

  /** Takes a hand-toggle token for a user; returns 0 or the ms to wait. */
  takeHandToken(userId: string): number {
    let bucket = this.#handBuckets.get(userId);
    if (!bucket) {
      bucket = new TokenBucket(this.#meeting.options.handTogglesPerSecond, this.#meeting.options.handToggleBurst);
      this.#handBuckets.set(userId, bucket);
    }
    return bucket.take();
  }

  /** A departure is over: the user's hand-toggle budget goes with them. */
  forgetHandTokens(userId: string): void {
    this.#handBuckets.delete(userId);
  }

  async speakStateOf(sessionKey: string, userId: string): Promise<SpeakState> {
    const state = this.#meeting.state;
    const [handRaised, speaker] = await Promise.all([state.handRaised(sessionKey, userId), state.speaker(sessionKey, userId)]);
    return {
      handRaised,
      invitation: speaker?.state === 'invited' ? { allowVideo: speaker.allowVideo } : null,
      grant: speaker?.state === 'speaking' ? { allowVideo: speaker.allowVideo, muted: speaker.muted } : null,
    };
  }

  /** Tells one participant (wherever connected) their own hand, invitation and grant in a session. */
  async pushSpeakState(sessionKey: string, userId: string): Promise<void> {
    this.#meeting.notify.toRoom(this.#meeting.userRoom(userId), 'speakState', await this.speakStateOf(sessionKey, userId));
  }

  /** Speakers changed: the session's hosts get the list, the session hears who is speaking. */
  async speakersChanged(session: MeetingSession): Promise<void> {
    const list = await this.#meeting.state.speakers(session.key);
    this.#meeting.notify.toRoom(session.hostsRoomName, 'speakersChanged', list);
    this.#meeting.notify.toRoom(
      session.roomName,
      'activeSpeakers',
      list.filter((s) => s.state === 'speaking').map((s) => ({ userId: s.userId, name: s.name })),
    );
  }

  /**
   * Ends a speaker's grant (or invitation); false when there was none (another ended it first:
   * the store decides). A speaker connected here stops sending at once; one connected elsewhere
   * stops when their node applies `speakerEnded`. Never waits for the event queue, so it may run
   * from inside it (a speaker moved into a breakout).
   */
  async endSpeaking(session: MeetingSession, userId: string): Promise<boolean> {
    if (!(await this.#meeting.state.endSpeaker(session.key, userId))) return false;
    const peer = this.#meeting.peers.get(userId);
    if (peer && this.sendsOnlyAsSpeaker(peer, session.key)) await this.#meeting.closeSending(peer);
    await this.pushSpeakState(session.key, userId);
    await this.speakersChanged(session);
    return true;
  }

  /** A local peer in `sessionKey` who sends only by a speaker's grant (not a host of it, nor crew that presents). */
  sendsOnlyAsSpeaker(peer: Peer, sessionKey: string): boolean {
    return !peer.isHost && !this.#meeting.session(sessionKey).isHost(peer) && peer.sessionKey === sessionKey && !this.#meeting.sendsByCrewRole(peer);
  }
}
