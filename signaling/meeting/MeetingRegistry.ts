/**
 * The meetings this signaling node serves. A meeting is opened here on the first join through this
 * node (serialised, so two simultaneous joins never open it twice) and closed a while after its
 * last local participant left; its SFU rooms and stored state go only when no node has anyone left
 * in it. Routes SFU events to the meeting they concern. A meeting that ended (its hosts ended or
 * deleted it) is never opened here again: joins to it are refused with `not_open`.
 */
import type { SfuControl } from '../../sfu/types';
import type { MeetingStore } from '../store/types';
import { Meeting, type MeetingOptions } from './Meeting';
import type { MeetingNotifier } from './Notifier';
import type { AttendanceRecorder } from '../attendance/AttendanceRecorder';
import type { BreakoutPlans } from './BreakoutPlans';
import type { QueueWatch } from '../../common/SerialQueue';
import { AppError } from '../protocol/errors';

/** How long an empty meeting keeps its SFU room, in case participants come back. */
const EMPTY_MEETING_GRACE_MS = 60_000;

export interface RegistryDeps {
  sfu: SfuControl;
  notify: MeetingNotifier;
  store: MeetingStore;
  options: MeetingOptions;
  /** Where attendance intervals go (default: nowhere). */
  attendance?: AttendanceRecorder;
  /** The scheduled meetings' breakout plans (default: none). */
  plans?: BreakoutPlans;
  /** Counts the meetings' event-queue stalls (default: each meeting its own). */
  queues?: QueueWatch;
  /** Called with every meeting opened here (flows arm their hooks, e.g. the breakout timer). */
  onOpen?: (meeting: Meeting) => void;
}

export class MeetingRegistry {
  readonly #meetings = new Map<string, Meeting>();
  readonly #opening = new Map<string, Promise<Meeting>>();
  readonly #emptyTimers = new Map<string, NodeJS.Timeout>();
  /** Holds on meetings that must stay open here without a participant (a WHIP source, a WHEP viewer). */
  readonly #holds = new Map<string, number>();
  /** Meetings that ended (an ended meeting never opens again; ids are not reused). */
  readonly #ended = new Set<string>();
  readonly #deps: RegistryDeps;

  constructor(deps: RegistryDeps) {
    this.#deps = deps;
    deps.sfu.on('consumerClosed', ({ consumerId, producerId }) => {
      for (const m of this.#meetings.values()) {
        if (m.consumerOwner.has(consumerId)) return m.onConsumerClosed(consumerId, producerId);
      }
    });
    deps.sfu.on('roomsLost', ({ roomIds }) => {
      for (const meeting of this.#meetings.values()) meeting.onRoomsLost(roomIds);
    });
  }

  get store(): MeetingStore {
    return this.#deps.store;
  }

  get(meetingId: string): Meeting | undefined {
    return this.#meetings.get(meetingId);
  }

  async getOrCreate(meetingId: string): Promise<Meeting> {
    if (this.#ended.has(meetingId)) throw endedError();
    const timer = this.#emptyTimers.get(meetingId);
    if (timer) {
      clearTimeout(timer);
      this.#emptyTimers.delete(meetingId);
    }
    const open = this.#meetings.get(meetingId);
    if (open) return open;
    let pending = this.#opening.get(meetingId);
    if (!pending) {
      const { sfu, notify, store, options } = this.#deps;
      pending = Meeting.open(meetingId, {
        sfu,
        notify,
        state: store.meeting(meetingId),
        nodeId: store.nodeId,
        aliveNodes: () => store.aliveNodes(),
        options,
        attendance: this.#deps.attendance,
        plans: this.#deps.plans,
        queues: this.#deps.queues,
      })
        .then(async (meeting) => {
          // It ended while it was opening here: nobody may enter it.
          if (this.#ended.has(meetingId)) {
            await meeting.close(false);
            throw endedError();
          }
          this.#meetings.set(meetingId, meeting);
          this.#deps.onOpen?.(meeting);
          return meeting;
        })
        .finally(() => this.#opening.delete(meetingId));
      this.#opening.set(meetingId, pending);
    }
    return pending;
  }

  /**
   * Keeps an open meeting from closing as empty while something that is not a participant needs
   * it here (a studio encoder's WHIP source, a WHEP viewer). Returns the release (idempotent).
   */
  hold(meeting: Meeting): () => void {
    this.#holds.set(meeting.id, (this.#holds.get(meeting.id) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#holds.get(meeting.id) ?? 1) - 1;
      if (left > 0) this.#holds.set(meeting.id, left);
      else this.#holds.delete(meeting.id);
      if (this.#meetings.get(meeting.id) === meeting) this.releaseIfEmpty(meeting);
    };
  }

  #idle(meeting: Meeting): boolean {
    return meeting.empty && !this.#holds.has(meeting.id);
  }

  /** Called after a participant left: an empty meeting closes here after a grace period. */
  releaseIfEmpty(meeting: Meeting): void {
    if (!this.#idle(meeting) || this.#emptyTimers.has(meeting.id)) return;
    const timer = setTimeout(() => {
      this.#emptyTimers.delete(meeting.id);
      if (!this.#idle(meeting) || this.#meetings.get(meeting.id) !== meeting) return;
      this.#meetings.delete(meeting.id);
      void (async () => {
        const counts = await meeting.state.counts();
        const nobody = counts.viewers + counts.hosts === 0;
        await meeting.close(nobody);
        if (nobody) await this.#deps.store.meeting(meeting.id).destroy();
      })().catch((error: unknown) => meeting.log.warn({ err: String(error) }, 'closing an empty meeting failed'));
    }, EMPTY_MEETING_GRACE_MS);
    timer.unref();
    this.#emptyTimers.set(meeting.id, timer);
  }

  /** The meeting has ended: from now on nobody joins it through this node (`not_open`). */
  markEnded(meetingId: string): void {
    this.#ended.add(meetingId);
  }

  hasEnded(meetingId: string): boolean {
    return this.#ended.has(meetingId);
  }

  /**
   * Closes this node's view of an ended meeting now (no grace: nobody comes back to it), after
   * its participants here were ended (endFlow.ts). Its SFU rooms and stored state go with the
   * last node to close it, the one that finds nobody left anywhere.
   */
  async closeEnded(meetingId: string): Promise<void> {
    const timer = this.#emptyTimers.get(meetingId);
    if (timer) clearTimeout(timer);
    this.#emptyTimers.delete(meetingId);
    const meeting = this.#meetings.get(meetingId);
    if (!meeting) return;
    this.#meetings.delete(meetingId);
    const counts = await meeting.state.counts();
    const nobody = counts.viewers + counts.hosts === 0;
    await meeting.close(nobody);
    if (nobody) await this.#deps.store.meeting(meetingId).destroy();
  }

  all(): Meeting[] {
    return [...this.#meetings.values()];
  }

  async close(): Promise<void> {
    for (const t of this.#emptyTimers.values()) clearTimeout(t);
    this.#emptyTimers.clear();
    // This node goes away; the meetings go on wherever else they are served.
    await Promise.all([...this.#meetings.values()].map((m) => m.close(this.#deps.store.kind === 'memory')));
    this.#meetings.clear();
  }
}

const endedError = (): AppError => new AppError('not_open', 'this meeting has ended');
