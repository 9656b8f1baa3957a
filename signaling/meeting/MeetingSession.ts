/**
 * One session of a meeting, as names: the main (national) session, or a province breakout. Each
 * has its own origin router (SFU room) and its own hosts (the national hosts for main, the
 * province's host for a breakout); its hand queue and speakers live in the meeting store.
 */
import type { Role } from '../protocol/events';
import { MAIN, hostsSession } from '../store/roster';

export { MAIN };

export class MeetingSession {
  /** 'main' or a province code. */
  readonly key: string;
  readonly province: string | null;
  /** The SFU room (origin router) where this session's publishers send. */
  readonly roomId: string;
  /** socket.io room of everyone in the session, and of its hosts. */
  readonly roomName: string;
  readonly hostsRoomName: string;

  constructor(meetingId: string, key: string) {
    this.key = key;
    this.province = key === MAIN ? null : key;
    this.roomId = key === MAIN ? meetingId : `${meetingId}~${key}`;
    this.roomName = `m:${meetingId}:s:${key}`;
    this.hostsRoomName = `${this.roomName}:hosts`;
  }

  get isMain(): boolean {
    return this.key === MAIN;
  }

  /** The session's hosts: national hosts for main, the province host for its breakout. */
  isHost(who: { claims: { role: Role; province: string | null } }): boolean {
    return hostsSession(who.claims, this.key);
  }
}
