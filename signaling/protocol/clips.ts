/**
 * The protocol's view of clips played from the server (signaling/clips/): what a producer sees of
 * the clip library and of the clip playing in their meeting. Shared by the server and the web client.
 */

/** Kinds of file the library lists (by their extension, lower case). */
export const CLIP_EXTENSIONS = ['.mp4', '.webm', '.mkv'] as const;

/**
 * A clip's file name as the library lists it and a producer names it: letters (any script),
 * digits, spaces and `._()-`, starting with a letter or digit, with one of CLIP_EXTENSIONS. No
 * separator, no leading dot: a name is never a path.
 */
export const CLIP_NAME = /^[\p{L}\p{N}][\p{L}\p{M}\p{N} ._()-]{0,118}\.(mp4|webm|mkv)$/u;

/** The longest clip name, characters. */
export const MAX_CLIP_NAME = 128;

/** Clips listed at most (the first ones by name). */
export const MAX_LISTED_CLIPS = 200;

/** A clip of the library. */
export interface ClipEntry {
  /** The file name: what `playClip` takes. */
  name: string;
  /** What the audience sees as the source's name: the file name without its extension, `_` as spaces. */
  title: string;
  /** Its length, seconds (0 when unknown). */
  durationS: number;
}

/** The clip playing in the meeting (from this signaling node), if any. */
export interface PlayingClip extends ClipEntry {
  /** Its stage key (`clip:…`): what the producer puts on the stage. */
  key: string;
  /** When it started, ms since the epoch. */
  startedAt: number;
}

/** The prefix of a clip source's peer id and stage key (`clip:` and 12 hex digits of its name's hash). */
export const CLIP_PEER_PREFIX = 'clip:';
