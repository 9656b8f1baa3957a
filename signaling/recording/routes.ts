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
 */
import fs from 'node:fs';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { TokenVerifier } from '../auth/tokens';
import type { JoinAuthorizer } from '../meetings/JoinAuthorizer';
import { AppError } from '../protocol/errors';
import type { RecordingSummary } from '../protocol/events';
import { PLAYLIST } from './Recorder';
import { MEETING_ID, type RecordingManager } from './RecordingManager';

export interface RecordingRouteDeps {
  recordings: RecordingManager;
  tokens: TokenVerifier;
  /** Who is in a meeting's audience (the join decision's audience part). */
  authorizer: Pick<JoinAuthorizer, 'inAudience'>;
}

const SEGMENT_CACHE = 'private, max-age=31536000, immutable';

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

export function recordingRouter(deps: RecordingRouteDeps): Router {
  const router = express.Router();

  router.get(
    '/api/meetings/:meetingId/recordings',
    wrap(async (req, res) => {
      await audience(deps, req);
      const list = await deps.recordings.list(String(req.params.meetingId));
      const out: RecordingSummary[] = list.map((r) => ({
        id: r.id,
        sessionKey: r.sessionKey,
        startedAt: r.startedAt,
        endedAt: r.endedAt,
        durationS: Math.round(r.durationS * 10) / 10,
        gaps: r.gaps.map((g) => ({ from: g.from, to: g.to })),
      }));
      res.setHeader('Cache-Control', 'private, no-cache');
      res.json({ recordings: out });
    }),
  );

  router.get(
    '/api/meetings/:meetingId/recordings/:recordingId/:file',
    wrap(async (req, res) => {
      await audience(deps, req);
      const { meetingId, recordingId, file } = req.params as Record<string, string>;
      const full = deps.recordings.fileOf(meetingId!, recordingId!, file!);
      if (!full || !fs.existsSync(full)) throw new AppError('not_found', 'no such recording file');
      const isPlaylist = file === PLAYLIST;
      const cache = isPlaylist ? (deps.recordings.isLive(recordingId!) ? 'private, max-age=1' : 'private, max-age=3600') : SEGMENT_CACHE;
      await new Promise<void>((resolve, reject) => {
        res.sendFile(
          full,
          {
            acceptRanges: true,
            cacheControl: false,
            lastModified: true,
            etag: true,
            dotfiles: 'deny',
            headers: {
              'Cache-Control': cache,
              'Content-Type': isPlaylist ? 'application/vnd.apple.mpegurl' : 'video/mp2t',
            },
          },
          (err) => (err && !res.headersSent ? reject(new AppError('not_found', 'no such recording file')) : resolve()),
        );
      });
    }),
  );

  return router;
}
