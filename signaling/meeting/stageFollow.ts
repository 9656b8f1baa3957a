/**
 * Following the production on one signaling node: when the crew, the stage or its live state
 * changes (the store's `production` event), or a countdown runs out, this node's participants are
 * brought in line. Backstage members see every source, the audience only what is on air
 * (consumerPlanning.wants reads meeting/production.ts); someone who left the crew stops sending; a
 * crew member in a breakout comes back to main; everyone is told the stage (the audience's view)
 * and the backstage the whole production.
 *
 * Runs beside the meeting's event queue (started detached from it, never awaited by it): a
 * reconcile waits on the SFU, and nothing run by the queue may wait that long.
 */
import type { Logger } from '../../common/log';
import type { SessionInfo } from '../protocol/events';
import type { CrewRole, Production } from '../store/types';
import { forEachLimited } from './concurrency';
import { MAIN } from './MeetingSession';
import type { MeetingNotifier } from './Notifier';
import type { Peer } from './Peer';
import { crewSources, isLive, stageView } from './production';

/** How many participants are brought in line at once. */
const FOLLOW_CONCURRENCY = 32;

/** What following the stage reads and calls of the meeting (Meeting implements it). */
export interface StageMeeting {
  readonly log: Logger;
  readonly notify: MeetingNotifier;
  readonly closed: boolean;
  readonly roomName: string;
  readonly peers: ReadonlyMap<string, Peer>;
  readonly production: Production;
  crewRole(userId: string): CrewRole | null;
  inBackstage(peer: Peer): boolean;
  placeFor(peer: Peer): string;
  move(peer: Peer, key: string): Promise<void>;
  closeSending(peer: Peer): Promise<void>;
  reconcile(peer: Peer): Promise<void>;
  sessionInfo(peer: Peer): Promise<SessionInfo>;
}

export class StageFollow {
  readonly #meeting: StageMeeting;
  #liveTimer: NodeJS.Timeout | null = null;
  /** Follows run one after another (a newer one starts from the newest production). */
  #running: Promise<void> = Promise.resolve();

  constructor(meeting: StageMeeting) {
    this.#meeting = meeting;
  }

  /** The production changed from `prev` (already set on the meeting): follow it here. */
  changed(prev: Production): void {
    this.#arm();
    const next = this.#meeting.production;
    this.#running = this.#running.then(() => this.#follow(prev, next)).catch((error: unknown) => {
      this.#meeting.log.warn({ err: String(error) }, 'following the stage failed');
    });
  }

  /** Resolves when the follows started so far have run (tests, and flows answering a producer). */
  settled(): Promise<void> {
    return this.#running;
  }

  /** A countdown to going live: at its end, the audience gets the stage. */
  #arm(): void {
    if (this.#liveTimer) clearTimeout(this.#liveTimer);
    this.#liveTimer = null;
    const p = this.#meeting.production;
    if (!p.backstage || p.liveAt === null || isLive(p, Date.now())) return;
    this.#liveTimer = setTimeout(() => {
      this.#liveTimer = null;
      if (this.#meeting.closed || this.#meeting.production !== p) return;
      this.#running = this.#running.then(() => this.#follow(p, p)).catch((error: unknown) => {
        this.#meeting.log.warn({ err: String(error) }, 'going live failed');
      });
    }, p.liveAt - Date.now() + 5);
    this.#liveTimer.unref();
  }

  async #follow(prev: Production, next: Production): Promise<void> {
    const m = this.#meeting;
    if (m.closed) return;
    const peers = [...m.peers.values()];
    await forEachLimited(peers, FOLLOW_CONCURRENCY, async (peer) => {
      if (m.closed || m.peers.get(peer.userId) !== peer) return;
      try {
        const was = prev.crew[peer.userId]?.role ?? null;
        const now = m.crewRole(peer.userId);
        if (was !== now) await this.#crewChanged(peer, was, now);
        await m.reconcile(peer);
      } catch (error) {
        m.log.warn({ peer: peer.userId, err: String(error) }, 'following the stage failed for a participant');
      }
    });
    this.#tell();
  }

  /** A participant's crew role changed: what they may send, where they are, what they are told. */
  async #crewChanged(peer: Peer, was: CrewRole | null, now: CrewRole | null): Promise<void> {
    const m = this.#meeting;
    const allowed = peer.isHost ? null : crewSources(now);
    const lost = [...peer.producers.values()].filter((p) => p.stage && !(allowed ?? []).includes(p.source as never));
    if (!peer.isHost && lost.length > 0) await m.closeSending(peer);
    if (m.placeFor(peer) !== peer.sessionKey) await m.move(peer, m.placeFor(peer));
    m.log.info({ peer: peer.userId, from: was, to: now }, 'crew role changed');
    if (peer.sessionKey === MAIN) m.notify.toSocket(peer.socketId, 'sessionChanged', await m.sessionInfo(peer));
  }

  /** Everyone here hears the stage; the backstage here hears the whole production. */
  #tell(): void {
    const m = this.#meeting;
    const now = Date.now();
    m.notify.toLocalRoom(m.roomName, 'stage', stageView(m.production, now));
    for (const peer of m.peers.values()) {
      if (m.inBackstage(peer)) m.notify.toSocket(peer.socketId, 'production', { ...m.production, serverNow: now });
    }
  }

  /** What one participant is told when they enter the main session. */
  greet(peer: Peer): void {
    const m = this.#meeting;
    const now = Date.now();
    m.notify.toSocket(peer.socketId, 'stage', stageView(m.production, now));
    if (m.inBackstage(peer)) m.notify.toSocket(peer.socketId, 'production', { ...m.production, serverNow: now });
  }

  close(): void {
    if (this.#liveTimer) clearTimeout(this.#liveTimer);
    this.#liveTimer = null;
  }
}
