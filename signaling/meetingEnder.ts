/**
 * Ending a meeting live, on every signaling node (POST /api/meetings/:id/end, and DELETE): the
 * database says so first (meetingRoutes.ts); then each node that holds anything of the meeting
 * ends it for what it holds:
 *   1. no more joins through it (`not_open`, the registry), and no stale join decision cached;
 *   2. its participants are told at once (`meetingEnded`, meeting/endFlow.ts);
 *   3. its recordings and live streams of the meeting stop cleanly (stop reason `meeting_ended`,
 *      last segment, EXT-X-ENDLIST, recording.json written and indexed: a replay at once);
 *   4. its participants leave the meeting and are disconnected (endFlow.ts);
 *   5. its view of the meeting closes (SFU rooms and stored state go with the last node).
 * The node that got the request does it and tells the others through the socket.io adapter's
 * server-side emit (Redis), waiting for their answers. Each answer waits for the node's
 * recordings to be replays, and for its participants to be out for up to ANSWER_WITHIN_MS more
 * (a node with tens of thousands of participants goes on taking them out after answering). A
 * node that missed the message (its Redis connection was down) finds out from the database
 * within `sweepMs`: every open meeting is checked against it, so ending never depends on one
 * message.
 */
import { logger } from '../common/log';
import type { MeetingEndReason, MeetingEndReport } from './protocol/events';
import type { MeetingRegistry } from './meeting/MeetingRegistry';
import { announceEnd, endForParticipants } from './meeting/endFlow';
import type { RecordingManager } from './recording/RecordingManager';
import type { LiveStreams } from './recording/LiveStreams';
import type { HlsIndex } from './recording/hlsIndex';
import type { TypedServer } from './socketTypes';

const log = logger('meeting-end');

/** How long an answer waits for the participants to be out, ms (another node answers within the adapter's 5 s). */
const ANSWER_WITHIN_MS = 4_000;
const DEFAULT_SWEEP_MS = 10_000;

export interface MeetingEnderDeps {
  io: TypedServer;
  registry: MeetingRegistry;
  recordings: RecordingManager;
  live: LiveStreams;
  index: HlsIndex;
  nodeId: string;
  /** Other signaling nodes share the adapter (Redis): tell them. One node: false. */
  clustered: boolean;
  /** Forgets this node's cached join decision for a meeting. */
  invalidate: (meetingId: string) => void;
  /** The database's word on a meeting still open here (null: it goes on). Unset without a database. */
  isOver?: (meetingId: string) => Promise<MeetingEndReason | null>;
  /** How often open meetings are checked against `isOver`, ms. Default 10000. */
  sweepMs?: number;
}

/** One node's end of a meeting, in its two phases. */
interface Ending {
  /** Its recordings and live streams of the meeting are closed (replays, indexed). */
  closed: Promise<void>;
  /** Everything is done: participants out, the meeting's view closed. */
  done: Promise<MeetingEndReport>;
}

export class MeetingEnder {
  readonly #deps: MeetingEnderDeps;
  /** Ends under way or done on this node, by meeting (a second request joins the first). */
  readonly #ending = new Map<string, Ending>();
  readonly #sweep: NodeJS.Timeout | null = null;
  #sweeping = false;

  constructor(deps: MeetingEnderDeps) {
    this.#deps = deps;
    deps.io.on('meetingEnded', ({ meetingId, reason }, done) => {
      // Within the adapter's 5 s whatever happens: with what this node finished by then.
      void this.#answer(this.#start(meetingId, reason), Promise.resolve()).then(done);
    });
    if (deps.isOver) {
      this.#sweep = setInterval(() => void this.#checkOpenMeetings(), deps.sweepMs ?? DEFAULT_SWEEP_MS);
      this.#sweep.unref();
    }
  }

  /**
   * Ends a meeting here and on every other signaling node. Resolves with each node's report once
   * this node's recordings are replays and every node answered (a node that did not answer in
   * time is logged; it ends the meeting all the same). Never rejects: the database already says so.
   */
  async end(meetingId: string, reason: MeetingEndReason): Promise<MeetingEndReport[]> {
    const others = this.#deps.clustered
      ? this.#deps.io.serverSideEmitWithAck('meetingEnded', { meetingId, reason }).catch((error: unknown) => {
          log.warn({ meeting: meetingId, err: String(error) }, 'not every signaling node confirmed the end in time');
          return [] as MeetingEndReport[];
        })
      : Promise.resolve([] as MeetingEndReport[]);
    const ending = this.#start(meetingId, reason);
    const [here, there] = await Promise.all([this.#answer(ending, ending.closed), others]);
    const reports = [here, ...there];
    log.info({ meeting: meetingId, reason, nodes: reports }, 'meeting ended');
    return reports;
  }

  /** Ends the meeting for what this node holds of it (once, however often asked); resolves when all is done. */
  endHere(meetingId: string, reason: MeetingEndReason): Promise<MeetingEndReport> {
    return this.#start(meetingId, reason).done;
  }

  /** The report once done, or, ANSWER_WITHIN_MS after `after`, what was finished then. */
  async #answer(ending: Ending, after: Promise<void>): Promise<MeetingEndReport> {
    const unfinished: MeetingEndReport = { node: this.#deps.nodeId, participants: 0, recordings: 0, liveStreams: 0, finished: false };
    await after;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<MeetingEndReport>((resolve) => {
      timer = setTimeout(() => resolve(unfinished), ANSWER_WITHIN_MS);
    });
    try {
      return await Promise.race([ending.done, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  #start(meetingId: string, reason: MeetingEndReason): Ending {
    const known = this.#ending.get(meetingId);
    if (known) return known;
    const { registry, recordings, live } = this.#deps;
    registry.markEnded(meetingId);
    this.#deps.invalidate(meetingId);
    const meeting = registry.get(meetingId);
    // The recordings close while the meeting is still here (its streams read until the end), and
    // are listed as ended replays before anyone is disconnected.
    const stopping = Promise.all([
      recordings.stopMeeting(meetingId, 'meeting_ended').catch((error: unknown) => {
        log.error({ meeting: meetingId, err: String(error) }, 'stopping the recordings failed');
        return [];
      }),
      live.stopMeeting(meetingId).catch((error: unknown) => {
        log.error({ meeting: meetingId, err: String(error) }, 'stopping the live streams failed');
        return 0;
      }),
    ]);
    const done = (async (): Promise<MeetingEndReport> => {
      // Told at once; a deleted meeting's page (and so its replay) is gone.
      if (meeting) announceEnd(meeting, { meetingId, reason, replay: reason === 'ended' && (await this.#hasReplay(meetingId)) });
      const [stopped, streams] = await stopping;
      let participants = 0;
      if (meeting) {
        participants = await endForParticipants(meeting);
        await registry.closeEnded(meetingId).catch((error: unknown) => log.warn({ meeting: meetingId, err: String(error) }, 'closing the ended meeting failed'));
      }
      return { node: this.#deps.nodeId, participants, recordings: stopped.length, liveStreams: streams, finished: true };
    })().catch((error: unknown) => {
      log.error({ meeting: meetingId, err: String(error) }, 'ending the meeting here failed');
      // Tried again by the next request or sweep.
      this.#ending.delete(meetingId);
      return { node: this.#deps.nodeId, participants: 0, recordings: 0, liveStreams: 0, finished: false };
    });
    const ending: Ending = { closed: stopping.then(() => undefined), done };
    this.#ending.set(meetingId, ending);
    return ending;
  }

  /** Whether the meeting has anything to replay: a recording with media, or one still finishing (here or on another node). */
  async #hasReplay(meetingId: string): Promise<boolean> {
    const local = await this.#deps.recordings.list(meetingId).catch(() => []);
    const indexed = (await this.#deps.index.recordings(meetingId).catch(() => [])).map((e) => e.info);
    return [...local, ...indexed].some((r) => r.durationS > 0 || r.endedAt === null);
  }

  /** The backstop: an open meeting the database says is over is ended here. */
  async #checkOpenMeetings(): Promise<void> {
    if (this.#sweeping || !this.#deps.isOver) return;
    this.#sweeping = true;
    try {
      for (const meeting of this.#deps.registry.all()) {
        if (this.#ending.has(meeting.id)) continue;
        const over = await this.#deps.isOver(meeting.id).catch(() => null);
        if (over) {
          log.warn({ meeting: meeting.id, reason: over }, 'an open meeting has ended in the database: ending it here');
          await this.endHere(meeting.id, over);
        }
      }
    } finally {
      this.#sweeping = false;
    }
  }

  close(): void {
    if (this.#sweep) clearInterval(this.#sweep);
  }
}
