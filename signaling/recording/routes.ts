/**
 * HTTP side of recordings: a meeting's list, and its playlists and segments for hls.js (live
 * and replay). Every request carries the participant's token in `Authorization: Bearer`, never
 * in the URL (hls.js adds the header through `xhrSetup`); its holder must be in the meeting's
 * audience, decided by the join authorizer's audience rule (the same one joining uses: with a
 * database, the teacher's school against the meeting's audience; without one, the token's
 * meeting list), whatever the meeting's state (a replay follows the meeting's end), else 403.
 *
 * Caching a CDN can honour: segments never change once listed (ffmpeg renames each into place
 * when complete), so they are immutable for a year, with ETag, Last-Modified and byte ranges; a
 * live playlist changes every segment (max-age 1 s), an ended one not at all (1 h). Both are
 * `private`: they are behind the audience check.
 *
 * With signed links (HOINGHI_HLS_LINK_SECRET, hlsLinks.ts), a playlist asked for with the token
 * is answered by a master playlist naming the signed media playlist (on the cache tier when
 * HOINGHI_HLS_CACHE_URL is set), and `/hls/...` serves signed links without a token, `public`.
 *
 * In a cluster any node answers: a file this node does not have is passed to the node that has it
 * (the HLS index says which: a recording's maker, a live stream's origin), and the list of a
 * meeting's recordings is the index's, every node's.
 */
import fs from 'node:fs';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { TokenVerifier } from '../auth/tokens';
import type { JoinAuthorizer } from '../meeting/JoinAuthorizer';
import { AppError } from '../protocol/errors';
import type { RecordingSummary } from '../protocol/events';
import type { RecordingsAnswer } from '../protocol/http';
import { PLAYLIST } from './Recorder';
import { type RecordingManager } from './RecordingManager';
import { MEETING_ID, RECORDING_ID, type RecordingInfo } from './recordingTypes';
import type { HlsIndex, HlsNode } from './hlsIndex';
import { SESSION_KEY, type LiveStreams } from './LiveStreams';
import { isHop, proxyTo } from './proxy';
import { folderPath, masterPlaylist, type HlsFolder, type HlsLinks } from './hlsLinks';
import { MASTER_PLAYLIST, SUBS_PLAYLIST, masterPlaylist as subtitledMaster } from './hlsSubtitles';

const isPlaylistFile = (file: string): boolean => file === PLAYLIST || file === SUBS_PLAYLIST;

/** Recording ids carry their session (`…-main-…`): the main session's have the subtitles rendition. */
const recordingSession = (recordingId: string): string => recordingId.split('-')[1] ?? '';

export interface RecordingRouteDeps {
  recordings: RecordingManager;
  live: LiveStreams;
  index: HlsIndex;
  self: () => HlsNode;
  /** Signaling nodes alive now (a recording whose node is gone is listed as ended). */
  aliveNodes: () => Promise<string[]>;
  tokens: TokenVerifier;
  /** Who is in a meeting's audience (the join decision's audience part). */
  authorizer: Pick<JoinAuthorizer, 'inAudience'>;
  /** Signed links for a cache tier (HOINGHI_HLS_LINK_SECRET); undefined: every request carries the token. */
  links?: HlsLinks;
}

const SEGMENT_CACHE = 'private, max-age=31536000, immutable';
const LIVE_PLAYLIST_CACHE = 'private, max-age=1';

/** Sends one HLS file (playlist or segment) with the caching headers above. */
function sendHls(res: Response, full: string, isPlaylist: boolean, cache: string): Promise<void> {
  const type = isPlaylist ? 'application/vnd.apple.mpegurl' : full.endsWith('.vtt') ? 'text/vtt; charset=utf-8' : 'video/mp2t';
  return new Promise<void>((resolve, reject) => {
    res.sendFile(
      full,
      {
        acceptRanges: true,
        cacheControl: false,
        lastModified: true,
        etag: true,
        dotfiles: 'allow',
        headers: {
          'Cache-Control': cache,
          'Content-Type': type,
        },
      },
      (err) => (err && !res.headersSent ? reject(new AppError('not_found', 'no such recording file')) : resolve()),
    );
  });
}

/** This node's recordings and the index's (every node's), one entry per id; this node's own win. */
async function meetingRecordings(deps: RecordingRouteDeps, meetingId: string): Promise<RecordingInfo[]> {
  const local = await deps.recordings.list(meetingId);
  const seen = new Set(local.map((r) => r.id));
  const indexed = await deps.index.recordings(meetingId).catch(() => []);
  const others = indexed.filter((e) => !seen.has(e.info.id) && e.node.id !== deps.self().id);
  if (others.length === 0) return local;
  const alive = new Set(await deps.aliveNodes().catch(() => [] as string[]));
  const remote = others.map((e) =>
    // A recording whose node died mid-way ended there, with what it had written.
    e.info.endedAt === null && !alive.has(e.node.id) ? { ...e.info, endedAt: e.info.startedAt + e.info.durationS * 1000 } : e.info,
  );
  return [...local, ...remote].sort((a, b) => b.startedAt - a.startedAt);
}

/** Resolves when the bearer token's holder is in the meeting's audience (401 without a valid token, 403 outside). */
async function audience(deps: RecordingRouteDeps, req: Request): Promise<void> {
  const header = req.headers.authorization;
  const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
  if (!token) throw new AppError('unauthorized', 'send the meeting token as Authorization: Bearer');
  const claims = deps.tokens.verify(token);
  const meetingId = String(req.params.meetingId);
  if (!MEETING_ID.test(meetingId)) throw new AppError('bad_request', 'invalid meeting id');
  await deps.authorizer.inAudience(claims, meetingId);
}

const wrap =
  (fn: (req: Request, res: Response) => Promise<void> | void) =>
  (req: Request, res: Response, next: NextFunction): void => {
    Promise.resolve()
      .then(() => fn(req, res))
      .catch(next);
  };

/**
 * How an answer may be cached: `private` behind the token check, `public` for a signed link
 * (the cache tier checks the signature itself). `forward` is the path another node is asked for
 * when it has the files (null: the bearer route's own path).
 */
interface CachePolicy {
  segment: string;
  livePlaylist: string;
  endedPlaylist: string;
  forward: string | null;
}

const PRIVATE: CachePolicy = { segment: SEGMENT_CACHE, livePlaylist: LIVE_PLAYLIST_CACHE, endedPlaylist: 'private, max-age=3600', forward: null };
const PUBLIC: Omit<CachePolicy, 'forward'> = { segment: 'public, max-age=31536000, immutable', livePlaylist: 'public, max-age=1', endedPlaylist: 'public, max-age=3600' };

/** The master playlist of a signed link: never cached (its signature is of this moment). */
function sendMaster(res: Response, mediaUrl: string): void {
  res.setHeader('Cache-Control', 'private, no-store');
  res.setHeader('Content-Type', 'application/vnd.apple.mpegurl');
  res.send(masterPlaylist(mediaUrl));
}

/**
 * `master.m3u8` of a stream: the video playlist as its variant and, for the main session when
 * captions are kept, the WebVTT subtitles rendition. Relative names (the files beside it), or
 * signed links to both when links are configured. Made here, not read from disk: any node answers.
 */
function sendSubtitledMaster(deps: RecordingRouteDeps, res: Response, meetingId: string, folder: HlsFolder, main: boolean): void {
  const subtitles = main && deps.recordings.hasSubtitles;
  const links = deps.links;
  const text = links
    ? subtitledMaster(links.url(meetingId, folder, PLAYLIST), subtitles ? links.url(meetingId, folder, SUBS_PLAYLIST) : null)
    : subtitledMaster(PLAYLIST, subtitles ? SUBS_PLAYLIST : null);
  res.setHeader('Cache-Control', links ? 'private, no-store' : 'private, max-age=60');
  res.setHeader('Content-Type', 'application/vnd.apple.mpegurl');
  res.send(text);
}

/** A recording's playlist or segment: from this node's disk, or from the node that made it. */
async function serveRecording(deps: RecordingRouteDeps, req: Request, res: Response, meetingId: string, recordingId: string, file: string, cache: CachePolicy): Promise<void> {
  const full = deps.recordings.fileOf(meetingId, recordingId, file);
  if (!full) throw new AppError('not_found', 'no such recording file');
  if (!fs.existsSync(full)) {
    // Made by another node: pass the request there (once).
    if (!isHop(req) && RECORDING_ID.test(recordingId)) {
      const entry = await deps.index.recording(meetingId, recordingId);
      if (entry && entry.node.id !== deps.self().id) {
        await proxyTo(entry.node.url, cache.forward ?? `/api/meetings/${meetingId}/recordings/${recordingId}/${file}`, req, res, deps.live);
        return;
      }
    }
    throw new AppError('not_found', 'no such recording file');
  }
  const isPlaylist = isPlaylistFile(file);
  await sendHls(res, full, isPlaylist, isPlaylist ? (deps.recordings.isLive(recordingId) ? cache.livePlaylist : cache.endedPlaylist) : cache.segment);
}

/** A live stream's playlist or segment: from this node when it is the origin, else from the origin. */
async function serveLive(deps: RecordingRouteDeps, req: Request, res: Response, meetingId: string, sessionKey: string, liveId: string, file: string, cache: CachePolicy): Promise<void> {
  const full = deps.live.fileOf(meetingId, liveId, file);
  if (!full) throw new AppError('not_found', 'no such live stream file');
  const isPlaylist = isPlaylistFile(file);
  if (deps.live.isRunning(liveId)) {
    deps.live.touched(meetingId, sessionKey);
    if (!fs.existsSync(full)) {
      if (isPlaylist) throw new AppError('unavailable', 'the delayed stream is starting', 2_000);
      throw new AppError('not_found', 'no such live stream file');
    }
    await sendHls(res, full, isPlaylist, isPlaylist ? cache.livePlaylist : cache.segment);
    return;
  }
  if (!isHop(req)) {
    const origin = await deps.live.origin(meetingId, sessionKey);
    if (origin && origin.node.id !== deps.self().id && origin.liveId === liveId) {
      await proxyTo(origin.node.url, cache.forward ?? `/api/meetings/${meetingId}/live/${sessionKey}/${liveId}/${file}`, req, res, deps.live);
      return;
    }
  }
  // Stopped here a moment ago: its last files stay a little while for players finishing.
  if (fs.existsSync(full)) {
    await sendHls(res, full, isPlaylist, isPlaylist ? cache.endedPlaylist : cache.segment);
    return;
  }
  throw new AppError('not_found', 'this live stream has ended; ask for the delayed stream again');
}

export function recordingRouter(deps: RecordingRouteDeps): Router {
  const router = express.Router();

  router.get(
    '/api/meetings/:meetingId/recordings',
    wrap(async (req, res) => {
      await audience(deps, req);
      const list = await meetingRecordings(deps, String(req.params.meetingId));
      const out: RecordingSummary[] = list.map((r) => ({
        id: r.id,
        sessionKey: r.sessionKey,
        startedAt: r.startedAt,
        endedAt: r.endedAt,
        stopReason: r.stopReason,
        durationS: Math.round(r.durationS * 10) / 10,
        gaps: r.gaps.map((g) => ({ from: g.from, to: g.to })),
      }));
      res.setHeader('Cache-Control', 'private, no-cache');
      res.json({ recordings: out } satisfies RecordingsAnswer);
    }),
  );

  router.get(
    '/api/meetings/:meetingId/recordings/:recordingId/:file',
    wrap(async (req, res) => {
      await audience(deps, req);
      const { meetingId, recordingId, file } = req.params as Record<string, string>;
      if (file === MASTER_PLAYLIST) {
        if (!RECORDING_ID.test(recordingId!)) throw new AppError('not_found', 'no such recording file');
        sendSubtitledMaster(deps, res, meetingId!, { kind: 'rec', recordingId: recordingId! }, recordingSession(recordingId!) === 'main');
        return;
      }
      if (deps.links && file === PLAYLIST && RECORDING_ID.test(recordingId!)) {
        sendMaster(res, deps.links.url(meetingId!, { kind: 'rec', recordingId: recordingId! }, PLAYLIST));
        return;
      }
      await serveRecording(deps, req, res, meetingId!, recordingId!, file!, PRIVATE);
    }),
  );

  /**
   * The live stream (live/:session/:liveId/...): from this node when it is the origin, else from
   * the origin. A stream that is starting answers 503 with Retry-After; one that ended, 404 (the
   * page asks for the stream again with `watchLive`).
   */
  router.get(
    '/api/meetings/:meetingId/live/:sessionKey/:liveId/:file',
    wrap(async (req, res) => {
      await audience(deps, req);
      const { meetingId, sessionKey, liveId, file } = req.params as Record<string, string>;
      if (!SESSION_KEY.test(sessionKey!)) throw new AppError('bad_request', 'invalid session');
      if (file === MASTER_PLAYLIST) {
        if (!RECORDING_ID.test(liveId!)) throw new AppError('not_found', 'no such live stream file');
        sendSubtitledMaster(deps, res, meetingId!, { kind: 'live', sessionKey: sessionKey!, liveId: liveId! }, sessionKey === 'main');
        return;
      }
      if (deps.links && file === PLAYLIST && RECORDING_ID.test(liveId!)) {
        sendMaster(res, deps.links.url(meetingId!, { kind: 'live', sessionKey: sessionKey!, liveId: liveId! }, PLAYLIST));
        return;
      }
      await serveLive(deps, req, res, meetingId!, sessionKey!, liveId!, file!, PRIVATE);
    }),
  );

  /**
   * Signed links (hlsLinks.ts): no token, the link is the grant. What a cache tier fetches on a
   * miss; served with `public` caching, and errors with `no-store` (a cache keys these on the
   * folder and file without the signature, so a refusal must never be kept for others).
   */
  const signed = (folderOf: (p: Record<string, string>) => HlsFolder) =>
    wrap(async (req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      const links = deps.links;
      if (!links) throw new AppError('not_found', 'signed HLS links are not enabled on this server');
      const p = req.params as Record<string, string>;
      const folder = folderOf(p);
      links.verify(p.expires!, p.signature!, p.meetingId!, folder, p.file!);
      const policy: CachePolicy = { ...PUBLIC, forward: `/hls/${p.expires}/${p.signature}/${p.meetingId}/${folderPath(folder)}/${p.file}` };
      if (folder.kind === 'rec') await serveRecording(deps, req, res, p.meetingId!, folder.recordingId, p.file!, policy);
      else await serveLive(deps, req, res, p.meetingId!, folder.sessionKey, folder.liveId, p.file!, policy);
    });
  router.get('/hls/:expires/:signature/:meetingId/rec/:recordingId/:file', signed((p) => ({ kind: 'rec', recordingId: p.recordingId! })));
  router.get('/hls/:expires/:signature/:meetingId/live/:sessionKey/:liveId/:file', signed((p) => ({ kind: 'live', sessionKey: p.sessionKey!, liveId: p.liveId! })));
  router.get('/hls/*rest', (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next(new AppError('bad_request', 'invalid signed HLS link'));
  });

  return router;
}
