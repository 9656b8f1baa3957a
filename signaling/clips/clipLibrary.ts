/**
 * The clip library: the files of one folder that a producer may play. Only regular files directly
 * in the folder, with a valid name (protocol/clips.ts CLIP_NAME) and a known extension, are
 * listed; a clip is found by looking its name up in that listing, so no path is ever built from
 * what a client sent. Each file is probed once (ffprobe: length, streams) and the answer kept
 * while its size and modification time stay the same.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../../common/log';
import { CLIP_NAME, MAX_LISTED_CLIPS } from '../protocol/clips';
import type { ClipFile, ClipSettings } from './clipTypes';

const run = promisify(execFile);

/** A probe longer than this is given up (the file is not listed), ms. */
const PROBE_TIMEOUT_MS = 10_000;

interface Probe {
  durationS: number;
  hasVideo: boolean;
  hasAudio: boolean;
}

/** The title the audience sees: the name without its extension, underscores as spaces. */
export function clipTitle(name: string): string {
  return name.replace(/\.[^.]+$/, '').replace(/_/g, ' ').trim() || name;
}

export class ClipLibrary {
  readonly #settings: ClipSettings;
  readonly #log: Logger;
  /** name → the probe of the file as it was (size and mtime); null: ffprobe could not read it. */
  readonly #probes = new Map<string, { stamp: string; probe: Probe | null }>();

  constructor(settings: ClipSettings, log: Logger) {
    this.#settings = settings;
    this.#log = log;
  }

  get dir(): string {
    return this.#settings.dir;
  }

  /** The playable clips, by name (a missing folder is an empty library). */
  async list(): Promise<ClipFile[]> {
    let names: string[];
    try {
      names = (await fs.readdir(this.#settings.dir)).filter((n) => CLIP_NAME.test(n)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.#log.warn({ dir: this.#settings.dir, err: String(error) }, 'cannot read the clips folder');
      return [];
    }
    const out: ClipFile[] = [];
    for (const name of names) {
      if (out.length >= MAX_LISTED_CLIPS) break;
      const clip = await this.#file(name);
      if (clip) out.push(clip);
    }
    return out;
  }

  /** A clip by its name, or null when the library has no playable file of that name. */
  async find(name: string): Promise<ClipFile | null> {
    if (!CLIP_NAME.test(name)) return null;
    const names = await fs.readdir(this.#settings.dir).catch(() => [] as string[]);
    // The name must be one the folder lists: never a path made from the client's text alone.
    if (!names.includes(name)) return null;
    return this.#file(name);
  }

  async #file(name: string): Promise<ClipFile | null> {
    const file = path.join(this.#settings.dir, name);
    // lstat: a symbolic link (which could lead out of the folder) is not a clip.
    const stat = await fs.lstat(file).catch(() => null);
    if (!stat?.isFile()) return null;
    const stamp = `${stat.size}:${stat.mtimeMs}`;
    let known = this.#probes.get(name);
    if (known?.stamp !== stamp) {
      known = { stamp, probe: await this.#probe(file) };
      this.#probes.set(name, known);
    }
    const probe = known.probe;
    if (!probe || (!probe.hasVideo && !probe.hasAudio)) return null;
    return { name, title: clipTitle(name), path: file, ...probe };
  }

  async #probe(file: string): Promise<Probe | null> {
    try {
      const { stdout } = await run(
        this.#settings.ffprobePath,
        ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type', '-of', 'json', file],
        { timeout: PROBE_TIMEOUT_MS, maxBuffer: 1_000_000 },
      );
      const parsed = JSON.parse(stdout) as { format?: { duration?: string }; streams?: { codec_type?: string }[] };
      const durationS = Number.parseFloat(parsed.format?.duration ?? '');
      const types = new Set((parsed.streams ?? []).map((s) => s.codec_type));
      return { durationS: Number.isFinite(durationS) ? Math.round(durationS * 10) / 10 : 0, hasVideo: types.has('video'), hasAudio: types.has('audio') };
    } catch (error) {
      this.#log.warn({ file, err: String(error).slice(0, 300) }, 'ffprobe could not read a clip: not listed');
      return null;
    }
  }
}
