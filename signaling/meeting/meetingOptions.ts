/**
 * What a meeting is opened with on one signaling node: its settings (parsed once from the
 * environment by signaling/config.ts) and its dependencies. In a file of its own so that the
 * meeting's parts can name the settings they read without importing the Meeting class.
 */
import type { QueueWatch } from '../../common/SerialQueue';
import type { SfuControl } from '../../sfu/types';
import type { AttendanceRecorder } from '../attendance/AttendanceRecorder';
import type { MeetingState } from '../store/types';
import type { BreakoutPlans } from './BreakoutPlans';
import type { MeetingNotifier } from './Notifier';

export interface MeetingOptions {
  statsIntervalMs: number;
  /** Hosts get hand-queue summaries at most this often. Default 500 ms. */
  handSummaryIntervalMs: number;
  /** Entries in the head of each summary. Default 50. */
  handSummaryHead: number;
  /** Concurrent teacher speakers per session (invited or speaking). Default 2. */
  maxSpeakers: number;
  /** A departed participant's hand and grant survive this long (a reconnect). Default 60 s. */
  departureGraceMs: number;
  /** Hand toggles per user: sustained per second, and burst. */
  handTogglesPerSecond: number;
  handToggleBurst: number;
  /** Consumers per participant. Default 24. */
  maxConsumersPerPeer: number;
  /** `rejoin` notices per second after a media loss (the join rate). */
  rejoinsPerSecond: number;
  /** Viewers (cluster-wide) from which the mass-audience profile applies; 0 = never (massAudience.ts). */
  massAudienceViewers: number;
  /** Mass-audience viewers' bandwidth estimation: none (default: the page adapts) or REMB (massAudience.ts). */
  massAudienceBwe?: 'remb' | 'none';
}

export interface MeetingDeps {
  sfu: SfuControl;
  notify: MeetingNotifier;
  state: MeetingState;
  /** This signaling node's id, and the ids of the nodes alive (for sweeping dead nodes' participants). */
  nodeId: string;
  aliveNodes: () => Promise<string[]>;
  options: MeetingOptions;
  /** Where attendance intervals go (default: nowhere). */
  attendance?: AttendanceRecorder;
  /** The scheduled meeting's breakout plan (default: none). */
  plans?: BreakoutPlans;
  /** Counts the event queue's stalls (metrics); its bound is the watchdog's. Default: a private one. */
  queues?: QueueWatch;
}
