/**
 * One recorded session: an ffmpeg process that reads the session's plain RTP (described by an
 * SDP file) and writes HLS (H.264 + AAC in MPEG-TS segments) into the recording's folder. The
 * same playlist is the live stream while recording and the replay afterwards.
 *
 * Each ffmpeg run gets fresh inputs from `prepare` (ports, SFU taps) and writes segments named
 * `r<run>-<n>.ts`, appending to the playlist (`append_list`: ffmpeg marks the seam with
 * EXT-X-DISCONTINUITY). A run that dies is restarted with a back-off; the gap (from the death to
 * the next run's first segment) is logged and reported. `reconfigure` ends a run on purpose (the
 * set of streams changed) and starts the next at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { TypedEmitter } from '../../common/TypedEmitter';
import type { Logger } from '../../common/log';
import { setTimeout as sleep } from 'node:timers/promises';
import { mediaMapping, type Composition } from './composition';
import type { Gap, RecorderSettings } from './recorderSettings';

export type { Gap, RecorderSettings };

/** What one ffmpeg run reads, prepared afresh for every run. */
export interface RecorderInput {
  sdp: string;
  /** What the run draws and mixes (composition.ts), its streams in the SDP's order. */
  composition: Composition;
  /** UDP ports ffmpeg binds (RTP and RTCP): the recorder waits until they are taken. */
  ports: number[];
  /** ffmpeg listens: start sending (resume the taps, ask for keyframes). */
  listening(): Promise<void>;
  /** The run ended: release its inputs (close the taps). */
  release(): Promise<void>;
}

export type RecorderEvents = {
  /** A segment was added to the playlist. */
  segment: [{ run: number; file: string; durationS: number }];
  /** A run died unexpectedly (its exit code or signal). */
  crashed: [{ run: number; code: number | null; signal: string | null }];
  /** The first segment after a crash: the recording continues, with this gap. */
  resumed: [Gap];
};

export const PLAYLIST = 'index.m3u8';

/** At stop, after the taps close, how long ffmpeg may read what is already on its sockets, ms. */
const STOP_DRAIN_MS = 300;

/** Frames per second of recorded video (browsers send at most 30). */
export const RECORDING_FPS = 30;

/** ffmpeg's arguments for one run. */
export function ffmpegArgs(settings: RecorderSettings, run: number, input: Pick<RecorderInput, 'composition'>): string[] {
  const seg = settings.segmentSeconds;
  const args = [
    '-hide_banner', '-loglevel', 'warning', '-nostdin',
    '-protocol_whitelist', 'file,udp,rtp',
    '-analyzeduration', '5000000', '-probesize', '5000000',
    '-reorder_queue_size', '64',
    '-i', 'input.sdp',
  ];
  const media = mediaMapping(input.composition);
  if (media.filter) args.push('-filter_complex', media.filter);
  if (media.video) {
    // VP8 → H.264 (what hls.js and Safari play): low-latency x264, keyframes on the segment grid.
    args.push(
      '-map', media.video,
      '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'main', '-pix_fmt', 'yuv420p',
      '-crf', '23', '-maxrate', '2500k', '-bufsize', '5000k',
      '-force_key_frames', `expr:gte(t,n_forced*${seg})`, '-sc_threshold', '0',
      // A constant output rate, whatever ffmpeg guesses from the RTP timestamps: a guess of
      // thousands of frames a second (seen with a simulcast camera through an SFU node) made it
      // duplicate frames without end and write no segment at all, run after run.
      '-fps_mode', 'cfr', '-r', String(RECORDING_FPS),
    );
  }
  if (media.audio) args.push('-map', media.audio, '-c:a', 'aac', '-b:a', '96k', '-ac', '2', '-ar', '48000');
  const window = settings.liveWindow ?? 0;
  // program_date_time lets a player measure its delay against the wall clock.
  const flags = 'append_list+independent_segments+program_date_time+temp_file';
  args.push(
    '-f', 'hls',
    '-hls_time', String(seg),
    ...(window > 0
      ? ['-hls_list_size', String(window), '-hls_delete_threshold', '2', '-hls_flags', `${flags}+delete_segments`]
      : ['-hls_list_size', '0', '-hls_playlist_type', 'event', '-hls_flags', flags]),
    '-hls_segment_type', 'mpegts',
    '-hls_segment_filename', `r${run}-%05d.ts`,
    PLAYLIST,
  );
  return args;
}

/** The segment files of a playlist, in order, with their durations. */
export function playlistSegments(text: string): { file: string; durationS: number }[] {
  const out: { file: string; durationS: number }[] = [];
  let duration = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice(8)) || 0;
    else if (line && !line.startsWith('#')) out.push({ file: line, durationS: duration });
  }
  return out;
}


export class Recorder extends TypedEmitter<RecorderEvents> {
  readonly dir: string;
  readonly #settings: RecorderSettings;
  readonly #prepare: () => Promise<RecorderInput>;
  readonly #log: Logger;
  #run = -1;
  #child: ChildProcess | null = null;
  #input: RecorderInput | null = null;
  #stopping = false;
  #reconfiguring = false;
  #backoff: number;
  /** When the last run died (a gap is open until the next segment). */
  #gapFrom: { at: number; reason: string } | null = null;
  #seen = 0;
  /** The newest segment reported, as [run, number] (a live window slides: names, not positions, tell what is new). */
  #last: [number, number] = [-1, -1];
  #runSegments = 0;
  #poll: NodeJS.Timeout | null = null;
  #restartTimer: NodeJS.Timeout | null = null;
  #stderr: string[] = [];
  /** The last complete playlist read, to put back one that an ffmpeg left broken at exit. */
  #lastGood: string | null = null;
  /** Settles when the current run has exited and its exit has been handled. */
  #exited: Promise<void> = Promise.resolve();
  /** Restarts after a crash, for metrics and tests. */
  restarts = 0;
  /** When the current run was spawned (ms since epoch). */
  runStartedAt = 0;

  constructor(dir: string, settings: RecorderSettings, prepare: () => Promise<RecorderInput>, log: Logger) {
    super();
    this.dir = dir;
    this.#settings = settings;
    this.#prepare = prepare;
    this.#log = log;
    this.#backoff = settings.restartBackoffMs.min;
  }

  /** Starts the first run (the folder must exist). */
  async start(): Promise<void> {
    await this.#startRun();
    this.#poll = setInterval(() => void this.#readPlaylist(), 250);
  }

  /** The pid of the running ffmpeg (tests kill it). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get run(): number {
    return this.#run;
  }

  /** Segments the current run has written. */
  get runSegments(): number {
    return this.#runSegments;
  }

  /** ffmpeg's last lines on stderr (warnings and errors) in the current run. */
  stderrTail(lines = 5): string[] {
    return this.#stderr.slice(-lines);
  }

  /** Segments written so far (every run's). */
  get segments(): number {
    return this.#seen;
  }

  async #startRun(): Promise<void> {
    if (this.#stopping) return;
    this.#run += 1;
    this.#runSegments = 0;
    this.runStartedAt = Date.now();
    const run = this.#run;
    const input = await this.#prepare();
    if (this.#stopping) {
      await input.release();
      return;
    }
    this.#input = input;
    await fs.writeFile(path.join(this.dir, 'input.sdp'), input.sdp);
    const child = spawn(this.#settings.ffmpegPath, ffmpegArgs(this.#settings, run, input), { cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    this.#stderr = [];
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      this.#stderr.push(...chunk.split('\n').filter(Boolean));
      if (this.#stderr.length > 20) this.#stderr.splice(0, this.#stderr.length - 20);
    });
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        void this.#onExit(run, input, code, signal)
          .catch((err: unknown) => this.#log.error({ err: String(err) }, 'handling the end of an ffmpeg run failed'))
          .finally(resolve);
      });
      child.once('error', (err) => this.#log.error({ err: String(err) }, 'ffmpeg could not start'));
    });
    this.#log.info({ run, pid: child.pid, ...input.composition }, 'ffmpeg started');
    // ffmpeg binds its RTP ports after reading the SDP: wait until they are taken, then send.
    await this.#waitBound(input.ports, child);
    if (this.#child === child) await input.listening().catch((err: unknown) => this.#log.warn({ err: String(err) }, 'starting the taps failed'));
  }

  async #waitBound(ports: number[], child: ChildProcess): Promise<void> {
    const dgram = await import('node:dgram');
    const taken = (port: number): Promise<boolean> =>
      new Promise((resolve) => {
        const s = dgram.createSocket('udp4');
        s.once('error', () => {
          s.close();
          resolve(true);
        });
        s.bind(port, () => {
          s.close();
          resolve(false);
        });
      });
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && child.exitCode === null && this.#child === child) {
      const all = await Promise.all(ports.map(taken));
      if (all.every(Boolean)) return;
      await sleep(50);
    }
  }

  async #onExit(run: number, input: RecorderInput, code: number | null, signal: string | null): Promise<void> {
    await input.release().catch(() => undefined);
    await this.#repairPlaylist();
    if (run !== this.#run) return;
    this.#child = null;
    this.#input = null;
    await this.#readPlaylist();
    if (this.#stopping || this.#reconfiguring) return;
    this.#log.warn({ run, code, signal, stderr: this.#stderr.slice(-5) }, 'ffmpeg died; restarting');
    this.safeEmit('crashed', { run, code, signal });
    this.#scheduleRestart(signal ? `ffmpeg killed by ${signal}` : `ffmpeg exited with ${code}`);
  }

  /** Opens a gap (if none is open) and starts the next run after the back-off. */
  #scheduleRestart(reason: string): void {
    this.#gapFrom ??= { at: Date.now(), reason };
    const delay = this.#backoff;
    this.#backoff = Math.min(this.#backoff * 2, this.#settings.restartBackoffMs.max);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      this.restarts += 1;
      this.#startRun().catch((err: unknown) => {
        this.#log.error({ err: String(err) }, 'ffmpeg restart failed; trying again');
        this.#scheduleRestart(reason);
      });
    }, delay);
  }

  /** Reads the playlist and reports new segments (and the end of a gap). */
  async #readPlaylist(): Promise<void> {
    let text: string;
    try {
      text = await fs.readFile(path.join(this.dir, PLAYLIST), 'utf8');
    } catch {
      return;
    }
    if (text.startsWith('#EXTM3U')) this.#lastGood = text;
    for (const s of playlistSegments(text)) {
      const m = /^r(\d+)-(\d+)\.ts$/.exec(s.file);
      if (!m) continue;
      const run = Number(m[1]);
      const n = Number(m[2]);
      if (run < this.#last[0] || (run === this.#last[0] && n <= this.#last[1])) continue;
      this.#last = [run, n];
      this.#seen += 1;
      if (run === this.#run) this.#runSegments += 1;
      this.safeEmit('segment', { run, file: s.file, durationS: s.durationS });
      if (this.#gapFrom && run === this.#run) {
        const gap: Gap = { from: this.#gapFrom.at, to: Date.now(), reason: this.#gapFrom.reason };
        this.#gapFrom = null;
        this.#backoff = this.#settings.restartBackoffMs.min;
        this.#log.warn({ run, gapMs: gap.to - gap.from, reason: gap.reason }, 'recording resumed after a gap');
        this.safeEmit('resumed', gap);
      }
    }
  }

  /** Ends the current run on purpose (the inputs changed) and starts the next one at once. */
  async reconfigure(): Promise<void> {
    if (this.#stopping) return;
    this.#reconfiguring = true;
    try {
      await this.#endRun();
    } finally {
      this.#reconfiguring = false;
    }
    if (this.#restartTimer) return;
    await this.#startRun().catch((err: unknown) => {
      this.#log.warn({ err: String(err) }, 'no inputs for the next run; trying again');
      this.#scheduleRestart('inputs unavailable');
    });
  }

  /**
   * ffmpeg 5.1 that gets a second signal while it waits on silent input (the host went off air)
   * exits at once and leaves the playlist empty: every segment of the recording unlisted. The
   * second signal comes from outside: Ctrl-C in the terminal of scripts/start.sh reaches the
   * whole process group, ffmpeg included, before the server's own stop; so does a service
   * manager that signals every process of the service. The playlist is then put back as last read.
   */
  async #repairPlaylist(): Promise<void> {
    const file = path.join(this.dir, PLAYLIST);
    const text = await fs.readFile(file, 'utf8').catch(() => null);
    // No file: nothing was written yet, or the folder is gone (a live stream's, removed after it ended).
    if (this.#lastGood === null || text === null || text.startsWith('#EXTM3U')) return;
    await fs.writeFile(`${file}.repair`, this.#lastGood);
    await fs.rename(`${file}.repair`, file);
    this.#log.warn({ segments: playlistSegments(this.#lastGood).length, foundBytes: text.length }, 'ffmpeg left the playlist broken; put back as last read');
  }

  /** Asks ffmpeg to finish (SIGINT: it writes its last segment), killing it after 5 s; resolves once its exit is handled. */
  async #endRun(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    let timer: NodeJS.Timeout | undefined;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    }
    await this.#exited;
    clearTimeout(timer);
  }

  /** Stops for good: the last segment is written and the playlist ends (EXT-X-ENDLIST). */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    // The taps close first (counting what they sent), and ffmpeg gets a moment to read what is
    // already on its sockets before it is asked to finish: the recording ends with the last
    // packet sent, not wherever ffmpeg's reading had got to.
    const input = this.#input;
    if (input && this.#child && this.#child.exitCode === null) {
      await input.release().catch(() => undefined);
      await sleep(STOP_DRAIN_MS);
    }
    await this.#endRun();
    await this.#input?.release().catch(() => undefined);
    if (this.#poll) clearInterval(this.#poll);
    await this.#readPlaylist();
    await this.#repairPlaylist();
    // A run that was killed (or never started) leaves the playlist open: close it.
    const file = path.join(this.dir, PLAYLIST);
    const text = await fs.readFile(file, 'utf8').catch(() => null);
    if (text !== null && !text.includes('#EXT-X-ENDLIST')) await fs.appendFile(file, '#EXT-X-ENDLIST\n');
    this.#log.info({ runs: this.#run + 1, segments: this.#seen, restarts: this.restarts }, 'recording stopped');
  }
}
