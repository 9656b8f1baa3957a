/**
 * What a recording is, as the manager, the routes, the HLS index and the cluster's relay share:
 * its settings, its description (`recording.json`), its sources and which streams it takes.
 */
import type { MediaKind } from '../../sfu/types';
import type { RecordingStopReason } from '../protocol/events';
import type { StageLayout } from '../protocol/production';
import type { Gap, RecorderSettings } from './recorderSettings';

export interface RecordingSettings {
  /** Folder of all recordings. */
  dir: string;
  /** Address ffmpeg receives RTP on; the SFU (or, in a cluster, the SFU nodes) must reach it. */
  rtpIp: string;
  /** Refuse to start under this many free bytes; stop every recording under a quarter of it. */
  minFreeBytes: number;
  /** Delete recordings older than this many days (0: keep forever). */
  retentionDays: number;
  /** How often free space is checked while recording, ms. */
  diskCheckIntervalMs: number;
  recorder: RecorderSettings;
}

/** A stream a session host publishes (or a stage source on air), as the meeting knows it. */
export interface RecordableStream {
  producerId: string;
  kind: MediaKind;
  source: 'camera' | 'mic' | 'screen';
  /**
   * 'interpreter': the sign-language interpreter's picture, drawn as an inset over the rest;
   * 'stage' (the default): a presenter's or host's source, arranged by the layout.
   */
  role?: 'stage' | 'interpreter';
  /** Its place on a produced stage (0 first); absent when the session is not produced. */
  order?: number;
}

/** What the meetings on this node tell the manager (recordingPlan.ts makes a run's plan of it). */
export interface RecordingSources {
  /** The streams on air in the session, or null when the meeting (or session) no longer exists here. */
  streams(meetingId: string, sessionKey: string): RecordableStream[] | null;
  /** How the session's pictures are arranged (absent: 'single', one picture). */
  layout?(meetingId: string, sessionKey: string): StageLayout;
}

/** Why a recording (or live stream) stopped; `idle` and `lease_lost` are live streams' own. */
export type StopReason = RecordingStopReason;

export interface RecordingInfo {
  id: string;
  meetingId: string;
  sessionKey: string;
  startedBy: string;
  startedAt: number;
  endedAt: number | null;
  stopReason: StopReason | null;
  /** Seconds of media in the playlist. */
  durationS: number;
  gaps: Gap[];
  /**
   * What the SFU sent the recorder (counted from each tap when it closes): the media the
   * recording was given, to compare with what it kept (e.g. audio packets × the frame length).
   */
  sent: { audioPackets: number; videoPackets: number; bytes: number };
}

export interface RecordingStats {
  active: number;
  ffmpegRestarts: number;
  segmentsWritten: number;
  /** Seconds since the stalest active recording last added a segment (0 when none). */
  maxSegmentAgeS: number;
}

export type RecordingEvents = {
  /** A meeting's set of live recordings changed (started, stopped). */
  changed: [{ meetingId: string }];
  /** Retention deleted a recording. */
  deleted: [{ meetingId: string; id: string }];
};

export const MEETING_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const RECORDING_ID = /^[0-9]{8}T[0-9]{6}-[a-z0-9]{1,12}-[0-9a-f]{24}$/;
