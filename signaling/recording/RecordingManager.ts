/**
 * The recordings of this signaling node: at most one per meeting session (the main session or a
 * province breakout), each a Recorder (ffmpeg) fed through SFU recorder taps. Where they are kept
 * on disk is recordingFolders.ts; what a recording is, recordingTypes.ts.
 * (About 400 lines: a recording's start, its run checks, its stop and the disk guard share the
 * map of live recordings and their ordering; the parts without it have moved out.)
 *
 * What is recorded: what the session has on air, as a plan (recordingPlan.ts: the pictures the
 * layout draws, every microphone mixed, the interpreter's inset; composition.ts turns it into
 * ffmpeg's filter graph). Every second the manager compares the plan's key with the one the
 * current ffmpeg run reads and starts a new run when it changed (a discontinuity in the playlist).
 *
 * Guards: a recording is refused when the folder's disk has less than `minFreeBytes` free, and
 * every recording is stopped cleanly (last segment, EXT-X-ENDLIST) when it falls under a quarter
 * of that. Recordings older than `retentionDays` are deleted (checked at start and hourly).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { TypedEmitter } from '../../common/TypedEmitter';
import { logger } from '../../common/log';
import type { RecorderTap, SfuControl } from '../../sfu/types';
import { AppError } from '../protocol/errors';
import { freePortPair } from './ports';
import { recordingSdp, type SdpStream } from './sdp';
import { Recorder, type RecorderInput } from './Recorder';
import { RecordingFolders } from './recordingFolders';
import { SubtitleTrack, ffprobeBeside, type SubtitleSource } from './subtitleTrack';
import { type RecordingEvents, type RecordingInfo, type RecordingSettings, type RecordingSources, type RecordingStats, type StopReason } from './recordingTypes';
import { planEmpty, planKey, planOf, planStreams, type RecordingPlan } from './recordingPlan';
import { compositionOf } from './composition';

const log = logger('recording');

/** A run that writes no segment for this many segment lengths, plus the grace, is replaced. */
const STALL_SEGMENTS = 5;
const STALL_GRACE_MS = 10_000;
/**
 * A live recording's description (its duration) is written again at most this often as segments
 * come: other nodes list it from the index, and a list that said 0 s for a whole meeting is wrong.
 */
const LIVE_INFO_EVERY_MS = 5_000;

class ActiveRecording {
  readonly info: RecordingInfo;
  readonly recorder: Recorder;
  /** The key of the plan the current run reads (recordingPlan.ts planKey). */
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
  /** The WebVTT subtitles rendition beside it (the main session, when captions are kept). */
  subtitles: SubtitleTrack | null = null;

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
  readonly #folders: RecordingFolders;
  #diskTimer: NodeJS.Timeout | null = null;
  #retentionTimer: NodeJS.Timeout | null = null;
  #subtitles: SubtitleSource | null = null;

  constructor(settings: RecordingSettings, sfu: SfuControl, sources: RecordingSources, freeBytes = statFree) {
    super();
    this.settings = settings;
    this.#sfu = sfu;
    this.#sources = sources;
    this.#freeBytes = freeBytes;
    this.#folders = new RecordingFolders(settings.dir);
    this.#retentionTimer = setInterval(() => void this.applyRetention(), 3_600_000);
    this.#retentionTimer.unref();
    void fs.mkdir(settings.dir, { recursive: true }).then(() => this.applyRetention()).catch(() => undefined);
  }

  /** The session's plan now, or null when the meeting (or session) is gone. */
  #plan(meetingId: string, sessionKey: string): RecordingPlan | null {
    const streams = this.#sources.streams(meetingId, sessionKey);
    if (streams === null) return null;
    return planOf(streams, this.#sources.layout?.(meetingId, sessionKey) ?? 'single');
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

  async start(meetingId: string, sessionKey: string, startedBy: string): Promise<RecordingInfo> {
    const key = `${meetingId}|${sessionKey}`;
    if (this.#active.has(key) || this.#starting.has(key)) throw new AppError('conflict', 'this session is already being recorded');
    const plan = this.#plan(meetingId, sessionKey);
    if (!plan || planEmpty(plan)) throw new AppError('conflict', 'nothing to record yet: publish the camera or the microphone first');
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
      const dir = this.#folders.folder(meetingId, id);
      await fs.mkdir(dir, { recursive: true });
      const info: RecordingInfo = { id, meetingId, sessionKey, startedBy, startedAt: now.getTime(), endedAt: null, stopReason: null, durationS: 0, gaps: [], sent: { audioPackets: 0, videoPackets: 0, bytes: 0 } };
      const rlog = logger('recording', { meeting: meetingId, session: sessionKey, recording: id });
      let active: ActiveRecording | null = null;
      const recorder = new Recorder(dir, this.settings.recorder, () => this.#prepare(active!), rlog);
      active = new ActiveRecording(info, recorder);
      const rec = active;
      if (this.#subtitles && sessionKey === 'main') {
        const track = new SubtitleTrack(dir, meetingId, this.#subtitles, ffprobeBeside(this.settings.recorder.ffmpegPath), rlog);
        await track.start();
        rec.subtitles = track;
        recorder.on('segment', ({ file }) => track.segment(file));
      }
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
      await this.#folders.writeInfo(info);
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
    const plan = this.#plan(rec.info.meetingId, rec.info.sessionKey);
    if (!plan || planEmpty(plan)) throw new Error('the session publishes nothing to record');
    // In the SDP's order: what composition.ts's `0:v:i` and `0:a:j` refer to.
    const streams = planStreams(plan);
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
    rec.runKey = planKey(plan);
    const run = rec.recorder.run;
    let keyFrameTimer: NodeJS.Timeout | null = null;
    let released = false;
    return {
      sdp: recordingSdp(this.settings.rtpIp, sdp),
      composition: compositionOf(plan),
      ports,
      listening: async () => {
        await Promise.all(taps.map((t) => this.#sfu.resumeRecorderTap(t.id)));
        // ffmpeg cannot start a video stream before a keyframe: ask again each second until the
        // run's first segment exists (a request can reach the publisher before ffmpeg reads, and
        // a starved machine may take long to produce it). The producer's keyFrameRequestDelay
        // keeps this from flooding the publisher. Every picture drawn needs one (a composition
        // waits for each).
        const videos = taps.filter((t) => t.kind === 'video');
        if (videos.length === 0) return;
        let tries = 0;
        keyFrameTimer = setInterval(() => {
          tries += 1;
          if (rec.recorder.run !== run || rec.recorder.runSegments > 0 || tries > 60) {
            clearInterval(keyFrameTimer!);
            return;
          }
          for (const video of videos) this.#sfu.resumeRecorderTap(video.id).catch(() => undefined);
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
    const plan = this.#plan(rec.info.meetingId, rec.info.sessionKey);
    if (plan === null) {
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
    const wanted = planKey(plan);
    if (wanted !== rec.runKey && wanted !== '' && rec.recorder.pid !== undefined) {
      log.info({ recording: rec.info.id, from: rec.runKey, to: wanted }, 'recorded plan changed; starting a new run');
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
    await rec.subtitles?.finish();
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
        return this.#folders.writeInfo(rec.info);
      })
      .catch((err: unknown) => log.warn({ recording: rec.info.id, err: String(err) }, 'writing the recording\'s description failed'));
    rec.saveQueued = queued;
    rec.saving = queued;
    return queued;
  }

  /** The main session's recordings get a WebVTT subtitles rendition of these captions (subtitleTrack.ts). */
  withSubtitles(source: SubtitleSource): void {
    this.#subtitles = source;
  }

  /** Whether the main session's streams have the subtitles rendition. */
  get hasSubtitles(): boolean {
    return this.#subtitles !== null;
  }

  /** Tells the cluster's HLS index about each description written (before `changed` is emitted). */
  indexWith(indexer: (info: RecordingInfo) => Promise<void>): void {
    this.#folders.indexWith(indexer);
  }

  /** A meeting's recordings, newest first (live ones included). */
  list(meetingId: string): Promise<RecordingInfo[]> {
    return this.#folders.list(meetingId, (id) => [...this.#active.values()].find((a) => a.info.id === id)?.info);
  }

  /** The file of a recording to serve, or null (ids are checked; nothing outside the folder). */
  fileOf(meetingId: string, recordingId: string, file: string): string | null {
    return this.#folders.fileOf(meetingId, recordingId, file);
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
    for (const m of await this.#folders.meetings()) {
      for (const info of await this.list(m)) {
        if (this.isLive(info.id)) continue;
        if ((info.endedAt ?? info.startedAt) < cutoff) {
          await this.#folders.remove(m, info.id);
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
