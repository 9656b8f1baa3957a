/**
 * Participants who left, as this node ends them: a disconnected participant keeps their hand and
 * grant for `departureGraceMs` (a reconnect finds them); past the grace they go, in every session.
 * A sweep, once a second on every node, claims the departures past their grace (the store hands
 * each to one node) and takes out of the roster the participants of signaling nodes that died.
 */
import type { Logger } from '../../common/log';
import type { AttendanceRecorder } from '../attendance/AttendanceRecorder';
import type { MeetingState } from '../store/types';
import type { MeetingOptions } from './meetingOptions';
import { MAIN, type MeetingSession } from './MeetingSession';
import type { SpeakerGrants } from './speakerGrants';

/** How often this node looks for expired departures and dead signaling nodes' participants. */
const SWEEP_MS = 1_000;

/** What this part reads of the meeting (Meeting implements it). */
export interface DeparturesMeeting {
  readonly id: string;
  readonly nodeId: string;
  readonly state: MeetingState;
  readonly options: Pick<MeetingOptions, 'departureGraceMs'>;
  readonly log: Logger;
  readonly attendance: AttendanceRecorder;
  readonly closed: boolean;
  session(key: string): MeetingSession;
}

export class Departures {
  readonly #meeting: DeparturesMeeting;
  readonly #grants: SpeakerGrants;
  /** The ids of the signaling nodes alive (for sweeping dead nodes' participants). */
  readonly #aliveNodes: () => Promise<string[]>;
  readonly #sweepTimer: NodeJS.Timeout;
  #sweeping = false;

  constructor(meeting: DeparturesMeeting, grants: SpeakerGrants, aliveNodes: () => Promise<string[]>) {
    this.#meeting = meeting;
    this.#grants = grants;
    this.#aliveNodes = aliveNodes;
    this.#sweepTimer = setInterval(() => void this.#sweep(), SWEEP_MS);
    this.#sweepTimer.unref();
  }

  /** A participant disconnected: keep their hand and grant for a reconnect, then drop them. */
  async departed(userId: string, immediately: boolean): Promise<void> {
    if (immediately) return this.dropDeparted(userId);
    await this.#meeting.state.departed(userId, Date.now() + this.#meeting.options.departureGraceMs);
  }

  /** A departure is over: the participant's hands go down and grants end, in every session. */
  async dropDeparted(userId: string): Promise<void> {
    const m = this.#meeting;
    this.#grants.forgetHandTokens(userId);
    for (const key of new Set([MAIN, ...(await m.state.sessionKeys())])) {
      await m.state.lowerHand(key, userId);
      await this.#grants.endSpeaking(m.session(key), userId);
    }
  }

  async #sweep(): Promise<void> {
    const m = this.#meeting;
    if (this.#sweeping || m.closed) return;
    this.#sweeping = true;
    try {
      const now = Date.now();
      const alive = new Set(await this.#aliveNodes());
      for (const node of await m.state.nodes()) {
        if (node === m.nodeId || alive.has(node)) continue;
        const evicted = await m.state.evictNode(node, now + m.options.departureGraceMs);
        if (evicted.length > 0) m.log.warn({ node, evicted: evicted.length }, 'a signaling node died: its participants left the roster');
      }
      for (const userId of await m.state.claimExpiredDepartures(now, 500)) {
        await this.dropDeparted(userId);
        // Not back within the grace: an interval that a dead node left open ends when they left
        // (the departure began a grace ago; a live node closes its own intervals itself).
        m.attendance.abandoned(m.id, userId, now - m.options.departureGraceMs);
      }
    } catch (error) {
      m.log.warn({ err: String(error) }, 'sweep failed');
    } finally {
      this.#sweeping = false;
    }
  }

  close(): void {
    clearInterval(this.#sweepTimer);
  }
}
