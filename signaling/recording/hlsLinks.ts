/**
 * Signed HLS links: what lets a cache tier (deploy/nginx/hls-cache.conf) serve a meeting's HLS to
 * its audience without asking the origin who may watch on every request.
 *
 * The audience check stays where it was: a playlist asked for with the participant's token
 * (`Authorization: Bearer`). When links are configured, that answer is a master playlist whose one
 * variant is a signed link to the stream's folder:
 *
 *     /hls/<expires>/<signature>/<meeting>/live/<session>/<liveId>/index.m3u8
 *     /hls/<expires>/<signature>/<meeting>/rec/<recordingId>/index.m3u8
 *
 * The media playlist lists its segments by relative name, so every segment URL inherits the same
 * prefix; the media playlist and the segments are then the same bytes for every viewer, and a
 * cache keys them on the folder and file alone (100 teachers share one cached object).
 *
 * What is signed is a grant to one stream's folder until `expires` (seconds since the epoch):
 *     signature = base64url(MD5("<expires>|<meeting>|<folder>|<secret>"))
 * which is exactly nginx's `secure_link_md5`, so the cache checks every request itself, a cached
 * object included, before serving it; the origin checks it again on a miss. (nginx offers no HMAC
 * without a scripting module; the secret ends the hashed string, so MD5's length extension does not
 * apply, and every signed field is chosen by the server, not the viewer. See docs/large-audiences.md.)
 * The folder, not each file, is signed because the audience decision is per meeting: a per-file
 * signature would give no less access and would make every viewer's playlist different.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../protocol/errors';
import { MEETING_ID, RECORDING_ID } from './recordingTypes';
import { SESSION_KEY } from './LiveStreams';

export interface HlsLinkSettings {
  /** Shared by every signaling node and every cache node. */
  secret: string;
  /** How long a link is good for, seconds. */
  ttlS: number;
  /** Base URL pages fetch signed links from (the cache tier); '' for the page's own origin. */
  baseUrl: string;
}

/** A stream's folder: a live stream (session and live id) or a recording. */
export type HlsFolder = { kind: 'live'; sessionKey: string; liveId: string } | { kind: 'rec'; recordingId: string };

/** A live stream's id, as the recording manager makes them (the same form as a recording id). */
const LIVE_ID = RECORDING_ID;
export const HLS_FILE = /^(index\.m3u8|subs\.m3u8|r[0-9]{1,6}-[0-9]{1,9}\.(ts|vtt))$/;
const EXPIRES = /^[0-9]{1,12}$/;
const SIGNATURE = /^[A-Za-z0-9_-]{22}$/;

export function folderPath(folder: HlsFolder): string {
  return folder.kind === 'live' ? `live/${folder.sessionKey}/${folder.liveId}` : `rec/${folder.recordingId}`;
}

function validFolder(folder: HlsFolder): boolean {
  return folder.kind === 'live' ? SESSION_KEY.test(folder.sessionKey) && LIVE_ID.test(folder.liveId) : RECORDING_ID.test(folder.recordingId);
}

function digest(secret: string, expires: number, meetingId: string, folder: HlsFolder): Buffer {
  return createHash('md5').update(`${expires}|${meetingId}|${folderPath(folder)}|${secret}`).digest();
}

export class HlsLinks {
  readonly settings: HlsLinkSettings;

  constructor(settings: HlsLinkSettings) {
    this.settings = settings;
  }

  /** The signed path prefix of a folder, good until now + ttl: `/hls/<exp>/<sig>/<meeting>/<folder>/`. */
  prefix(meetingId: string, folder: HlsFolder, now = Date.now()): string {
    if (!MEETING_ID.test(meetingId) || !validFolder(folder)) throw new AppError('bad_request', 'invalid stream');
    const expires = Math.floor(now / 1000) + this.settings.ttlS;
    const sig = digest(this.settings.secret, expires, meetingId, folder).toString('base64url');
    return `/hls/${expires}/${sig}/${meetingId}/${folderPath(folder)}/`;
  }

  /** The absolute (or root-relative) URL of a file of the folder, signed. */
  url(meetingId: string, folder: HlsFolder, file: string, now = Date.now()): string {
    return `${this.settings.baseUrl}${this.prefix(meetingId, folder, now)}${file}`;
  }

  /**
   * Checks a signed request's parts (as the route received them). Throws `bad_request` (400) for
   * malformed parts, `forbidden` (403) for a signature that is not ours for this folder, and
   * `unauthorized` (401, the link has expired: ask for the playlist again with the token).
   */
  verify(expires: string, signature: string, meetingId: string, folder: HlsFolder, file: string, now = Date.now()): void {
    if (!EXPIRES.test(expires) || !SIGNATURE.test(signature) || !MEETING_ID.test(meetingId) || !validFolder(folder) || !HLS_FILE.test(file)) {
      throw new AppError('bad_request', 'invalid signed HLS link');
    }
    const expected = digest(this.settings.secret, Number(expires), meetingId, folder);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new AppError('forbidden', 'this HLS link is not valid');
    if (Number(expires) * 1000 < now) throw new AppError('unauthorized', 'this HLS link has expired; ask for the playlist again');
  }
}

/**
 * The master playlist a participant gets with their token: one variant, the signed media
 * playlist. BANDWIDTH is required by the format; hls.js uses it only to choose among variants.
 */
export function masterPlaylist(mediaUrl: string): string {
  return ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS', '#EXT-X-STREAM-INF:BANDWIDTH=1200000', mediaUrl, ''].join('\n');
}
