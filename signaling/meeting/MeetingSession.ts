/**
 * One session of a meeting: the main (national) session, or a province breakout. Each has its own
 * origin router (SFU room), its own hand queue and speakers, and its own hosts: the national hosts
 * for the main session, the province's host for a breakout.
 */
import type { HandQueueSummary, SpeakerInfo } from '../protocol/events';
import type { TypedServer } from '../socketTypes';
import { HandQueue, Throttle } from './HandQueue';
import type { Peer } from './Peer';

export const MAIN = 'main';

export class MeetingSession {
  /** 'main' or a province code. */
  readonly key: string;
  readonly province: string | null;
  /** The SFU room (origin router) where this session's publishers send. */
  readonly roomId: string;
  /** socket.io room of everyone in the session, and of its hosts. */
  readonly roomName: string;
  readonly hostsRoomName: string;
  readonly hands = new HandQueue();
  /** Invited and current teacher speakers, by user id (survives the speaker's reconnect). */
  readonly speakers = new Map<string, SpeakerInfo>();
  readonly #throttle: Throttle;

  constructor(meetingId: string, key: string, io: TypedServer, summaryIntervalMs: number, summaryHead: number) {
    this.key = key;
    this.province = key === MAIN ? null : key;
    this.roomId = key === MAIN ? meetingId : `${meetingId}~${key}`;
    this.roomName = `m:${meetingId}:s:${key}`;
    this.hostsRoomName = `${this.roomName}:hosts`;
    this.#throttle = new Throttle(summaryIntervalMs, () => io.to(this.hostsRoomName).emit('handQueue', this.summary(summaryHead)));
  }

  get isMain(): boolean {
    return this.key === MAIN;
  }

  /** The session's hosts: national hosts for main, the province host for its breakout. */
  isHost(peer: Peer): boolean {
    return this.isMain ? peer.claims.role === 'host' : peer.claims.role === 'province_host' && peer.claims.province === this.key;
  }

  summary(head: number): HandQueueSummary {
    return this.hands.summary(head);
  }

  /** The hand queue changed: this session's hosts get a (throttled) summary. */
  handsChanged(): void {
    this.#throttle.poke();
  }

  close(): void {
    this.#throttle.close();
  }
}
