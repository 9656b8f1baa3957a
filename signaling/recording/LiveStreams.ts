/**
 * Live HLS of a session, whether or not anyone records it: the delayed stream for teachers whom
 * WebRTC cannot reach (blocked UDP and TCP, an SFU full, or "data saver, delayed" chosen).
 *
 * One node per session makes it (the origin): the first node asked claims the session's lease in
 * the HLS index and runs the pipeline (a RecordingManager in live mode: ffmpeg writing a sliding
 * window of segments into this node's own folder); every other node passes requests to it. The
 * origin renews the lease while it runs; a node that dies loses it after `leaseMs`, and the next
 * teacher who asks makes their own node the origin.
 *
 * When it runs (HOINGHI_LIVE_HLS):
 * - `on_demand` (default): from the first teacher who asks until no playlist was requested for
 *   `idleMs` (a meeting with nobody on the delayed stream costs no ffmpeg);
 * - `always`: whenever the main session's host publishes, on the node that claims it;
 * - `off`: never (asking is refused with `unavailable`).
 * It stops when the meeting ends here (nothing left to read) or when the disk runs out.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { logger } from '../../common/log';
import { AppError } from '../protocol/errors';
import type { HlsIndex, HlsNode, LiveOrigin } from './hlsIndex';
import { type RecordingManager } from './RecordingManager';
import { type RecordingSources } from './recordingTypes';
import { recordable } from './recordingPlan';
import { PLAYLIST } from './Recorder';

const log = logger('live-hls');

export type LiveHlsMode = 'on_demand' | 'always' | 'off';

export interface LiveHlsSettings {
  mode: LiveHlsMode;
  /** on_demand: stop after this long without a playlist request, ms. */
  idleMs: number;
  /** The origin lease; renewed every third of it, ms. */
  leaseMs: number;
  /** A stopped stream's files stay this long (players finishing the last segments), ms. */
  keepAfterStopMs: number;
}

/** Where a teacher's page finds the live stream. */
export interface LiveWatch {
  /** The session streamed: the teacher's own, or the main session when theirs has nothing on air. */
  sessionKey: string;
  /** The playlist's path on any signaling node. */
  path: string;
  /**
   * Whether the playlist is there to read: false while this node's stream is starting (its
   * playlist would answer 503; the page asks again shortly instead of logging a failed load).
   * A stream another node makes says true: that node answers for it.
   */
  ready: boolean;
}

export const SESSION_KEY = /^[A-Za-z0-9_-]{1,32}$/;

const STALE_FOLDER_MS = 3_600_000;

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The newest modification time in a folder tree, ms since epoch. */
function newestWrite(dir: string): number {
  let newest = statSync(dir).mtimeMs;
  for (const name of readdirSafe(dir)) {
    const p = path.join(dir, name);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestWrite(p) : s.mtimeMs);
  }
  return newest;
}

export const livePath = (meetingId: string, sessionKey: string, liveId: string): string =>
  `/api/meetings/${encodeURIComponent(meetingId)}/live/${encodeURIComponent(sessionKey)}/${encodeURIComponent(liveId)}/${PLAYLIST}`;

interface Running {
  meetingId: string;
  sessionKey: string;
  liveId: string;
  lastRequest: number;
  renew: NodeJS.Timeout;
}

export interface LiveStats {
  /** Live streams this node makes. */
  active: number;
  /** Requests passed to another node's live stream or recording. */
  proxied: number;
}

export class LiveStreams {
  readonly settings: LiveHlsSettings;
  readonly #manager: RecordingManager;
  readonly #index: HlsIndex;
  readonly #sources: RecordingSources;
  readonly #self: () => HlsNode;
  /** `${meetingId}|${sessionKey}` → the stream this node makes. */
  readonly #running = new Map<string, Running>();
  readonly #starting = new Map<string, Promise<LiveOrigin>>();
  readonly #sweep: NodeJS.Timeout;
  readonly #openMeetings: () => string[];
  #closed = false;
  /** HLS requests passed to another node (live and recording), counted by `proxyTo`. */
  proxied = 0;

  constructor(
    settings: LiveHlsSettings,
    manager: RecordingManager,
    index: HlsIndex,
    sources: RecordingSources,
    self: () => HlsNode,
    openMeetings: () => string[],
  ) {
    this.settings = settings;
    this.#manager = manager;
    this.#index = index;
    this.#sources = sources;
    this.#self = self;
    this.#openMeetings = openMeetings;
    // What an earlier process of this node left is stale: its streams ended with it. So is the
    // folder of any other node's process that has written nothing for an hour (a live stream
    // writes every segment): a process that died without a fixed HOINGHI_NODE_ID.
    rmSync(manager.settings.dir, { recursive: true, force: true });
    const parent = path.dirname(manager.settings.dir);
    for (const name of readdirSafe(parent)) {
      const dir = path.join(parent, name);
      try {
        if (Date.now() - statSync(dir).mtimeMs > STALE_FOLDER_MS && newestWrite(dir) < Date.now() - STALE_FOLDER_MS) rmSync(dir, { recursive: true, force: true });
      } catch {
        // Gone meanwhile, or not ours to read: leave it.
      }
    }
    manager.on('changed', ({ meetingId }) => this.#onChanged(meetingId));
    this.#sweep = setInterval(() => void this.#tick().catch((err: unknown) => log.warn({ err: String(err) }, 'live sweep failed')), 2_000);
    this.#sweep.unref();
  }

  get manager(): RecordingManager {
    return this.#manager;
  }

  stats(): LiveStats {
    return { active: this.#running.size, proxied: this.proxied };
  }

  /** The session a teacher of `sessionKey` watches: theirs if its host is on air, else main. */
  #sessionFor(meetingId: string, sessionKey: string): string {
    const own = this.#sources.streams(meetingId, sessionKey);
    if (own === null) throw new AppError('not_joined', 'the meeting is not open here');
    if (recordable(own)) return sessionKey;
    if (sessionKey !== 'main' && recordable(this.#sources.streams(meetingId, 'main'))) return 'main';
    throw new AppError('conflict', 'nothing is on air yet: the delayed stream starts when the host publishes');
  }

  /** A teacher asks for the delayed stream: where to find it (starting it here if nobody makes it). */
  async watch(meetingId: string, sessionKey: string): Promise<LiveWatch> {
    if (this.settings.mode === 'off') throw new AppError('unavailable', 'the delayed stream is not offered on this server');
    const session = this.#sessionFor(meetingId, sessionKey);
    const origin = await this.#ensure(meetingId, session);
    if (origin.liveId === null) throw new AppError('unavailable', 'the delayed stream is starting', 2_000);
    const playlist = origin.node.id === this.#self().id ? this.#manager.fileOf(meetingId, origin.liveId, PLAYLIST) : null;
    const ready = playlist === null || (await fs.stat(playlist).then(() => true, () => false));
    return { sessionKey: session, path: livePath(meetingId, session, origin.liveId), ready };
  }

  async #ensure(meetingId: string, sessionKey: string): Promise<LiveOrigin> {
    const key = `${meetingId}|${sessionKey}`;
    const mine = this.#running.get(key);
    if (mine) {
      mine.lastRequest = Date.now();
      return { node: this.#self(), liveId: mine.liveId };
    }
    const pending = this.#starting.get(key);
    if (pending) return pending;
    const attempt = this.#claimAndStart(meetingId, sessionKey).finally(() => this.#starting.delete(key));
    this.#starting.set(key, attempt);
    return attempt;
  }

  async #claimAndStart(meetingId: string, sessionKey: string): Promise<LiveOrigin> {
    const self = this.#self();
    const held = await this.#index.claimLive(meetingId, sessionKey, { node: self, liveId: null }, this.settings.leaseMs);
    if (held.node.id !== self.id) return held;
    let liveId: string;
    try {
      liveId = (await this.#manager.start(meetingId, sessionKey, 'live')).id;
    } catch (error) {
      await this.#index.releaseLive(meetingId, sessionKey, self.id).catch(() => undefined);
      throw error;
    }
    const origin: LiveOrigin = { node: self, liveId };
    const key = `${meetingId}|${sessionKey}`;
    const running: Running = {
      meetingId,
      sessionKey,
      liveId,
      lastRequest: Date.now(),
      renew: setInterval(() => void this.#renew(key), Math.max(250, this.settings.leaseMs / 3)),
    };
    running.renew.unref();
    this.#running.set(key, running);
    await this.#index.claimLive(meetingId, sessionKey, origin, this.settings.leaseMs);
    log.info({ meeting: meetingId, session: sessionKey, live: liveId }, 'live stream started');
    return origin;
  }

  async #renew(key: string): Promise<void> {
    const r = this.#running.get(key);
    if (!r) return;
    const self = this.#self();
    const held = await this.#index
      .claimLive(r.meetingId, r.sessionKey, { node: self, liveId: r.liveId }, this.settings.leaseMs)
      .catch((err: unknown) => {
        log.warn({ err: String(err) }, 'renewing the live lease failed');
        return null;
      });
    if (held && held.node.id !== self.id) {
      // Another node took the session over (our lease lapsed): two streams would be one too many.
      log.warn({ meeting: r.meetingId, session: r.sessionKey, holder: held.node.id }, 'live lease lost; stopping this stream');
      await this.#stop(key, 'lease_lost');
    }
  }

  /** A playlist or segment of this node's stream was requested (keeps an on-demand stream alive). */
  touched(meetingId: string, sessionKey: string): void {
    const r = this.#running.get(`${meetingId}|${sessionKey}`);
    if (r) r.lastRequest = Date.now();
  }

  /** The local file of one of this node's live streams, or null. */
  fileOf(meetingId: string, liveId: string, file: string): string | null {
    return this.#manager.fileOf(meetingId, liveId, file);
  }

  /** Whether this node runs the stream with that id now. */
  isRunning(liveId: string): boolean {
    return this.#manager.isLive(liveId);
  }

  /** The session's origin, as the cluster knows it. */
  origin(meetingId: string, sessionKey: string): Promise<LiveOrigin | null> {
    return this.#index.live(meetingId, sessionKey);
  }

  async #stop(key: string, reason: 'idle' | 'lease_lost' | 'shutdown' | 'meeting_ended'): Promise<void> {
    const r = this.#running.get(key);
    if (!r) return;
    this.#running.delete(key);
    clearInterval(r.renew);
    await this.#manager.stop(r.meetingId, r.sessionKey, reason).catch(() => undefined);
    await this.#finish(r);
  }

  /** After a stream stopped: the lease goes, and its files a little later. */
  async #finish(r: Running): Promise<void> {
    await this.#index.releaseLive(r.meetingId, r.sessionKey, this.#self().id).catch(() => undefined);
    const dir = path.dirname(this.#manager.fileOf(r.meetingId, r.liveId, PLAYLIST) ?? '');
    if (dir && dir !== '.') {
      const timer = setTimeout(() => void fs.rm(dir, { recursive: true, force: true }).catch(() => undefined), this.settings.keepAfterStopMs);
      timer.unref();
    }
    log.info({ meeting: r.meetingId, session: r.sessionKey, live: r.liveId }, 'live stream stopped');
  }

  /**
   * The meeting ended: every stream of it this node makes stops now (a stream still starting is
   * stopped once started), and its lease goes. Returns how many stopped.
   */
  async stopMeeting(meetingId: string): Promise<number> {
    const starting = [...this.#starting].filter(([key]) => key.startsWith(`${meetingId}|`)).map(([, p]) => p.catch(() => null));
    await Promise.all(starting);
    const keys = [...this.#running].filter(([, r]) => r.meetingId === meetingId).map(([key]) => key);
    await Promise.all(keys.map((k) => this.#stop(k, 'meeting_ended')));
    return keys.length;
  }

  /** The manager stopped a stream by itself (the meeting ended here, the disk ran out). */
  #onChanged(meetingId: string): void {
    const live = new Set(this.#manager.active(meetingId).map((i) => i.id));
    for (const [key, r] of this.#running) {
      if (r.meetingId !== meetingId || live.has(r.liveId)) continue;
      this.#running.delete(key);
      clearInterval(r.renew);
      void this.#finish(r);
    }
  }

  /** Every 2 s: idle on-demand streams stop; in `always` mode, every main session on air streams. */
  async #tick(): Promise<void> {
    if (this.#closed) return;
    const now = Date.now();
    if (this.settings.mode === 'on_demand') {
      for (const [key, r] of this.#running) if (now - r.lastRequest > this.settings.idleMs) await this.#stop(key, 'idle');
    }
    if (this.settings.mode !== 'always') return;
    for (const meetingId of this.#openMeetings()) {
      if (!recordable(this.#sources.streams(meetingId, 'main'))) continue;
      if (this.#running.has(`${meetingId}|main`)) continue;
      const origin = await this.#index.live(meetingId, 'main');
      if (origin) continue;
      await this.#ensure(meetingId, 'main').catch((err: unknown) => log.warn({ meeting: meetingId, err: String(err) }, 'live stream could not start'));
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweep);
    await Promise.all([...this.#running.keys()].map((k) => this.#stop(k, 'shutdown')));
  }
}
