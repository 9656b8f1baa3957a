/**
 * Clips played from the server into a meeting: one ffmpeg per playing clip (clipEncoder.ts) sends
 * plain RTP to two ingest transports in the meeting's main origin room (SfuControl
 * createIngestTransport), and the producers on them are published in the main session as a
 * presenter's camera and microphone (`peerId: clip:<hash of the name>`), so the stage decides who
 * receives them like any other source (meeting/production.ts): the backstage always, the audience
 * when the stage is live with the clip on it (or at once with backstage off).
 *
 * One clip per meeting at a time, per signaling node: playing another (or the same one again)
 * replaces it. A clip ends, and its producers and transports go, when ffmpeg is done or dies, when
 * it is stopped, when the meeting's view on this node closes (the meeting ended, or nobody is left
 * here), when its origin room is lost, and when the node shuts down. Every change of a meeting's
 * clip runs in order, one at a time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Logger } from '../../common/log';
import type { IngestTransport, MediaKind, SfuControl } from '../../sfu/types';
import { AppError } from '../protocol/errors';
import { CLIP_PEER_PREFIX, type PlayingClip } from '../protocol/clips';
import type { MeetingState, PublishedProducer } from '../store/types';
import { ClipLibrary } from './clipLibrary';
import { clipFfmpegArgs, clipRtpParameters } from './clipEncoder';
import type { ClipFile, ClipSettings } from './clipTypes';

/** What the player needs of a meeting (Meeting has it). */
export interface ClipMeeting {
  readonly id: string;
  readonly sfu: SfuControl;
  readonly state: Pick<MeetingState, 'addProducer' | 'removeProducers'>;
  readonly log: Logger;
  readonly main: { readonly key: string; readonly roomId: string };
  readonly closed: boolean;
}

/** After SIGTERM, how long ffmpeg has to exit before SIGKILL, ms. */
const KILL_AFTER_MS = 2_000;

/** A clip source's peer id (and stage key): the same for the same clip, so a restart keeps its place on the stage. */
export function clipPeerId(name: string): string {
  return CLIP_PEER_PREFIX + createHash('sha256').update(name).digest('hex').slice(0, 12);
}

interface Playing {
  meeting: ClipMeeting;
  clip: ClipFile;
  key: string;
  startedAt: number;
  child: ChildProcess;
  exited: Promise<void>;
  transportIds: string[];
  producerIds: string[];
  stderr: string[];
}

export type ClipEndReason = 'ended' | 'stopped' | 'replaced' | 'ffmpeg_died' | 'meeting_closed' | 'room_lost' | 'shutdown';

export class ClipPlayer {
  readonly library: ClipLibrary;
  readonly #settings: ClipSettings;
  readonly #log: Logger;
  /** meeting id → its clip playing now. */
  readonly #playing = new Map<string, Playing>();
  /** meeting id → the tail of its chain of changes. */
  readonly #ops = new Map<string, Promise<unknown>>();
  /** Clips ended, by reason (metrics and tests). */
  readonly ends: Record<ClipEndReason, number> = { ended: 0, stopped: 0, replaced: 0, ffmpeg_died: 0, meeting_closed: 0, room_lost: 0, shutdown: 0 };

  constructor(settings: ClipSettings, sfu: SfuControl, log: Logger) {
    this.#settings = settings;
    this.#log = log;
    this.library = new ClipLibrary(settings, log);
    sfu.on('roomsLost', ({ roomIds }) => {
      for (const p of this.#playing.values()) if (roomIds.includes(p.meeting.main.roomId)) void this.stop(p.meeting.id, 'room_lost');
    });
  }

  /** The clip playing in a meeting (from this node), as the protocol shows it. */
  playing(meetingId: string): PlayingClip | null {
    const p = this.#playing.get(meetingId);
    return p ? { name: p.clip.name, title: p.clip.title, durationS: p.clip.durationS, key: p.key, startedAt: p.startedAt } : null;
  }

  /** The pid of the ffmpeg playing a meeting's clip (tests). */
  pid(meetingId: string): number | undefined {
    return this.#playing.get(meetingId)?.child.pid;
  }

  /** Plays a clip of the library into the meeting's main session, replacing the one playing. Throws not_found for an unknown clip, before anything starts. */
  async play(meeting: ClipMeeting, name: string): Promise<PlayingClip> {
    const clip = await this.library.find(name);
    if (!clip) throw new AppError('not_found', 'clip not found');
    return this.#serial(meeting.id, async () => {
      await this.#end(meeting.id, 'replaced');
      if (meeting.closed) throw new AppError('conflict', 'the meeting closed');
      await this.#start(meeting, clip);
      return this.playing(meeting.id)!;
    });
  }

  /** Stops the meeting's clip; false when none was playing. */
  stop(meetingId: string, reason: ClipEndReason = 'stopped'): Promise<boolean> {
    return this.#serial(meetingId, () => this.#end(meetingId, reason));
  }

  /** Stops every clip (the node shuts down). */
  async close(): Promise<void> {
    await Promise.all([...this.#playing.keys()].map((id) => this.stop(id, 'shutdown')));
  }

  #serial<T>(meetingId: string, task: () => Promise<T>): Promise<T> {
    const prev = this.#ops.get(meetingId) ?? Promise.resolve();
    const next = prev.then(task, task);
    const tail = next.catch(() => undefined);
    this.#ops.set(meetingId, tail);
    void tail.then(() => {
      if (this.#ops.get(meetingId) === tail) this.#ops.delete(meetingId);
    });
    return next;
  }

  async #start(meeting: ClipMeeting, clip: ClipFile): Promise<void> {
    const { sfu } = meeting;
    const roomId = meeting.main.roomId;
    const kinds: MediaKind[] = [...(clip.hasVideo ? (['video'] as const) : []), ...(clip.hasAudio ? (['audio'] as const) : [])];
    const transports: Partial<Record<MediaKind, IngestTransport>> = {};
    const producers: { kind: MediaKind; id: string }[] = [];
    try {
      for (const kind of kinds) {
        const t = await sfu.createIngestTransport(roomId);
        transports[kind] = t;
        producers.push({ kind, id: (await sfu.produce(t.id, kind, clipRtpParameters(kind))).producerId });
      }
    } catch (error) {
      await Promise.all(Object.values(transports).map((t) => sfu.closeTransport(t.id).catch(() => undefined)));
      throw error;
    }
    const transportIds = Object.values(transports).map((t) => t.id);
    const args = clipFfmpegArgs(clip.path, transports);
    const child = spawn(this.#settings.ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const stderr: string[] = [];
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr.push(...chunk.split('\n').filter(Boolean));
      if (stderr.length > 20) stderr.splice(0, stderr.length - 20);
    });
    const spawned = await new Promise<Error | null>((resolve) => {
      child.once('spawn', () => resolve(null));
      child.once('error', (error) => resolve(error));
    });
    const key = clipPeerId(clip.name);
    const playing: Playing = { meeting, clip, key, startedAt: Date.now(), child, exited, transportIds, producerIds: producers.map((p) => p.id), stderr };
    if (spawned) {
      await Promise.all(transportIds.map((id) => sfu.closeTransport(id).catch(() => undefined)));
      meeting.log.error({ err: String(spawned), ffmpeg: this.#settings.ffmpegPath }, 'cannot start ffmpeg for a clip');
      throw new AppError('internal', 'the clip player could not start');
    }
    this.#playing.set(meeting.id, playing);
    child.once('exit', (code, signal) => {
      if (this.#playing.get(meeting.id) !== playing) return;
      const clean = code === 0;
      if (!clean) meeting.log.warn({ clip: clip.name, code, signal, stderr: stderr.slice(-5) }, 'clip ffmpeg died');
      void this.#serial(meeting.id, async () => {
        if (this.#playing.get(meeting.id) === playing) await this.#end(meeting.id, clean ? 'ended' : 'ffmpeg_died');
      });
    });
    for (const p of producers) {
      const published: PublishedProducer = {
        id: p.id,
        kind: p.kind,
        source: p.kind === 'video' ? 'camera' : 'mic',
        peerId: key,
        peerName: clip.title,
        sessionKey: meeting.main.key,
        roomId,
        national: true,
        sessionHost: true,
        stage: 'presenter',
      };
      await meeting.state.addProducer(published);
    }
    meeting.log.info({ clip: clip.name, key, pid: child.pid, durationS: clip.durationS }, 'clip playing');
  }

  /** Ends the meeting's clip (run in its chain): ffmpeg stopped, producers unpublished, transports closed. */
  async #end(meetingId: string, reason: ClipEndReason): Promise<boolean> {
    const p = this.#playing.get(meetingId);
    if (!p) return false;
    this.#playing.delete(meetingId);
    this.ends[reason] += 1;
    const { meeting, child } = p;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
      await p.exited;
      clearTimeout(timer);
    }
    // As a participant's producers go: the store first (every node stops offering them), then the SFU.
    await meeting.state.removeProducers(p.producerIds).catch((error: unknown) => meeting.log.warn({ err: String(error) }, "removing a clip's producers failed"));
    await Promise.all(p.transportIds.map((id) => meeting.sfu.closeTransport(id).catch(() => undefined)));
    meeting.log.info({ clip: p.clip.name, reason }, 'clip ended');
    return true;
  }
}
