/**
 * Moving a participant connected through this node between sessions (into their province's
 * breakout, back to main) without touching its transport: a grant in the old session ends,
 * consumers it no longer wants are closed, the new session's producers are consumed, and its
 * socket joins the new session's rooms and hears where it is. The SFU answers between the steps:
 * a move re-checks where the participant belongs once it has answered, so that a newer move (the
 * breakouts recalled meanwhile) decides.
 */
import type { AttendanceRecorder } from '../attendance/AttendanceRecorder';
import type { SessionInfo, SpeakState } from '../protocol/events';
import type { MeetingState } from '../store/types';
import type { MeetingSession } from './MeetingSession';
import type { MeetingNotifier } from './Notifier';
import type { Peer } from './Peer';

/** What a move reads and calls of the meeting (Meeting implements it). */
export interface MovesMeeting {
  readonly id: string;
  readonly notify: MeetingNotifier;
  readonly state: MeetingState;
  readonly attendance: AttendanceRecorder;
  readonly feeds: { sendHostState(socketId: string, session: MeetingSession): Promise<void> };
  sessionOf(peer: Peer): MeetingSession;
  placeFor(peer: Peer): string;
  ensureSession(key: string): Promise<MeetingSession>;
  sessionInfo(peer: Peer): Promise<SessionInfo>;
  speakStateOf(sessionKey: string, userId: string): Promise<SpeakState>;
  endSpeaking(session: MeetingSession, userId: string): Promise<boolean>;
  closeSending(peer: Peer): Promise<void>;
  reconcile(peer: Peer, beforeOffers?: () => Promise<void>): Promise<void>;
  /** Tells one participant the stage (and, in the backstage, the production). */
  greetStage(peer: Peer): void;
}

export class SessionMoves {
  readonly #meeting: MovesMeeting;

  constructor(meeting: MovesMeeting) {
    this.#meeting = meeting;
  }

  /** Puts a peer's socket in its session's rooms and tells it where it is. */
  async enterSession(peer: Peer): Promise<void> {
    const m = this.#meeting;
    const session = m.sessionOf(peer);
    await m.notify.leave(peer.socketId, (room) => room.startsWith(`m:${m.id}:s:`));
    await m.notify.join(peer.socketId, session.isHost(peer) ? [session.roomName, session.hostsRoomName] : [session.roomName]);
    if (session.isHost(peer)) await m.feeds.sendHostState(peer.socketId, session);
    const [info, speakState, speakers] = await Promise.all([
      m.sessionInfo(peer),
      m.speakStateOf(session.key, peer.userId),
      m.state.speakers(session.key),
    ]);
    m.notify.toSocket(peer.socketId, 'sessionChanged', info);
    m.greetStage(peer);
    m.notify.toSocket(peer.socketId, 'speakState', speakState);
    m.notify.toSocket(
      peer.socketId,
      'activeSpeakers',
      speakers.filter((s) => s.state === 'speaking').map((s) => ({ userId: s.userId, name: s.name })),
    );
  }

  /**
   * Moves a local participant to another session without touching its transport: consumers it no
   * longer wants are closed, the new session's producers are consumed, and a grant in the old
   * session ends.
   */
  async move(peer: Peer, key: string): Promise<void> {
    const m = this.#meeting;
    const from = m.sessionOf(peer);
    if (from.key === key) return;
    const to = await m.ensureSession(key);
    // The meeting changed while the SFU answered (breakouts recalled): a newer move decides.
    if (m.placeFor(peer) !== key || peer.sessionKey !== from.key) return;
    if (await m.state.speaker(from.key, peer.userId)) await m.endSpeaking(from, peer.userId);
    if (from.isHost(peer)) await m.closeSending(peer);
    peer.sessionKey = to.key;
    await m.state.move(peer.userId, peer.socketId, to.key);
    m.attendance.moved(m.id, peer.userId, to.key);
    await m.reconcile(peer, async () => this.enterSession(peer));
  }
}
