/**
 * The meeting store: everything about a meeting that is not a media object owned by one socket.
 * Roster (who is in which session, counts per session, province and school), hand queues,
 * speakers, breakouts, published producers and notices. Two implementations, chosen once at
 * start-up (store/index.ts): in memory (one signaling node, the default) and Redis (a cluster of
 * signaling nodes, when HOINGHI_REDIS_URL is set). The meeting code cannot tell which it got.
 *
 * Changes that every node must act on (a producer published or closed, breakouts started or
 * ended, a speaker ended or muted) are published as ordered `MeetingEvent`s with a per-meeting
 * sequence number; each node applies them to its own participants. Hands are not published per
 * change: hosts' nodes poll the session's hand sequence number and build summaries when it moved.
 */
import type { HandEntry, HandQueueSummary, Notice, Role, SpeakerInfo } from '../protocol/events';
import type { MediaSource } from '../protocol/schemas';
import type { QaState } from './qaTypes';
import type { Production } from '../protocol/production';

export interface PublishedProducer {
  id: string;
  kind: 'audio' | 'video';
  source: MediaSource;
  peerId: string;
  peerName: string;
  /** The session it belongs to, and the SFU room (origin router) it was produced in. */
  sessionKey: string;
  roomId: string;
  /** Published by a national host (heard in breakouts when speaking to all). */
  national: boolean;
  /** Published by the host of its session (recorded and streamed as live HLS from any node). */
  sessionHost?: boolean;
  /**
   * A source of the national broadcast that the stage decides (meeting/production.ts): a
   * presenter's camera, microphone or screen (national hosts, crew presenters and producers, a
   * studio encoder, a clip), or the sign-language interpreter's picture. Absent for what the stage
   * does not decide (an invited speaker, a breakout's host).
   */
  stage?: 'presenter' | 'interpreter';
}

export type { CrewMember, CrewRole, Production, StageLayout } from '../protocol/production';

/** One participant as every node sees them. */
export interface Participant {
  userId: string;
  name: string;
  role: Role;
  province: string | null;
  school: string | null;
  /** 'main' or a province code. */
  sessionKey: string;
  /** The signaling node and socket the participant is connected through. */
  node: string;
  socketId: string;
  joinedAt: number;
}

export interface Breakouts {
  startedAt: number;
  endsAt: number | null;
  nationalOverlay: boolean;
  speakToAll: boolean;
  /** The provinces that split out (the others stay in main), or null: every province. Never empty. */
  provinces: string[] | null;
  /** Bumped by every change (start, extend, speak-to-all). */
  version: number;
}

export type MeetingEvent =
  | { type: 'producerAdded'; producer: PublishedProducer }
  | { type: 'producersRemoved'; producerIds: string[] }
  | { type: 'breakouts'; breakouts: Breakouts | null }
  /** A grant or invitation ended: the speaker's node closes what they publish. */
  | { type: 'speakerEnded'; sessionKey: string; userId: string }
  /** The host muted or unmuted a speaker: the speaker's node pauses or resumes their microphone. */
  | { type: 'speakerMuted'; sessionKey: string; userId: string; muted: boolean }
  /** The crew, the stage or its live state changed. */
  | { type: 'production'; production: Production };

export type SequencedEvent = MeetingEvent & { seq: number };

/** What a node caches of a meeting, read at once with the sequence number it reflects. */
export interface MeetingSnapshot {
  seq: number;
  producers: PublishedProducer[];
  breakouts: Breakouts | null;
  production: Production;
}

export interface SessionCounts {
  /** Participants in the session who are not its hosts. */
  teachers: number;
  /** Session hosts present (national hosts for main, the province host for a breakout). */
  hosts: number;
  hands: number;
}

export interface MeetingCounts {
  /** Participants by role: hosts are national hosts; viewers everyone else. */
  viewers: number;
  hosts: number;
  sessions: Record<string, SessionCounts>;
  /** Participants present by province (everyone whose record has one; absent when none). */
  provinces: Record<string, number>;
}

export interface ParticipantQuery {
  /** Case- and accent-insensitive substring of name, school or user id. */
  text?: string;
  province?: string;
  sessionKey?: string;
  offset: number;
  limit: number;
}

/** A meeting nobody has produced yet: no crew, no backstage (presenters are on air as they publish). */
export const NO_PRODUCTION: Production = Object.freeze({ backstage: false, liveAt: null, stage: [], layout: 'single', crew: {}, version: 0 }) as Production;

/** Announcements a meeting keeps for late joiners. */
export const NOTICES_KEPT = 20;

export type InviteResult = 'ok' | 'exists' | 'full';

/** The store's view of one meeting. Every method is safe to call from any node at any time. */
export interface MeetingState {
  readonly meetingId: string;
  /** Questions, polls and reactions (qaTypes.ts). */
  readonly qa: QaState;

  // ---- events ---------------------------------------------------------------------------------
  /** Ordered delivery of this meeting's events (including those this node caused). */
  subscribe(listener: (event: SequencedEvent) => void): () => void;
  /** The cached parts and the sequence number they reflect (for a node that missed events). */
  snapshot(): Promise<MeetingSnapshot>;
  /** Called with no argument when events may have been missed (the store's connection came back). */
  onResync(listener: () => void): () => void;
  /** The sequence number of the last event this node's own writes published (see Meeting.caughtUp). */
  readonly writtenSeq: number;

  // ---- roster ---------------------------------------------------------------------------------
  /** Adds (or replaces: one attendee per user) a participant; returns the replaced entry. */
  join(participant: Participant): Promise<Participant | null>;
  /** Removes the participant if still connected through `socketId`; returns whether it did. */
  leave(userId: string, socketId: string): Promise<boolean>;
  /** Moves a participant (still connected through `socketId`) to another session. */
  move(userId: string, socketId: string, sessionKey: string): Promise<boolean>;
  participant(userId: string): Promise<Participant | null>;
  participants(query: ParticipantQuery): Promise<{ total: number; rows: Participant[] }>;
  counts(): Promise<MeetingCounts>;
  /** Participants present from each of these schools (codes with nobody present are left out). */
  schoolCounts(schools: readonly string[]): Promise<Record<string, number>>;
  /** Signaling nodes that have participants connected through them. */
  nodes(): Promise<string[]>;
  /**
   * A signaling node died: its participants leave the roster (unless they already came back
   * through another node) and become departures with `deadline`. Returns the users evicted.
   */
  evictNode(node: string, deadline: number): Promise<string[]>;

  // ---- departures: a disconnected participant's hand and grant survive a grace period -----------
  departed(userId: string, deadline: number): Promise<void>;
  arrived(userId: string): Promise<void>;
  /** Departures past their deadline whose user has not come back, claimed once cluster-wide. */
  claimExpiredDepartures(now: number, max: number): Promise<string[]>;

  // ---- hands (per session) ----------------------------------------------------------------------
  raiseHand(sessionKey: string, entry: Omit<HandEntry, 'seq' | 'raisedAt'>): Promise<{ entry: HandEntry; changed: boolean }>;
  lowerHand(sessionKey: string, userId: string): Promise<boolean>;
  /** Lowers every hand of the session (or of one province in it); returns the users lowered. */
  lowerHands(sessionKey: string, province?: string): Promise<string[]>;
  handRaised(sessionKey: string, userId: string): Promise<boolean>;
  handSeq(sessionKey: string): Promise<number>;
  handSummary(sessionKey: string, head: number, now: number): Promise<HandQueueSummary>;
  handPage(sessionKey: string, offset: number, limit: number): Promise<{ entries: HandEntry[]; total: number }>;
  /** Sessions that have (or had) hands or speakers. */
  sessionKeys(): Promise<string[]>;

  // ---- speakers (per session) -------------------------------------------------------------------
  speakers(sessionKey: string): Promise<SpeakerInfo[]>;
  speaker(sessionKey: string, userId: string): Promise<SpeakerInfo | null>;
  /** Invites, unless already invited or speaking, or the session is at `max`. */
  invite(sessionKey: string, speaker: SpeakerInfo, max: number): Promise<InviteResult>;
  /** An invitation accepted: returns the grant, or null if there was no open invitation. */
  accept(sessionKey: string, userId: string): Promise<SpeakerInfo | null>;
  /** Sets the muted flag of a speaking participant and publishes speakerMuted; null if none. */
  mute(sessionKey: string, userId: string, muted: boolean): Promise<SpeakerInfo | null>;
  /** Ends a grant or invitation and publishes speakerEnded; returns whether there was one. */
  endSpeaker(sessionKey: string, userId: string): Promise<boolean>;

  // ---- breakouts ----------------------------------------------------------------------------------
  breakouts(): Promise<Breakouts | null>;
  /** Starts breakouts unless running; returns the new state or null if already running. */
  startBreakouts(b: Omit<Breakouts, 'version'>): Promise<Breakouts | null>;
  /** Changes running breakouts; null if none are running. */
  updateBreakouts(change: { extendS?: number; speakToAll?: boolean }, now: number): Promise<Breakouts | null>;
  /** Ends breakouts; returns what was running (null if none: someone else ended them). */
  endBreakouts(): Promise<Breakouts | null>;

  // ---- producers -----------------------------------------------------------------------------------
  addProducer(producer: PublishedProducer): Promise<void>;
  /** Removes producers (those that exist), publishing one producersRemoved event. */
  removeProducers(producerIds: string[]): Promise<void>;

  // ---- production (crew and stage) ---------------------------------------------------------------
  production(): Promise<Production>;
  /**
   * Replaces the production if its version is still `expected` (the new one gets expected + 1)
   * and publishes it; null when someone changed it meanwhile (read again and retry).
   */
  setProduction(expected: number, next: Omit<Production, 'version'>): Promise<Production | null>;

  // ---- announcements ------------------------------------------------------------------------------
  /** Keeps an announcement (the last NOTICES_KEPT) for participants who join later. */
  addNotice(notice: Notice): Promise<void>;
  /** Announcements made at or after `since`, oldest first. */
  notices(since: number): Promise<Notice[]>;

  /** Forgets the meeting entirely (its last participant left long ago). */
  destroy(): Promise<void>;
  /** Stops this node's subscription. */
  close(): void;
}

export interface MeetingStore {
  /** 'memory' or 'redis'. */
  readonly kind: string;
  /** This signaling node's id (unique per process). */
  readonly nodeId: string;
  meeting(meetingId: string): MeetingState;
  /** Whether the store is reachable now (readiness). */
  healthy(): Promise<boolean>;
  /** Signaling nodes alive (heartbeats); the memory store knows only itself. */
  aliveNodes(): Promise<string[]>;
  close(): Promise<void>;
}
