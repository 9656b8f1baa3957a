/** What the clip library and player share: their settings and a clip file as probed. */

export interface ClipSettings {
  /** The library folder (absolute). */
  dir: string;
  ffmpegPath: string;
  ffprobePath: string;
}

/** A listed clip file, probed with ffprobe. */
export interface ClipFile {
  name: string;
  title: string;
  /** Absolute path, inside the library folder. */
  path: string;
  durationS: number;
  hasVideo: boolean;
  hasAudio: boolean;
}
