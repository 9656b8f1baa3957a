/**
 * WHIP (RFC 9725) and WHEP endpoints, and the ingest tokens national hosts mint for encoders:
 *   POST   /api/meetings/:id/ingest-tokens   a national host mints a token for an encoder (JSON
 *                                            `{ name?, ttlHours? }` → 201 `{ token, whipPath, expiresAt, name }`)
 *   POST   /whip/:meetingId                  an encoder's SDP offer (`Authorization: Bearer <ingest token>`,
 *                                            `Content-Type: application/sdp`, ≤ 64 KB) → 201, Location, ETag, the answer
 *   DELETE /whip/:meetingId/:resourceId      ends it (the same ingest token, even expired)
 *   POST   /whep/:meetingId                  a viewer's offer (`Authorization: Bearer <sign-in token>` of someone
 *                                            who may join the meeting) → 201 with the broadcast
 *   DELETE /whep/:meetingId/:resourceId      ends it (the resource URL, unguessable, is the capability)
 *   PATCH  on a resource                     405: the server is ICE-lite and gives every candidate in its answer
 *   OPTIONS on either                        204 with Allow (no PATCH: clients then send their candidates in the offer)
 * Errors are the JSON `{ error: { code, message, field? } }` of every router, with 401, 403, 404,
 * 406 (nothing in the offer can be served), 409, 413 (offer over 64 KB), 415 (not application/sdp).
 * Mounted before the server's CORS rule: browsers of other origins may use these endpoints (the
 * token travels in a header, never in a cookie).
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { TokenVerifier } from '../auth/tokens';
import type { JoinAuthorizer } from '../meeting/JoinAuthorizer';
import { AppError, FieldError, forbidden, notFound } from '../protocol/errors';
import { bearerClaims } from './bearer';
import { DEFAULT_INGEST_TTL_S, MAX_INGEST_TTL_S, bearerToken, type IngestTokens } from '../whip/ingestTokens';
import { StatusError } from '../whip/sdpError';
import type { WhipIngest } from '../whip/WhipIngest';
import type { WhepPlayback } from '../whip/WhepPlayback';

export const MAX_SDP_BYTES = 64 * 1024;
export const DEFAULT_ENCODER_NAME = 'Bộ mã hoá phòng thu';

export interface WhipRouteDeps {
  tokens: TokenVerifier;
  ingestTokens: IngestTokens;
  authorizer: JoinAuthorizer;
  /** Read at request time (they are made after the router is mounted). */
  ingest: () => WhipIngest;
  playback: () => WhepPlayback;
}

const meetingIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const resourceIdSchema = z.string().regex(/^[0-9a-f]{32}$/);
const mintBody = z.object({
  name: z.string().trim().min(1).max(64).regex(/^[^\u0000-\u001F\u007F]+$/, 'control characters are not allowed').optional(),
  ttlHours: z.number().int().min(1).max(MAX_INGEST_TTL_S / 3600).optional(),
});

type Handler = (req: Request, res: Response) => Promise<void>;
const wrap =
  (fn: Handler) =>
  (req: Request, res: Response, next: NextFunction): void => {
    fn(req, res).catch(next);
  };

function meetingIdOf(req: Request): string {
  const id = meetingIdSchema.safeParse(req.params.meetingId ?? req.params.id);
  if (!id.success) throw new FieldError('meetingId', 'not a meeting id');
  return id.data;
}

function resourceIdOf(req: Request): string {
  const id = resourceIdSchema.safeParse(req.params.resourceId);
  if (!id.success) throw notFound('resource');
  return id.data;
}

/** CORS for encoders and players on other origins (bearer tokens, no cookies). */
function cors(methods: string) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Methods', methods);
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, If-Match');
    res.setHeader('Access-Control-Expose-Headers', 'Location, ETag, Link, Allow');
    res.setHeader('Allow', methods);
    res.setHeader('Cache-Control', 'no-store');
    next();
  };
}

const ENDPOINT_METHODS = 'OPTIONS, POST';
const RESOURCE_METHODS = 'OPTIONS, DELETE';

/** Refuses what is not an SDP offer before the body is read (415). */
function requireSdp(req: Request, _res: Response, next: NextFunction): void {
  next(req.is('application/sdp') ? undefined : new StatusError(415, 'bad_request', 'Content-Type must be application/sdp'));
}

const sdpBody = express.text({ type: 'application/sdp', limit: MAX_SDP_BYTES });

function offerOf(req: Request): string {
  if (typeof req.body !== 'string' || req.body.length === 0) throw new FieldError('sdp', 'the request has no SDP offer');
  return req.body;
}

export function whipRouter(deps: WhipRouteDeps): Router {
  const router = express.Router();

  // ---- ingest tokens (national hosts) ----------------------------------------------------------
  router.post(
    '/api/meetings/:id/ingest-tokens',
    express.json({ limit: '2kb' }),
    wrap(async (req, res) => {
      const claims = bearerClaims(deps.tokens, req);
      const meetingId = meetingIdOf(req);
      if (claims.role !== 'host') throw forbidden('only national hosts connect studio encoders');
      await deps.authorizer.inAudience(claims, meetingId);
      const body = mintBody.safeParse(req.body ?? {});
      if (!body.success) {
        const issue = body.error.issues[0]!;
        throw new FieldError(issue.path.join('.') || 'body', issue.message);
      }
      const name = body.data.name ?? DEFAULT_ENCODER_NAME;
      const ttlS = body.data.ttlHours ? body.data.ttlHours * 3600 : DEFAULT_INGEST_TTL_S;
      const { token, expiresAt } = deps.ingestTokens.mint(meetingId, name, claims.sub, ttlS);
      res.setHeader('Cache-Control', 'no-store');
      res.status(201).json({ token, whipPath: `/whip/${meetingId}`, expiresAt, name });
    }),
  );

  // ---- WHIP ----------------------------------------------------------------------------------------
  router.options('/whip/:meetingId', cors(ENDPOINT_METHODS), (_req, res) => void res.status(204).end());
  router.post(
    '/whip/:meetingId',
    cors(ENDPOINT_METHODS),
    requireSdp,
    sdpBody,
    wrap(async (req, res) => {
      const meetingId = meetingIdOf(req);
      const claims = deps.ingestTokens.verify(bearerToken(req.headers.authorization), meetingId);
      const { resource, answer } = await deps.ingest().start(meetingId, claims, offerOf(req));
      res.status(201).setHeader('Location', `/whip/${meetingId}/${resource.id}`).setHeader('ETag', resource.etag).type('application/sdp').send(answer);
    }),
  );
  router.options('/whip/:meetingId/:resourceId', cors(RESOURCE_METHODS), (_req, res) => void res.status(204).end());
  router.patch('/whip/:meetingId/:resourceId', cors(RESOURCE_METHODS), (_req, _res, next) => next(iceLite()));
  router.delete(
    '/whip/:meetingId/:resourceId',
    cors(RESOURCE_METHODS),
    wrap(async (req, res) => {
      const meetingId = meetingIdOf(req);
      const resourceId = resourceIdOf(req);
      deps.ingestTokens.verify(bearerToken(req.headers.authorization), meetingId, true);
      const ingest = deps.ingest();
      if (ingest.get(resourceId)?.meetingId !== meetingId || !(await ingest.end(resourceId, 'deleted'))) throw notFound('resource');
      res.status(200).end();
    }),
  );

  // ---- WHEP ----------------------------------------------------------------------------------------
  router.options('/whep/:meetingId', cors(ENDPOINT_METHODS), (_req, res) => void res.status(204).end());
  router.post(
    '/whep/:meetingId',
    cors(ENDPOINT_METHODS),
    requireSdp,
    sdpBody,
    wrap(async (req, res) => {
      const meetingId = meetingIdOf(req);
      const claims = bearerClaims(deps.tokens, req);
      await deps.authorizer.authorize(claims, meetingId);
      const { resource, answer } = await deps.playback().start(meetingId, claims.sub, offerOf(req));
      res.status(201).setHeader('Location', `/whep/${meetingId}/${resource.id}`).setHeader('ETag', resource.etag).type('application/sdp').send(answer);
    }),
  );
  router.options('/whep/:meetingId/:resourceId', cors(RESOURCE_METHODS), (_req, res) => void res.status(204).end());
  router.patch('/whep/:meetingId/:resourceId', cors(RESOURCE_METHODS), (_req, _res, next) => next(iceLite()));
  router.delete(
    '/whep/:meetingId/:resourceId',
    cors(RESOURCE_METHODS),
    wrap(async (req, res) => {
      const meetingId = meetingIdOf(req);
      const resourceId = resourceIdOf(req);
      const playback = deps.playback();
      if (playback.get(resourceId)?.meetingId !== meetingId || !(await playback.end(resourceId, 'deleted'))) throw notFound('resource');
      res.status(200).end();
    }),
  );

  router.use(whipErrors);
  return router;
}

const iceLite = (): StatusError => new StatusError(405, 'bad_request', 'trickle ICE and ICE restarts are not supported: this server is ICE-lite and its answer has every candidate; send your candidates in the offer, or start again');

/** The statuses of this router's own errors (413, 415, 406, 405); the rest goes to the server's handler. */
function whipErrors(error: unknown, req: Request, res: Response, next: NextFunction): void {
  if (!req.path.startsWith('/whip/') && !req.path.startsWith('/whep/') && !req.path.includes('/ingest-tokens')) return next(error);
  if (error instanceof StatusError) {
    res.status(error.status).json({ error: error.toWire() });
    return;
  }
  const type = (error as { type?: unknown }).type;
  if (type === 'entity.too.large') {
    res.status(413).json({ error: new AppError('bad_request', `the SDP offer is larger than ${MAX_SDP_BYTES / 1024} KB`).toWire() });
    return;
  }
  next(error);
}
