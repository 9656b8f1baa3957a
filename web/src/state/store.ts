/**
 * The web client's state: zustand slices composed into one store. Only plain, serialisable
 * state lives here; MediaStreamTracks and mediasoup-client objects stay in MeetingClient.
 */
import { create, type StateCreator } from 'zustand';
import type {
  BreakoutStatus,
  BreakoutsState,
  HandQueueSummary,
  LiveRecording,
  MeetingEndedInfo,
  MeetingStats,
  Notice,
  SelfInfo,
  SessionInfo,
  SpeakerInfo,
  SpeakState,
  ConsumerInfo,
  Role,
} from '../../../signaling/protocol/events';
import { NO_PROVINCES, type Provinces } from './provinceOrder';
import type { QueueInfo } from '../../../signaling/protocol/errors';
import type { MediaSource } from '../../../signaling/protocol/schemas';
import { createViewSlice, type ViewSlice } from './viewSlice';
import { createStageSlice, type StageSlice } from './stageSlice';
import { endOidcSession } from '../auth/oidcSession';

export interface Account {
  id: string;
  name: string;
  role: Role;
  province: string | null;
  school: string | null;
}

/** The page's language: Vietnamese first (web/src/i18n has the strings of each). */
export type Lang = 'vi' | 'en';

export interface SessionSlice {
  lang: Lang;
  /** Receive audio only (saves data on weak connections); kept across visits. */
  audioOnly: boolean;
  setAudioOnly: (on: boolean) => void;
  /** Data saver (metered connections): video on the lowest layer only; kept across visits. */
  dataSaver: boolean;
  setDataSaver: (on: boolean) => void;
  token: string | null;
  meetingId: string | null;
  account: Account | null;
  /** How this tab signed in: the ministry's account (a session on the server) or a demo account. */
  signedInWith: 'oidc' | 'demo' | null;
  setLang: (lang: Lang) => void;
  signIn: (token: string, meetingId: string | null, account: Account, via?: 'oidc' | 'demo') => void;
  /** Signs out (with the ministry's account: the server's session ends too). */
  signOut: () => void;
  /**
   * The server refused this sign-in (expired, revoked or not valid): every page then asks to sign
   * in again (one button, back to the same page) instead of retrying against a 401.
   */
  signInExpired: boolean;
  setSignInExpired: () => void;
  /** Signs out, and comes back to this page once signed in again. */
  signInAgain: () => void;
}

/**
 * Where the connection stands, each with its reason: `replaced` (the same account signed in on
 * another device or tab; no automatic retry, or the two would take turns), `flooded` (the server
 * cut this tab off for sending too much), `full` (the meeting has no room now; retrying),
 * `queued` (waiting its turn in the cluster's join queue), `moving` (the server is shutting down and
 * this client is moving to another one, no reload), `ended` (the meeting is over: nothing to
 * reconnect to; `meetingEnded` says how).
 */
export type ConnectionStatus =
  | 'idle'
  | 'connecting'
  | 'queued'
  | 'connected'
  | 'reconnecting'
  | 'moving'
  | 'full'
  | 'replaced'
  | 'flooded'
  | 'failed'
  | 'unauthorized'
  | 'forbidden'
  | 'ended';

/** A join waiting its turn in the cluster's queue (the `queued` answer to `join`). */
export interface JoinQueueState extends QueueInfo {
  /** The first position this wait started at (for the progress bar). */
  startPosition: number;
  /** Client time of the last update: the wait counts down from it. */
  updatedAt: number;
}

/** A consumer's media on this page: what the server said of it (`ConsumerInfo`), by consumer id. */
export type RemoteMedia = { consumerId: string } & Pick<ConsumerInfo, 'producerId' | 'kind' | 'source' | 'peerId' | 'peerName' | 'sessionKey' | 'stage'>;

export interface ConnectionSlice {
  status: ConnectionStatus;
  /** Client time (ms) of the next automatic attempt, when one is scheduled. */
  retryAt: number | null;
  /** ICE/DTLS state of the receive transport. */
  mediaState: string;
  self: SelfInfo | null;
  /** Set while the join waits in the queue; null once admitted. */
  joinQueue: JoinQueueState | null;
  setStatus: (status: ConnectionStatus, retryAt?: number | null) => void;
  /** How the meeting ended, as the server said (null while it goes on). */
  meetingEnded: MeetingEndedInfo | null;
  setMeetingEnded: (info: MeetingEndedInfo | null) => void;
  /** A new place in the queue (null: no longer waiting). */
  setJoinQueue: (queue: QueueInfo | null) => void;
  setMediaState: (state: string) => void;
  setSelf: (self: SelfInfo | null) => void;
}

export interface MediaSlice {
  remote: RemoteMedia[];
  /** A recording plays in the page: the live sound is muted meanwhile (restored after). */
  replaying: boolean;
  setReplaying: (on: boolean) => void;
  addRemote: (m: RemoteMedia) => void;
  removeRemote: (consumerId: string) => void;
  clearRemote: () => void;
}

/** A local media source (camera, microphone, screen): the protocol's. */
export type Source = MediaSource;

export interface HostSlice {
  publishing: Record<Source, boolean>;
  /** Client time since which this participant's media has been flowing out (bytes rising), or null. */
  onAirSince: number | null;
  setOnAir: (on: boolean) => void;
  /** Hosts: the last invited participant who declined (for a notice). */
  declined: { userId: string; name: string; at: number } | null;
  setDeclined: (d: { userId: string; name: string } | null) => void;
  stats: MeetingStats | null;
  /** Province hosts: teachers of their province present in the meeting (null: not told yet). */
  provinceViewers: number | null;
  setProvinceViewers: (n: number) => void;
  /** ICE/DTLS state of the send transport ('new' before one exists). */
  sendState: string;
  setSendState: (state: string) => void;
  deviceError: string | null;
  setPublishing: (source: Source, on: boolean) => void;
  setStats: (stats: MeetingStats) => void;
  setDeviceError: (error: string | null) => void;
}

export interface HandSlice {
  /** Own hand, invitation and grant. */
  speakState: SpeakState;
  /** A hand change asked for while disconnected, sent after the rejoin (null: none pending). */
  pendingHand: boolean | null;
  setPendingHand: (want: boolean | null) => void;
  /** Hosts: the latest queue summary, and the client time it arrived (for waiting times). */
  handSummary: (HandQueueSummary & { receivedAt: number }) | null;
  speakers: SpeakerInfo[];
  activeSpeakers: { userId: string; name: string }[];
  /** The provinces in the API's order, with a name lookup (see provinceOrder.ts). */
  provinces: Provinces;
  setSpeakState: (state: SpeakState) => void;
  setHandSummary: (summary: HandQueueSummary) => void;
  setSpeakers: (speakers: SpeakerInfo[]) => void;
  setActiveSpeakers: (speakers: { userId: string; name: string }[]) => void;
  setProvinces: (provinces: Provinces) => void;
}

export interface BreakoutSlice {
  session: SessionInfo | null;
  breakouts: (BreakoutsState & { receivedAt: number }) | null;
  breakoutStatus: BreakoutStatus[];
  notices: Notice[];
  setSession: (session: SessionInfo | null) => void;
  setBreakouts: (state: BreakoutsState) => void;
  setBreakoutStatus: (status: BreakoutStatus[]) => void;
  addNotice: (notice: Notice) => void;
  /** Notices the participant closed, by `noticeKey`. */
  dismissed: string[];
  dismissNotice: (key: string) => void;
}

/** A notice's identity on screen (the warning before breakouts end is 'ending:<endsAt>'). */
export const noticeKey = (n: Pick<Notice, 'at' | 'kind'>): string => `${n.kind}:${n.at}`;
/** Why a teacher watches the delayed HLS stream instead of real time. */
export type HlsReason = 'blocked' | 'capacity' | 'chosen';

export interface RecordingSlice {
  /** Sessions being recorded now (the indicator, and the live HLS to fall back to). */
  liveRecordings: LiveRecording[];
  /** 'hls' while WebRTC cannot reach this teacher (or they chose the delayed stream). */
  mediaPath: 'webrtc' | 'hls';
  hlsReason: HlsReason | null;
  /** The teacher chose the delayed stream (data saver); kept across visits. */
  hlsChosen: boolean;
  setLiveRecordings: (live: LiveRecording[]) => void;
  setMediaPath: (path: 'webrtc' | 'hls', reason: HlsReason | null) => void;
  setHlsChosen: (on: boolean) => void;
}

export const NO_SPEAK_STATE: SpeakState = { handRaised: false, invitation: null, grant: null };

export type Store = SessionSlice & ConnectionSlice & MediaSlice & HostSlice & HandSlice & BreakoutSlice & RecordingSlice & ViewSlice & StageSlice;

const SESSION_KEY = 'hoinghi.session';
const LANG_KEY = 'hoinghi.lang';
const AUDIO_ONLY_KEY = 'hoinghi.audioOnly';
const DATA_SAVER_KEY = 'hoinghi.dataSaver';
const HLS_CHOSEN_KEY = 'hoinghi.hlsChosen';

type StoredSession = Pick<SessionSlice, 'token' | 'meetingId' | 'account' | 'signedInWith'>;
const NO_SESSION: StoredSession = { token: null, meetingId: null, account: null, signedInWith: null };

function loadSession(): StoredSession {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    if (raw) {
      const stored = JSON.parse(raw) as Partial<StoredSession>;
      return { ...NO_SESSION, ...stored, signedInWith: stored.signedInWith ?? (stored.token ? 'demo' : null) };
    }
  } catch {
    /* no stored session */
  }
  return NO_SESSION;
}

/** Keeps the stored session's token in step after a refresh (the client is not re-created). */
export function storeRefreshedToken(token: string): void {
  const stored = loadSession();
  if (stored.token) sessionStorage.setItem(SESSION_KEY, JSON.stringify({ ...stored, token }));
}

const createSessionSlice: StateCreator<Store, [], [], SessionSlice> = (set, get) => ({
  lang: (typeof localStorage !== 'undefined' && localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'vi') as Lang,
  audioOnly: typeof localStorage !== 'undefined' && localStorage.getItem(AUDIO_ONLY_KEY) === '1',
  dataSaver: typeof localStorage !== 'undefined' && localStorage.getItem(DATA_SAVER_KEY) === '1',
  setDataSaver: (dataSaver) => {
    localStorage.setItem(DATA_SAVER_KEY, dataSaver ? '1' : '0');
    set({ dataSaver });
  },
  setAudioOnly: (audioOnly) => {
    localStorage.setItem(AUDIO_ONLY_KEY, audioOnly ? '1' : '0');
    set({ audioOnly });
  },
  ...(typeof sessionStorage !== 'undefined' ? loadSession() : NO_SESSION),
  setLang: (lang) => {
    localStorage.setItem(LANG_KEY, lang);
    set({ lang });
  },
  signIn: (token, meetingId, account, via = 'demo') => {
    // Per tab: a token never goes in a URL, and other tabs may sign in as someone else.
    sessionStorage.setItem(SESSION_KEY, JSON.stringify({ token, meetingId, account, signedInWith: via }));
    set({ token, meetingId, account, signedInWith: via });
  },
  signOut: () => {
    // The sign-in ends on the server too: every node refuses this token and closes its sockets,
    // and a session of the ministry's sign-in ends with its refresh tokens.
    const token = get().token;
    if (token) void fetch('/api/signout', { method: 'POST', headers: { authorization: `Bearer ${token}` }, keepalive: true }).catch(() => undefined);
    if (get().signedInWith === 'oidc') endOidcSession();
    sessionStorage.removeItem(SESSION_KEY);
    set({ ...NO_SESSION, signInExpired: false });
  },
  signInExpired: false,
  setSignInExpired: () => set((s) => (s.token && !s.signInExpired ? { signInExpired: true } : {})),
  signInAgain: () => {
    sessionStorage.setItem(RETURN_KEY, window.location.pathname + window.location.search);
    sessionStorage.removeItem(SESSION_KEY);
    // The server's session (if any) is kept: the sign-in page renews from it when it still can.
    set({ ...NO_SESSION, signInExpired: false });
  },
});

const RETURN_KEY = 'hoinghi.returnTo';

/**
 * The page to go back to after signing in again (then forgotten): only a path of this site,
 * never another address.
 */
export function hasReturnPath(): boolean {
  return sessionStorage.getItem(RETURN_KEY) !== null;
}

export function takeReturnPath(): string | null {
  const path = sessionStorage.getItem(RETURN_KEY);
  sessionStorage.removeItem(RETURN_KEY);
  return path && /^\/(?![\/\\])/.test(path) ? path : null;
}

const createConnectionSlice: StateCreator<Store, [], [], ConnectionSlice> = (set) => ({
  status: 'idle',
  retryAt: null,
  mediaState: 'new',
  self: null,
  joinQueue: null,
  meetingEnded: null,
  setStatus: (status, retryAt = null) => set({ status, retryAt }),
  setMeetingEnded: (meetingEnded) => set({ meetingEnded }),
  setJoinQueue: (queue) =>
    set((s) => ({
      joinQueue: queue
        ? {
            ...queue,
            startPosition: Math.max(queue.position, s.joinQueue?.startPosition ?? queue.position),
            updatedAt: Date.now(),
          }
        : null,
    })),
  setMediaState: (mediaState) => set({ mediaState }),
  setSelf: (self) => set({ self }),
});

const createMediaSlice: StateCreator<Store, [], [], MediaSlice> = (set) => ({
  remote: [],
  replaying: false,
  setReplaying: (replaying) => set({ replaying }),
  addRemote: (m) => set((s) => ({ remote: [...s.remote.filter((r) => r.consumerId !== m.consumerId), m] })),
  removeRemote: (consumerId) => set((s) => ({ remote: s.remote.filter((r) => r.consumerId !== consumerId) })),
  clearRemote: () => set({ remote: [] }),
});

const createHostSlice: StateCreator<Store, [], [], HostSlice> = (set) => ({
  publishing: { camera: false, mic: false, screen: false },
  onAirSince: null,
  setOnAir: (on) => set((s) => ({ onAirSince: on ? (s.onAirSince ?? Date.now()) : null })),
  declined: null,
  setDeclined: (d) => set({ declined: d ? { ...d, at: Date.now() } : null }),
  stats: null,
  provinceViewers: null,
  setProvinceViewers: (provinceViewers) => set({ provinceViewers }),
  sendState: 'new',
  setSendState: (sendState) => set({ sendState }),
  deviceError: null,
  setPublishing: (source, on) => set((s) => ({ publishing: { ...s.publishing, [source]: on } })),
  setStats: (stats) => set({ stats }),
  setDeviceError: (deviceError) => set({ deviceError }),
});

const createHandSlice: StateCreator<Store, [], [], HandSlice> = (set) => ({
  speakState: NO_SPEAK_STATE,
  pendingHand: null,
  setPendingHand: (pendingHand) => set({ pendingHand }),
  handSummary: null,
  speakers: [],
  activeSpeakers: [],
  provinces: NO_PROVINCES,
  setSpeakState: (speakState) => set({ speakState }),
  setHandSummary: (summary) => set({ handSummary: { ...summary, receivedAt: Date.now() } }),
  setSpeakers: (speakers) => set({ speakers }),
  setActiveSpeakers: (activeSpeakers) => set({ activeSpeakers }),
  setProvinces: (provinces) => set({ provinces }),
});

const createBreakoutSlice: StateCreator<Store, [], [], BreakoutSlice> = (set) => ({
  session: null,
  breakouts: null,
  breakoutStatus: [],
  notices: [],
  setSession: (session) => set({ session }),
  // A new round of breakouts starts clean: "hands lowered" was about the round before it.
  setBreakouts: (state) =>
    set((s) => ({
      breakouts: { ...state, receivedAt: Date.now() },
      ...(state.active && !s.breakouts?.active ? { notices: s.notices.filter((n) => n.kind !== 'hands_cleared') } : {}),
    })),
  setBreakoutStatus: (breakoutStatus) => set({ breakoutStatus }),
  // The last 20 notices are enough on screen.
  addNotice: (notice) => set((s) => ({ notices: [...s.notices.slice(-19), notice] })),
  dismissed: [],
  dismissNotice: (key) => set((s) => ({ dismissed: [...s.dismissed.slice(-49), key] })),
});

const createRecordingSlice: StateCreator<Store, [], [], RecordingSlice> = (set) => ({
  liveRecordings: [],
  mediaPath: 'webrtc',
  hlsReason: null,
  hlsChosen: typeof localStorage !== 'undefined' && localStorage.getItem(HLS_CHOSEN_KEY) === '1',
  setLiveRecordings: (liveRecordings) => set({ liveRecordings }),
  setMediaPath: (mediaPath, hlsReason) => set({ mediaPath, hlsReason: mediaPath === 'hls' ? hlsReason : null }),
  setHlsChosen: (hlsChosen) => {
    localStorage.setItem(HLS_CHOSEN_KEY, hlsChosen ? '1' : '0');
    set({ hlsChosen });
  },
});

export const useStore = create<Store>()((...a) => ({
  ...createSessionSlice(...a),
  ...createConnectionSlice(...a),
  ...createMediaSlice(...a),
  ...createHostSlice(...a),
  ...createHandSlice(...a),
  ...createBreakoutSlice(...a),
  ...createRecordingSlice(...a),
  ...createViewSlice(...a),
  ...createStageSlice(...a),
}));
