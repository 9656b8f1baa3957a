/**
 * Recordings on disk: `<dir>/<meetingId>/<recordingId>/` holds the HLS playlist, its segments and
 * `recording.json` (the description). Ids are checked before any path is made, so nothing outside
 * the folder is ever read, written or deleted. Each description written is also told to the
 * cluster's HLS index, within a bound.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { logger } from '../../common/log';
import { AppError } from '../protocol/errors';
import { PLAYLIST } from './Recorder';
import { SUBS_PLAYLIST } from './hlsSubtitles';
import { MEETING_ID, RECORDING_ID, type RecordingInfo } from './recordingTypes';

const log = logger('recording');

/** How long writing a recording's description may wait for the HLS index, ms. */
const INDEX_TIMEOUT_MS = 2_000;

export class RecordingFolders {
  readonly dir: string;
  #indexer: ((info: RecordingInfo) => Promise<void>) | null = null;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** The folder of a meeting's recordings, or of one recording; `bad_request` for an invalid id. */
  folder(meetingId: string, recordingId?: string): string {
    if (!MEETING_ID.test(meetingId)) throw new AppError('bad_request', 'invalid meeting id');
    if (recordingId !== undefined && !RECORDING_ID.test(recordingId)) throw new AppError('bad_request', 'invalid recording id');
    return recordingId === undefined ? path.join(this.dir, meetingId) : path.join(this.dir, meetingId, recordingId);
  }

  /** Tells the cluster's HLS index about each description written. */
  indexWith(indexer: (info: RecordingInfo) => Promise<void>): void {
    this.#indexer = indexer;
  }

  /** Writes a recording's description (atomically: a reader never sees half of it), then indexes it. */
  async writeInfo(info: RecordingInfo): Promise<void> {
    const file = path.join(this.folder(info.meetingId, info.id), 'recording.json');
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

  /** A meeting's recordings as written on disk; `live` answers for those being recorded now. */
  async list(meetingId: string, live: (recordingId: string) => RecordingInfo | undefined): Promise<RecordingInfo[]> {
    const dir = this.folder(meetingId);
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    const out: RecordingInfo[] = [];
    for (const name of names) {
      if (!RECORDING_ID.test(name)) continue;
      const now = live(name);
      if (now) {
        out.push(now);
        continue;
      }
      const text = await fs.readFile(path.join(dir, name, 'recording.json'), 'utf8').catch(() => null);
      if (text) out.push(JSON.parse(text) as RecordingInfo);
    }
    return out.sort((a, b) => b.startedAt - a.startedAt);
  }

  /** The meetings that have a folder here. */
  async meetings(): Promise<string[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    return names.filter((m) => MEETING_ID.test(m));
  }

  /** Deletes one recording's folder. */
  async remove(meetingId: string, recordingId: string): Promise<void> {
    await fs.rm(this.folder(meetingId, recordingId), { recursive: true, force: true });
  }

  /** The file of a recording to serve, or null (ids and file names are checked). */
  fileOf(meetingId: string, recordingId: string, file: string): string | null {
    if (!MEETING_ID.test(meetingId) || !RECORDING_ID.test(recordingId)) return null;
    if (file !== PLAYLIST && file !== SUBS_PLAYLIST && !/^r[0-9]{1,6}-[0-9]{1,9}\.(ts|vtt)$/.test(file)) return null;
    return path.join(this.folder(meetingId, recordingId), file);
  }
}
