/**
 * The meeting protocol, in one file, shared by the server (signaling/) and the web client (web/).
 * Client → server events carry a payload validated by `schemas.ts` and an ack callback last; the
 * ack always receives an `Ack<T>`. Server → client events are plain notifications.
 */
import type { ClientPayload, MediaSource } from './schemas';
import type { WireError } from './errors';
import type { CrewRole, Production, StageLayout, StageView } from './production';
import type { ClipEntry, PlayingClip } from './clips';
import type { Poll, PollHostSummary, PollResults, QaHostSummary, QaPublic, QaQuestion, ReactionStrip } from './qa';
import type { CaptionCue } from './captions';

// Structural copies of the mediasoup parameter types (kept here so web/ does not depend on the
// server package). They are what mediasoup and mediasoup-client exchange as JSON.
export type RtpCapabilities = { codecs?: unknown[]; headerExtensions?: unknown[] };
export type RtpParameters = { codecs: unknown[]; encodings?: unknown[]; [key: string]: unknown };
export type DtlsParameters = { role?: 'auto' | 'client' | 'server'; fingerprints: { algorithm: string; value: string }[] };
export type IceParameters = { usernameFragment: string; password: string; iceLite?: boolean };
export type IceCandidate = {
  foundation: string;
  priority: number;
  ip: string;
  protocol: 'udp' | 'tcp';
  port: number;
  type: 'host';
  tcpType?: 'passive';
};

export type { CrewRole, Production, StageLayout, StageView };

export type Ack<T> = { ok: true; data: T } | { ok: false; error: WireError };

export type Role = 'host' | 'province_host' | 'teacher';

export interface SelfInfo {
  userId: string;
  name: string;
  role: Role;
  province: string | null;
  school: string | null;
  /** Whether this participant may create a send transport now. */
  canSend: boolean;
}

export interface JoinResult {
  meetingId: string;
  self: SelfInfo;
  session: SessionInfo;
  breakouts: BreakoutsState;
  routerRtpCapabilities: RtpCapabilities;
  /**
   * Present it as `resumeTicket` when joining again (after `rejoin`, or a reconnect to any node):
   * the join then goes in the rejoin lane, ahead of new joins. Signed, bound to this user and
   * meeting, valid for a limited time; a fresh one comes with every join.
   */
  resumeTicket: string;
}

/** One ICE server entry as RTCPeerConnection takes it (a TURN relay and its credentials). */
export interface IceServerInfo {
  urls: string[];
  username: string;
  credential: string;
}

export interface TransportInfo {
  id: string;
  iceParameters: IceParameters;
  iceCandidates: IceCandidate[];
  dtlsParameters: DtlsParameters;
  /**
   * TURN relays for this transport, with credentials of its own that expire (HOINGHI_TURN_*):
   * what a network that lets only TCP 443 out reaches the SFU through. Absent without TURN.
   */
  iceServers?: IceServerInfo[];
}

export interface ConsumerInfo {
  id: string;
  producerId: string;
  kind: 'audio' | 'video';
  rtpParameters: RtpParameters;
  source: MediaSource;
  /** The publishing participant. */
  peerId: string;
  peerName: string;
  /** The session it belongs to ('main' or a province code). */
  sessionKey: string;
  /** A source of the produced broadcast: a presenter's, or the sign-language interpreter's picture (absent: an invited speaker, a breakout's host). */
  stage?: 'presenter' | 'interpreter';
}

export interface MeetingStats {
  /** Participants currently joined, by role. */
  viewers: number;
  hosts: number;
  /** Participants present by province code (provinces with nobody present are left out). */
  byProvince: Record<string, number>;
  /**
   * The meeting is at or above HOINGHI_MASS_AUDIENCE_VIEWERS: viewers get the mass-audience
   * profile, and a host's microphone starts with Opus 60 ms frames + DTX (at its next start).
   */
  massAudience: boolean;
}

export interface HandEntry {
  userId: string;
  name: string;
  province: string | null;
  school: string | null;
  /** Server time (ms since epoch) of the raise. */
  raisedAt: number;
  /** Change sequence number at the raise. */
  seq: number;
}

/** What hosts see of the hand queue: throttled, and only when something changed. */
export interface HandQueueSummary {
  /** Sequence number of the last change included. */
  seq: number;
  total: number;
  /** Province code ('--' for none) → raised hands. */
  byProvince: Record<string, number>;
  /** The first entries, in raise order. */
  head: HandEntry[];
  /** Server time of this summary, to show waiting times without trusting the client clock. */
  serverNow: number;
}

/** One row of the hosts' participant list. */
export interface ParticipantEntry {
  userId: string;
  name: string;
  role: Role;
  province: string | null;
  school: string | null;
  /** The session they are in: 'main' or a province code. */
  sessionKey: string;
}

/** Why the server is about to end this connection (sent just before it does). */
export type DisconnectReason =
  /** The same account joined from another tab or device; the newest connection wins. */
  | 'signed_in_elsewhere'
  /** This connection kept sending after being refused. */
  | 'flooding'
  /** The token expired without a refresh. */
  | 'session_expired'
  /** The meeting ended (`meetingEnded` says more): there is nothing to reconnect to. */
  | 'meeting_ended';

/** How a meeting ended for those in it: its hosts ended it, or deleted (cancelled) it. */
export type MeetingEndReason = 'ended' | 'deleted';

/** The meeting is over (sent to everyone in it, just before the server ends their connection). */
export interface MeetingEndedInfo {
  meetingId: string;
  reason: MeetingEndReason;
  /** Recordings of it can be replayed (listed on the meeting's page once they have finished). */
  replay: boolean;
}

export interface SpeakerInfo {
  userId: string;
  name: string;
  province: string | null;
  school: string | null;
  allowVideo: boolean;
  muted: boolean;
  /** 'invited' until the participant accepts. */
  state: 'invited' | 'speaking';
}

export interface SpeakState {
  /** The participant's own hand. */
  handRaised: boolean;
  /** An open invitation to speak, if any. */
  invitation: { allowVideo: boolean } | null;
  /** The current grant, if speaking. */
  grant: { allowVideo: boolean; muted: boolean } | null;
}

export interface BreakoutsState {
  active: boolean;
  /** Server time (ms since epoch) when they end by themselves, or null. */
  endsAt: number | null;
  nationalOverlay: boolean;
  /** The national host is heard in every breakout. */
  speakToAll: boolean;
  /** The provinces in breakouts (the others stay in the main session), or null: every province. */
  provinces: string[] | null;
  serverNow: number;
}

export interface SessionInfo {
  /** 'main' or a province code. */
  key: string;
  province: string | null;
  /** Whether this participant may send media in this session now. */
  canSend: boolean;
  /** Whether this participant hosts this session (runs its hand queue and speakers). */
  isSessionHost: boolean;
  /** Their role in this meeting's crew (meeting/production.ts), if any. */
  crewRole: CrewRole | null;
  /** In the backstage: sees and hears every presenter, on air or not. */
  backstage: boolean;
}

/** The backstage: the whole production (crew, stage, live state), with the server's clock. */
export type ProductionView = Production & { serverNow: number };

export interface BreakoutStatus {
  province: string;
  hostPresent: boolean;
  teachers: number;
  hands: number;
}

export interface Notice {
  kind: 'text' | 'hands_cleared';
  text: string;
  from: string;
  at: number;
}

/** Why the server asks a client to reconnect elsewhere. */
export type MoveReason = 'draining';
/** A recording being made now: the live HLS of its session, and the "recording" indicator. */
export interface LiveRecording {
  id: string;
  /** 'main' or a province code. */
  sessionKey: string;
  startedAt: number;
}

/**
 * Why a recording (or a live stream) stopped: the host stopped it, the disk ran low, the meeting
 * ended, the node shut down; `idle` and `lease_lost` are live streams' own.
 */
export type RecordingStopReason = 'host' | 'disk_full' | 'meeting_ended' | 'shutdown' | 'idle' | 'lease_lost';

/** A recording of a meeting, live or ended (GET /api/meetings/:id/recordings). */
export interface RecordingSummary extends LiveRecording {
  endedAt: number | null;
  /** Why it stopped (null while it runs, or when its node died under it). */
  stopReason: RecordingStopReason | null;
  durationS: number;
  /** Interruptions (ffmpeg restarts), ms since epoch. */
  gaps: { from: number; to: number }[];
}

export type RejoinReason = 'media_server_restarted' | 'transport_lost';

type Handler<E extends keyof ClientPayloadMap, R> = (payload: ClientPayloadMap[E], ack: (res: Ack<R>) => void) => void;

type ClientPayloadMap = { [E in keyof ClientResultMap]: ClientPayload<E> };

/** What each client → server event answers with. */
export interface ClientResultMap {
  join: JoinResult;
  leave: Record<string, never>;
  createTransport: TransportInfo;
  connectTransport: Record<string, never>;
  /**
   * `massAudience`: this receive transport has the mass-audience profile (middle layer by default).
   * `adaptsLayer`: the SFU estimates no bandwidth for it (HOINGHI_MASS_AUDIENCE_BWE=none), so the
   * page watches its own loss and freezes and lowers its layers itself (`setLayerCeiling`).
   */
  startConsuming: { consumers: ConsumerInfo[]; massAudience: boolean; adaptsLayer: boolean };
  produce: { producerId: string };
  closeProducer: Record<string, never>;
  pauseProducer: Record<string, never>;
  resumeProducer: Record<string, never>;
  resumeConsumer: Record<string, never>;
  setConsumerLayers: Record<string, never>;
  setAudioOnly: { audioOnly: boolean };
  setDataSaver: { dataSaver: boolean };
  setLayerCeiling: { spatialLayer: number | null };
  raiseHand: { handRaised: boolean; seq: number };
  lowerHand: { handRaised: boolean };
  lowerHands: { lowered: number };
  handQueuePage: { entries: HandEntry[]; total: number };
  participantsPage: { entries: ParticipantEntry[]; total: number };
  inviteSpeaker: Record<string, never>;
  respondInvitation: { grant: SpeakState['grant'] };
  muteSpeaker: Record<string, never>;
  revokeSpeaker: Record<string, never>;
  stopSpeaking: Record<string, never>;
  startBreakouts: BreakoutsState;
  updateStage: ProductionView;
  setCrew: ProductionView;
  setInterpreterView: { interpreterView: boolean };
  listClips: { clips: ClipEntry[]; playing: PlayingClip | null };
  /** The clip playing now: its `key` is its stage key. */
  playClip: PlayingClip;
  stopClip: { stopped: boolean };
  extendBreakouts: BreakoutsState;
  endBreakouts: BreakoutsState;
  speakToAll: BreakoutsState;
  sendNotice: Record<string, never>;
  refreshToken: { expiresAt: number };
  // Questions, polls and reactions (qa.ts).
  qaAsk: { question: QaQuestion };
  /** `seq`: the Q&A change number of a counted vote (a host summary with this seq or later includes it); 0 otherwise. */
  qaVote: { votes: number; changed: boolean; seq: number };
  qaModerate: { question: QaQuestion };
  qaPin: { pinned: QaQuestion | null };
  qaWatch: QaHostSummary;
  qaList: { total: number; rows: QaQuestion[]; voted: string[] };
  qaMine: { rows: QaQuestion[] };
  pollCreate: { poll: Poll };
  pollLaunch: { poll: Poll };
  pollClose: { poll: Poll };
  pollShow: { poll: Poll };
  pollVote: { changed: boolean; choices: number[] };
  pollCurrent: { poll: Poll | null; results: PollResults | null; myChoices: number[] | null };
  react: Record<string, never>;
  // Live captions (captions.ts).
  captionInterim: Record<string, never>;
  /** The line as delivered (a correction: with its revision bumped). */
  captionFinal: { cue: CaptionCue };
  /** The last few final lines, oldest first. */
  captionsRecent: { lines: CaptionCue[] };
  startRecording: LiveRecording;
  stopRecording: { id: string; durationS: number };
  /** The delayed stream: the session streamed (own, or main when the own has nothing on air) and its playlist's path. */
  watchLive: { sessionKey: string; path: string; ready: boolean };
}

/** A client → server event name (each answers with an ack). */
export type ClientEvent = keyof ClientResultMap;
/** What the ack of a client → server event carries when it succeeds. */
export type AckOf<E extends ClientEvent> = ClientResultMap[E];
/** What a client sends with a client → server event (the schema's input; see schemas.ts). */
export type { ClientRequest } from './schemas';

export type ClientToServerEvents = { [E in keyof ClientResultMap]: Handler<E, ClientResultMap[E]> };

export interface ServerToClientEvents {
  /** A new producer to consume; created paused, resume with `resumeConsumer` once ready. */
  newConsumer: (consumer: ConsumerInfo) => void;
  /** The consumer was closed on the server (its producer or transport went away). */
  consumerClosed: (info: { consumerId: string; producerId: string }) => void;
  /** Host-only: throttled attendance numbers. */
  meetingStats: (stats: MeetingStats) => void;
  /** Province hosts only: teachers of their province present in the meeting (sent when it changes). */
  provinceStats: (stats: { province: string; viewers: number }) => void;
  /** The media side of this participant was lost; run the join flow again (no reload). */
  rejoin: (info: { reason: RejoinReason }) => void;
  /** Hosts only: the hand queue summary (throttled). */
  handQueue: (summary: HandQueueSummary) => void;
  /** Hosts only: invited and current speakers. */
  speakersChanged: (speakers: SpeakerInfo[]) => void;
  /** To one participant: their own hand, invitation and grant. */
  speakState: (state: SpeakState) => void;
  /** Meeting-level: who is speaking now (for a speaking indicator). */
  activeSpeakers: (speakers: { userId: string; name: string }[]) => void;
  /** Meeting-wide: breakouts started, extended, ended, or speak-to-all changed. */
  breakouts: (state: BreakoutsState) => void;
  /** To one participant: the session they are now in (after a move, or at join). */
  sessionChanged: (session: SessionInfo) => void;
  /** Everyone in the meeting: the stage (backstage on, live or the "starting soon" slate, what is on it, the layout). */
  stage: (stage: StageView) => void;
  /** The backstage: the crew and the stage, after every change. */
  production: (production: ProductionView) => void;
  /** National hosts: each breakout's host presence, teachers and hands (throttled). */
  breakoutStatus: (status: BreakoutStatus[]) => void;
  /** A notice from the national host, or hands cleared at the end of breakouts. */
  notice: (notice: Notice) => void;
  /** Meeting-wide: the recordings being made now (at join, and whenever one starts or stops). */
  recordings: (live: LiveRecording[]) => void;
  /** The token expired without a refresh: the server ends this connection now. */
  sessionExpired: () => void;
  /**
   * This signaling node is going away: after `afterMs`, disconnect and connect again (through the
   * load balancer, which sends the connection to another node), then run the join flow. Clients
   * are given different delays, so they do not all move at once.
   */
  moveNode: (info: { reason: MoveReason; afterMs: number }) => void;
  /** Hosts of the inviting session: an invited participant declined. */
  inviteDeclined: (info: { userId: string; name: string }) => void;
  /** The server ends this connection right after this, for this reason (the client explains it and does not retry blindly). */
  disconnectReason: (info: { reason: DisconnectReason }) => void;
  /** The meeting ended (or was deleted): the participant is out of it; `disconnectReason` and the disconnect follow. */
  meetingEnded: (info: MeetingEndedInfo) => void;
  /** A protocol error not tied to an ack (e.g. an event without ack callback was refused). */
  protocolError: (error: WireError & { event: string }) => void;
  /** Hosts: the questions in their order and filter (throttled, after a change). */
  qaHost: (summary: QaHostSummary) => void;
  /** Everyone: pinned question, top of the list, current poll (throttled, after a change). */
  qaPublic: (state: QaPublic) => void;
  /** To the author: one of their questions was answered, hidden or shown again. */
  qaOwn: (question: QaQuestion) => void;
  /** Hosts: polls and their results, by province (throttled, after a change). */
  pollHost: (summary: PollHostSummary) => void;
  /** Hosts: the reaction strip (throttled, after a change). */
  reactions: (strip: ReactionStrip) => void;
  /**
   * Everyone in the main session: caption cues, in order (interim ones at most ~4 times a second
   * per meeting, a batch of the lines being typed; finals and corrections at once).
   */
  captions: (cues: CaptionCue[]) => void;
}

/** What one signaling node did to end a meeting for its own participants, recordings and streams. */
export interface MeetingEndReport {
  node: string;
  participants: number;
  recordings: number;
  liveStreams: number;
  /** False when the answer was sent before the node had finished (it goes on ending it). */
  finished: boolean;
}

/** Between signaling nodes (the Redis adapter's server-side emits, acknowledged by every other node). */
export interface InterServerEvents {
  /** A meeting ended: every node ends it for what it holds of it (signaling/meetingEnder.ts). */
  meetingEnded: (end: { meetingId: string; reason: MeetingEndReason }, done: (report: MeetingEndReport) => void) => void;
  /**
   * A session host asked another node to stop their session's recording: the node that records
   * it stops it and answers with it; every other node answers null (recording/recordingRelay.ts).
   */
  stopRecording: (req: { meetingId: string; sessionKey: string }, done: (stopped: { id: string; durationS: number } | null) => void) => void;
  /** A person's sign-in ended (sign-out, an operator's revoke): every node refuses their older tokens and ends their sockets (signInEnds.ts). */
  userRevoked: (r: { userId: string; beforeMs: number }) => void;
}
