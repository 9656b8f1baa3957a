/**
 * The recordings of this signaling node: at most one per meeting session (the main session or a
 * province breakout), each a Recorder (ffmpeg) fed through SFU recorder taps. Recordings live in
 * `<dir>/<meetingId>/<recordingId>/` with a `recording.json` (who, when, gaps) beside the HLS
 * playlist and segments.
 *
 * What is recorded: the session hosts' microphone and their screen share when on, else their
 * camera. Every second the manager compares that with what the current ffmpeg run reads and
 * starts a new run when it changed (a discontinuity in the playlist).
 *
 * Guards: a recording is refused when the folder's disk has less than `minFreeBytes` free, and
 * every recording is stopped cleanly (last segment, EXT-X-ENDLIST) when it falls under a quarter
 * of that. Recordings older than `retentionDays` are deleted (checked at start and hourly).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { TypedEmitter } from '../../common/TypedEmitter';
import { logger } from '../../common/log';
import type { MediaKind, RecorderTap, SfuControl } from '../../sfu/types';
import { AppError } from '../protocol/errors';
import type { RecordingStopReason } from '../protocol/events';
import { freePortPair } from './ports';
import { recordingSdp, type SdpStream } from './sdp';
import { PLAYLIST, Recorder, type Gap, type RecorderInput, type RecorderSettings } from './Recorder';

const log = logger('recording');

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

/** A stream a session host publishes, as the meeting knows it. */
export interface RecordableStream {
  producerId: string;
  kind: MediaKind;
  source: 'camera' | 'mic' | 'screen';
}

/** What the meetings on this node tell the manager. */
export interface RecordingSources {
  /** The session hosts' streams, or null when the meeting (or session) no longer exists here. */
  streams(meetingId: string, sessionKey: string): RecordableStream[] | null;
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

/** A run that writes no segment for this many segment lengths, plus the grace, is replaced. */
const STALL_SEGMENTS = 5;
const STALL_GRACE_MS = 10_000;
/** How long writing a recording's description may wait for the HLS index, ms. */
const INDEX_TIMEOUT_MS = 2_000;
/**
 * A live recording's description (its duration) is written again at most this often as segments
 * come: other nodes list it from the index, and a list that said 0 s for a whole meeting is wrong.
 */
const LIVE_INFO_EVERY_MS = 5_000;

export const MEETING_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const RECORDING_ID = /^[0-9]{8}T[0-9]{6}-[a-z0-9]{1,12}-[0-9a-f]{24}$/;

/** The streams to record: the host's microphone, and the screen share when on, else the camera. */
export function pickStreams(streams: RecordableStream[]): RecordableStream[] {
  const video = streams.find((s) => s.source === 'screen') ?? streams.find((s) => s.source === 'camera');
  const audio = streams.find((s) => s.source === 'mic');
  return [video, audio].filter((s): s is RecordableStream => s !== undefined);
}

const keyOf = (streams: RecordableStream[]): string => streams.map((s) => s.producerId).join(',');

class ActiveRecording {
  readonly info: RecordingInfo;
  readonly recorder: Recorder;
  /** Producer ids the current run reads. */
  runKey = '';
  lastSegmentAt: number;
  checkTimer: NodeJS.Timeout | null = null;
  /** A check is running (they do not overlap: a new run takes seconds). */
  checking = false;
  /** The description's writes, one after the other (the last one written is the newest state). */
  saving: Promise<void> = Promise.resolve();
  /** A write queued and not begun: a later request joins it. */
  saveQueued: Promise<void> | null = null;
  savedAt = 0;

  constructor(info: RecordingInfo, recorder: Recorder) {
    this.info = info;
    this.recorder = recorder;
    this.lastSegmentAt = Date.now();
  }
}

async function statFree(dir: string): Promise<number> {
  const s = await fs.statfs(dir);
  return s.bavail * s.bsize;
}

export class RecordingManager extends TypedEmitter<RecordingEvents> {
  readonly settings: RecordingSettings;
  readonly #sfu: SfuControl;
  readonly #sources: RecordingSources;
  readonly #freeBytes: (dir: string) => Promise<number>;
  /** `${meetingId}|${sessionKey}` → its live recording. */
  readonly #active = new Map<string, ActiveRecording>();
  readonly #starting = new Set<string>();
  #restarts = 0;
  #segments = 0;
  #indexer: ((info: RecordingInfo) => Promise<void>) | null = null;
  #diskTimer: NodeJS.Timeout | null = null;
  #retentionTimer: NodeJS.Timeout | null = null;

  constructor(settings: RecordingSettings, sfu: SfuControl, sources: RecordingSources, freeBytes = statFree) {
    super();
    this.settings = settings;
    this.#sfu = sfu;
    this.#sources = sources;
    this.#freeBytes = freeBytes;
    this.#retentionTimer = setInterval(() => void this.applyRetention(), 3_600_000);
    this.#retentionTimer.unref();
    void fs.mkdir(settings.dir, { recursive: true }).then(() => this.applyRetention()).catch(() => undefined);
  }

  /** Live recordings of a meeting. */
  active(meetingId: string): RecordingInfo[] {
    return [...this.#active.values()].filter((a) => a.info.meetingId === meetingId).map((a) => a.info);
  }

  /** The live recording of one session, if any (tests reach its recorder). */
  recorderOf(meetingId: string, sessionKey: string): Recorder | undefined {
    return this.#active.get(`${meetingId}|${sessionKey}`)?.recorder;
  }

  stats(): RecordingStats {
    const now = Date.now();
    let maxAge = 0;
    for (const a of this.#active.values()) maxAge = Math.max(maxAge, (now - a.lastSegmentAt) / 1000);
    return { active: this.#active.size, ffmpegRestarts: this.#restarts, segmentsWritten: this.#segments, maxSegmentAgeS: maxAge };
  }

  #folder(meetingId: string, recordingId?: string): string {
    if (!MEETING_ID.test(meetingId)) throw new AppError('bad_request', 'invalid meeting id');
    if (recordingId !== undefined && !RECORDING_ID.test(recordingId)) throw new AppError('bad_request', 'invalid recording id');
    return recordingId === undefined ? path.join(this.settings.dir, meetingId) : path.join(this.settings.dir, meetingId, recordingId);
  }

  async start(meetingId: string, sessionKey: string, startedBy: string): Promise<RecordingInfo> {
    const key = `${meetingId}|${sessionKey}`;
    if (this.#active.has(key) || this.#starting.has(key)) throw new AppError('conflict', 'this session is already being recorded');
    const streams = this.#sources.streams(meetingId, sessionKey);
    if (!streams || pickStreams(streams).length === 0) throw new AppError('conflict', 'nothing to record yet: publish the camera or the microphone first');
    this.#starting.add(key);
    try {
      await fs.mkdir(this.settings.dir, { recursive: true });
      const free = await this.#freeBytes(this.settings.dir);
      if (free < this.settings.minFreeBytes) {
        log.warn({ meeting: meetingId, freeMiB: Math.round(free / 2 ** 20) }, 'recording refused: low disk space');
        throw new AppError('unavailable', 'not enough free disk space to record');
      }
      const now = new Date();
      const stamp = now.toISOString().replace(/[-:]/g, '').slice(0, 15);
      const id = `${stamp}-${sessionKey.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 12) || 's'}-${randomBytes(12).toString('hex')}`;
      const dir = this.#folder(meetingId, id);
      await fs.mkdir(dir, { recursive: true });
      const info: RecordingInfo = { id, meetingId, sessionKey, startedBy, startedAt: now.getTime(), endedAt: null, stopReason: null, durationS: 0, gaps: [], sent: { audioPackets: 0, videoPackets: 0, bytes: 0 } };
      const rlog = logger('recording', { meeting: meetingId, session: sessionKey, recording: id });
      let active: ActiveRecording | null = null;
      const recorder = new Recorder(dir, this.settings.recorder, () => this.#prepare(active!), rlog);
      active = new ActiveRecording(info, recorder);
      const rec = active;
      recorder.on('segment', ({ durationS }) => {
        this.#segments += 1;
        rec.lastSegmentAt = Date.now();
        rec.info.durationS += durationS;
        if (Date.now() - rec.savedAt >= LIVE_INFO_EVERY_MS) void this.#saveInfo(rec);
      });
      recorder.on('crashed', () => (this.#restarts += 1));
      recorder.on('resumed', (gap) => {
        rec.info.gaps.push(gap);
        void this.#saveInfo(rec);
      });
      await this.#writeInfo(info);
      this.#active.set(key, rec);
      try {
        await recorder.start();
      } catch (error) {
        this.#active.delete(key);
        await recorder.stop().catch(() => undefined);
        await fs.rm(dir, { recursive: true, force: true });
        log.error({ meeting: meetingId, err: String(error) }, 'recording failed to start');
        throw new AppError('internal', 'the recording could not start');
      }
      rec.checkTimer = setInterval(() => {
        if (rec.checking) return;
        rec.checking = true;
        void this.#check(key, rec)
          .catch((err: unknown) => log.warn({ recording: rec.info.id, err: String(err) }, 'recording check failed'))
          .finally(() => (rec.checking = false));
      }, 1_000);
      rec.checkTimer.unref();
      this.#armDiskGuard();
      log.info({ meeting: meetingId, session: sessionKey, recording: id, by: startedBy }, 'recording started');
      this.safeEmit('changed', { meetingId });
      return info;
    } finally {
      this.#starting.delete(key);
    }
  }

  /** Inputs of one ffmpeg run: a port pair and an SFU tap per stream, and the SDP describing them. */
  async #prepare(rec: ActiveRecording): Promise<RecorderInput> {
    const streams = pickStreams(this.#sources.streams(rec.info.meetingId, rec.info.sessionKey) ?? []);
    if (streams.length === 0) throw new Error('the session publishes nothing to record');
    const taps: RecorderTap[] = [];
    const sdp: SdpStream[] = [];
    const ports: number[] = [];
    try {
      for (const s of streams) {
        const pair = await freePortPair(this.settings.rtpIp);
        const tap = await this.#sfu.createRecorderTap(s.producerId, { ip: this.settings.rtpIp, ...pair });
        taps.push(tap);
        sdp.push({ kind: tap.kind, port: pair.port, rtpParameters: tap.rtpParameters });
        ports.push(pair.port, pair.rtcpPort);
      }
    } catch (error) {
      await Promise.all(taps.map((t) => this.#sfu.closeRecorderTap(t.id).catch(() => undefined)));
      throw error;
    }
    rec.runKey = keyOf(streams);
    const run = rec.recorder.run;
    let keyFrameTimer: NodeJS.Timeout | null = null;
    let released = false;
    return {
      sdp: recordingSdp(this.settings.rtpIp, sdp),
      hasVideo: taps.some((t) => t.kind === 'video'),
      hasAudio: taps.some((t) => t.kind === 'audio'),
      ports,
      listening: async () => {
        await Promise.all(taps.map((t) => this.#sfu.resumeRecorderTap(t.id)));
        // ffmpeg cannot start a video stream before a keyframe: ask again each second until the
        // run's first segment exists (a request can reach the publisher before ffmpeg reads, and
        // a starved machine may take long to produce it). The producer's keyFrameRequestDelay
        // keeps this from flooding the publisher.
        const video = taps.find((t) => t.kind === 'video');
        if (!video) return;
        let tries = 0;
        keyFrameTimer = setInterval(() => {
          tries += 1;
          if (rec.recorder.run !== run || rec.recorder.runSegments > 0 || tries > 60) {
            clearInterval(keyFrameTimer!);
            return;
          }
          this.#sfu.resumeRecorderTap(video.id).catch(() => undefined);
        }, 1_000);
        keyFrameTimer.unref();
      },
      release: async () => {
        if (keyFrameTimer) clearInterval(keyFrameTimer);
        if (released) return;
        released = true;
        const sent = await Promise.all(taps.map((t) => this.#sfu.closeRecorderTap(t.id).catch(() => null)));
        // A run that wrote nothing: was it given nothing (the SFU side), or did ffmpeg fail to use it?
        if (rec.recorder.run === run && rec.recorder.runSegments === 0) {
          log.warn({ recording: rec.info.id, run, sent: sent.map((s) => s && { kind: s.kind, packets: s.packetCount, bytes: s.byteCount }) }, 'a recording run ended without a segment');
        }
        for (const s of sent) {
          if (!s) continue;
          if (s.kind === 'audio') rec.info.sent.audioPackets += s.packetCount;
          else rec.info.sent.videoPackets += s.packetCount;
          rec.info.sent.bytes += s.byteCount;
        }
      },
    };
  }

  /** Once a second: the meeting still exists, and ffmpeg reads what the session publishes now. */
  async #check(key: string, rec: ActiveRecording): Promise<void> {
    if (this.#active.get(key) !== rec) return;
    const streams = this.#sources.streams(rec.info.meetingId, rec.info.sessionKey);
    if (streams === null) {
      await this.stop(rec.info.meetingId, rec.info.sessionKey, 'meeting_ended');
      return;
    }
    // A run that has written nothing for a long while (ffmpeg alive but stuck, e.g. it started
    // before the host's media flowed and never got going) is replaced, as a crash would be.
    const quietSince = rec.recorder.runSegments > 0 ? rec.lastSegmentAt : rec.recorder.runStartedAt;
    const stallMs = STALL_SEGMENTS * this.settings.recorder.segmentSeconds * 1000 + STALL_GRACE_MS;
    if (rec.recorder.pid !== undefined && rec.recorder.runStartedAt > 0 && Date.now() - quietSince > stallMs) {
      log.warn({ recording: rec.info.id, run: rec.recorder.run, quietMs: Date.now() - quietSince, stderr: rec.recorder.stderrTail() }, 'ffmpeg wrote no segment for too long; starting a new run');
      this.#restarts += 1;
      rec.lastSegmentAt = Date.now();
      await rec.recorder.reconfigure();
      return;
    }
    const wanted = keyOf(pickStreams(streams));
    if (wanted !== rec.runKey && wanted !== '' && rec.recorder.pid !== undefined) {
      log.info({ recording: rec.info.id, from: rec.runKey, to: wanted }, 'recorded streams changed; starting a new run');
      rec.runKey = wanted;
      await rec.recorder.reconfigure();
    }
  }

  async stop(meetingId: string, sessionKey: string, reason: StopReason): Promise<RecordingInfo> {
    const key = `${meetingId}|${sessionKey}`;
    const rec = this.#active.get(key);
    if (!rec) throw new AppError('conflict', 'this session is not being recorded');
    this.#active.delete(key);
    if (rec.checkTimer) clearInterval(rec.checkTimer);
    // Not live from now on (every page's indicator goes off), whatever finishing it takes.
    this.safeEmit('changed', { meetingId });
    await rec.recorder.stop();
    rec.info.endedAt = Date.now();
    rec.info.stopReason = reason;
    await this.#saveInfo(rec);
    log.info({ meeting: meetingId, session: sessionKey, recording: rec.info.id, reason, durationS: rec.info.durationS }, 'recording stopped');
    if (this.#active.size === 0 && this.#diskTimer) {
      clearInterval(this.#diskTimer);
      this.#diskTimer = null;
    }
    this.safeEmit('changed', { meetingId });
    return rec.info;
  }

  /**
   * Stops the session's recording for someone waiting on the answer (a host's stop): it is no
   * longer live at once, and the answer comes within `withinMs` whatever happens; on a slow
   * machine ffmpeg's last segment, the closed playlist and the description follow in the
   * background (a socket's queue is not held for them). Resolves with the recording: its final
   * duration, or the duration so far when the stop is still finishing.
   */
  async stopWithin(meetingId: string, sessionKey: string, reason: StopReason, withinMs: number): Promise<{ id: string; durationS: number }> {
    const info = this.#active.get(`${meetingId}|${sessionKey}`)?.info;
    if (!info) throw new AppError('conflict', 'this session is not being recorded');
    const stopping = this.stop(meetingId, sessionKey, reason);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), withinMs);
    });
    try {
      const done = await Promise.race([stopping, late]);
      if (done) return { id: done.id, durationS: done.durationS };
      log.warn({ meeting: meetingId, session: sessionKey, recording: info.id, withinMs }, 'recording still finishing after the answer');
      stopping.catch((err: unknown) => log.error({ recording: info.id, err: String(err) }, 'finishing a stopped recording failed'));
      return { id: info.id, durationS: info.durationS };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Stops every recording of a meeting made here (its end): each closes cleanly (last segment,
   * EXT-X-ENDLIST, recording.json with the reason) before this resolves. Returns those stopped.
   */
  async stopMeeting(meetingId: string, reason: StopReason): Promise<RecordingInfo[]> {
    const mine = [...this.#active.values()].filter((a) => a.info.meetingId === meetingId);
    const stopped = await Promise.all(
      // One stopped meanwhile by itself (its check found the meeting gone) is not stopped twice.
      mine.map((a) => this.stop(meetingId, a.info.sessionKey, reason).catch(() => null)),
    );
    return stopped.filter((r): r is RecordingInfo => r !== null);
  }

  async stopAll(reason: StopReason): Promise<void> {
    await Promise.all(
      [...this.#active.values()].map((a) => this.stop(a.info.meetingId, a.info.sessionKey, reason).catch(() => undefined)),
    );
  }

  #armDiskGuard(): void {
    if (this.#diskTimer) return;
    this.#diskTimer = setInterval(() => void this.checkDisk(), this.settings.diskCheckIntervalMs);
    this.#diskTimer.unref();
  }

  /** Stops every recording cleanly when free space fell under a quarter of the threshold. */
  async checkDisk(): Promise<void> {
    if (this.#active.size === 0) return;
    const free = await this.#freeBytes(this.settings.dir).catch(() => Number.POSITIVE_INFINITY);
    if (free >= this.settings.minFreeBytes / 4) return;
    log.error({ freeMiB: Math.round(free / 2 ** 20), recordings: this.#active.size }, 'disk nearly full: stopping every recording');
    await this.stopAll('disk_full');
  }

  /** Writes a live recording's description after the writes before it (requests while one waits join it). */
  #saveInfo(rec: ActiveRecording): Promise<void> {
    if (rec.saveQueued) return rec.saveQueued;
    const queued = rec.saving
      .then(() => {
        rec.saveQueued = null;
        rec.savedAt = Date.now();
        return this.#writeInfo(rec.info);
      })
      .catch((err: unknown) => log.warn({ recording: rec.info.id, err: String(err) }, 'writing the recording\'s description failed'));
    rec.saveQueued = queued;
    rec.saving = queued;
    return queued;
  }

  async #writeInfo(info: RecordingInfo): Promise<void> {
    const file = path.join(this.#folder(info.meetingId, info.id), 'recording.json');
    await fs.writeFile(`${file}.tmp`, JSON.stringify(info));
    await fs.rename(`${file}.tmp`, file);
    if (this.#indexer) {
      // Bounded: a Redis that does not answer must not hold a recording's start or stop.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), INDEX_TIMEOUT_MS);
      });
      await Promise.race([this.#indexer(info), late])
        .catch((err: unknown) => log.warn({ recording: info.id, err: String(err) }, 'indexing the recording failed'))
        .finally(() => clearTimeout(timer));
    }
  }

  /** Tells the cluster's HLS index about each description written (before `changed` is emitted). */
  indexWith(indexer: (info: RecordingInfo) => Promise<void>): void {
    this.#indexer = indexer;
  }

  /** A meeting's recordings, newest first (live ones included). */
  async list(meetingId: string): Promise<RecordingInfo[]> {
    const dir = this.#folder(meetingId);
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    const out: RecordingInfo[] = [];
    for (const name of names) {
      if (!RECORDING_ID.test(name)) continue;
      const live = [...this.#active.values()].find((a) => a.info.id === name);
      if (live) {
        out.push(live.info);
        continue;
      }
      const text = await fs.readFile(path.join(dir, name, 'recording.json'), 'utf8').catch(() => null);
      if (text) out.push(JSON.parse(text) as RecordingInfo);
    }
    return out.sort((a, b) => b.startedAt - a.startedAt);
  }

  /** The file of a recording to serve, or null (ids are checked; nothing outside the folder). */
  fileOf(meetingId: string, recordingId: string, file: string): string | null {
    if (!MEETING_ID.test(meetingId) || !RECORDING_ID.test(recordingId)) return null;
    if (file !== PLAYLIST && !/^r[0-9]{1,6}-[0-9]{1,9}\.ts$/.test(file)) return null;
    return path.join(this.#folder(meetingId, recordingId), file);
  }

  /** This node records the session now. */
  isRecording(meetingId: string, sessionKey: string): boolean {
    return this.#active.has(`${meetingId}|${sessionKey}`);
  }

  isLive(recordingId: string): boolean {
    return [...this.#active.values()].some((a) => a.info.id === recordingId);
  }

  /** Deletes recordings that ended more than `retentionDays` ago. Returns how many. */
  async applyRetention(now = Date.now()): Promise<number> {
    if (this.settings.retentionDays <= 0) return 0;
    const cutoff = now - this.settings.retentionDays * 86_400_000;
    let deleted = 0;
    const meetings = await fs.readdir(this.settings.dir).catch(() => [] as string[]);
    for (const m of meetings) {
      if (!MEETING_ID.test(m)) continue;
      for (const info of await this.list(m)) {
        if (this.isLive(info.id)) continue;
        if ((info.endedAt ?? info.startedAt) < cutoff) {
          await fs.rm(this.#folder(m, info.id), { recursive: true, force: true });
          deleted += 1;
          this.safeEmit('deleted', { meetingId: m, id: info.id });
          log.info({ meeting: m, recording: info.id }, 'recording deleted (retention)');
        }
      }
    }
    return deleted;
  }

  async close(): Promise<void> {
    if (this.#retentionTimer) clearInterval(this.#retentionTimer);
    await this.stopAll('shutdown');
    if (this.#diskTimer) clearInterval(this.#diskTimer);
  }
}
