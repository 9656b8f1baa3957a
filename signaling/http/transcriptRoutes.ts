/**
 * A meeting's transcript, written by its captioners: `GET /api/meetings/:id/transcript.vtt` (WebVTT,
 * times from the first line) and `.txt` (each line with its time in Việt Nam's local time, as the
 * other exports: attendance/viFormat.ts). For whoever may see the meeting: its hosts and its
 * audience (the join decision's audience rule, as for recordings), during the meeting and after.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { TokenVerifier } from '../auth/tokens';
import { bearerClaims } from './bearer';
import type { JoinAuthorizer } from '../meeting/JoinAuthorizer';
import { AppError } from '../protocol/errors';
import { MEETING_ID } from '../recording/recordingTypes';
import { VN_ZONE, vnTime } from '../attendance/viFormat';
import type { CaptionLog } from '../store/captionTypes';
import { transcriptText, transcriptVtt } from '../captions/webvtt';

export interface TranscriptRouteDeps {
  captions: Pick<CaptionLog, 'transcript'>;
  tokens: TokenVerifier;
  authorizer: Pick<JoinAuthorizer, 'inAudience'>;
}

export function transcriptRouter(deps: TranscriptRouteDeps): Router {
  const router = express.Router();
  router.get('/api/meetings/:meetingId/transcript.:format', (req: Request, res: Response, next: NextFunction) => {
    void (async () => {
      const claims = bearerClaims(deps.tokens, req);
      const meetingId = String(req.params.meetingId);
      const format = String(req.params.format);
      if (!MEETING_ID.test(meetingId)) throw new AppError('bad_request', 'invalid meeting id');
      if (format !== 'vtt' && format !== 'txt') throw new AppError('not_found', 'a transcript is .vtt or .txt');
      await deps.authorizer.inAudience(claims, meetingId);
      const cues = await deps.captions.transcript(meetingId);
      const local = (ms: number): string => vnTime(new Date(ms));
      res.setHeader('Cache-Control', 'private, no-cache');
      if (format === 'vtt') {
        res.type('text/vtt; charset=utf-8').attachment(`phu-de-${meetingId}.vtt`);
        res.send(transcriptVtt(cues, `Phụ đề cuộc họp ${meetingId}`, (ms) => `${local(ms)} (${VN_ZONE})`));
      } else {
        res.type('text/plain; charset=utf-8').attachment(`phu-de-${meetingId}.txt`);
        res.send(transcriptText(cues, [`Phụ đề cuộc họp ${meetingId}`, `Thời gian: ${VN_ZONE}`, `Số dòng: ${cues.length}`], local));
      }
    })().catch(next);
  });
  return router;
}
