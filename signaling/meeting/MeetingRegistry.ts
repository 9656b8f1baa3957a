/**
 * The meetings open on this node. A meeting is created on the first join (serialised, so two
 * simultaneous joins never create it twice) and closed a while after its last participant left.
 * Routes SFU events to the meeting they concern.
 */
import type { SfuControl } from '../../sfu/types';
import type { TypedServer } from '../socketTypes';
import { Meeting, type MeetingOptions } from './Meeting';

/** How long an empty meeting keeps its SFU room, in case participants come back. */
const EMPTY_MEETING_GRACE_MS = 60_000;

export class MeetingRegistry {
  readonly #meetings = new Map<string, Meeting>();
  readonly #emptyTimers = new Map<string, NodeJS.Timeout>();
  readonly #sfu: SfuControl;
  readonly #io: TypedServer;
  readonly #options: MeetingOptions;

  constructor(sfu: SfuControl, io: TypedServer, options: MeetingOptions) {
    this.#sfu = sfu;
    this.#io = io;
    this.#options = options;
    sfu.on('consumerClosed', ({ consumerId, producerId }) => {
      for (const m of this.#meetings.values()) {
        if (m.consumerOwner.has(consumerId)) return m.onConsumerClosed(consumerId, producerId);
      }
    });
    sfu.on('roomsLost', ({ roomIds }) => {
      for (const meeting of this.#meetings.values()) meeting.onRoomsLost(roomIds);
    });
  }

  get(meetingId: string): Meeting | undefined {
    return this.#meetings.get(meetingId);
  }

  getOrCreate(meetingId: string): Meeting {
    const timer = this.#emptyTimers.get(meetingId);
    if (timer) {
      clearTimeout(timer);
      this.#emptyTimers.delete(meetingId);
    }
    let meeting = this.#meetings.get(meetingId);
    if (!meeting) {
      meeting = new Meeting(meetingId, this.#sfu, this.#io, this.#options);
      this.#meetings.set(meetingId, meeting);
    }
    return meeting;
  }

  /** Called after a participant left: an empty meeting closes after a grace period. */
  releaseIfEmpty(meeting: Meeting): void {
    if (!meeting.empty || this.#emptyTimers.has(meeting.id)) return;
    const timer = setTimeout(() => {
      this.#emptyTimers.delete(meeting.id);
      if (meeting.empty && this.#meetings.get(meeting.id) === meeting) {
        this.#meetings.delete(meeting.id);
        void meeting.close();
      }
    }, EMPTY_MEETING_GRACE_MS);
    timer.unref();
    this.#emptyTimers.set(meeting.id, timer);
  }

  all(): Meeting[] {
    return [...this.#meetings.values()];
  }

  async close(): Promise<void> {
    for (const t of this.#emptyTimers.values()) clearTimeout(t);
    this.#emptyTimers.clear();
    await Promise.all([...this.#meetings.values()].map((m) => m.close()));
    this.#meetings.clear();
  }
}
