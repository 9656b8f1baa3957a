/**
 * Ending sign-ins (`Authorization: Bearer <token>`):
 *   POST /api/signout               ends the caller's own sign-in, everywhere (204)
 *   POST /api/admin/revoke {userId} a national host ends someone's sign-in, everywhere (200 with
 *                                   the instant); their sockets close on every node within seconds
 * Both go through signInEnds.ts: every token of the person issued before now is refused from then
 * on, on every node and after a restart.
 */
import { bearerClaims } from './bearer';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Claims, TokenVerifier } from '../auth/tokens';
import type { Revocation } from '../auth/revocations';
import { FieldError, forbidden } from '../protocol/errors';
import { logger } from '../../common/log';

const log = logger('sign-out');

export interface SignOutRouteDeps {
  tokens: TokenVerifier;
  /** Ends every sign-in of a person (SignInEnds.end). */
  end: (userId: string) => Promise<Revocation>;
}

const revokeBody = z.object({ userId: z.string().min(1).max(64).regex(/^[^\u0000-\u001F\u007F]+$/, 'control characters are not allowed') });

export function signOutRouter(deps: SignOutRouteDeps): Router {
  const router = express.Router();
  const claimsOf = (req: Request): Claims => bearerClaims(deps.tokens, req);
  const handle = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => void fn(req, res).catch(next);

  router.post(
    '/api/signout',
    handle(async (req, res) => {
      const who = claimsOf(req);
      await deps.end(who.sub);
      log.info({ user: who.sub }, 'signed out');
      res.status(204).end();
    }),
  );

  router.post(
    '/api/admin/revoke',
    express.json({ limit: '1kb' }),
    handle(async (req, res) => {
      const who = claimsOf(req);
      if (who.role !== 'host') throw forbidden('only national hosts revoke sign-ins');
      const body = revokeBody.safeParse(req.body);
      if (!body.success) throw new FieldError(String(body.error.issues[0]?.path[0] ?? 'userId'), `invalid revoke: ${body.error.issues[0]?.message ?? 'bad input'}`);
      const r = await deps.end(body.data.userId);
      log.warn({ by: who.sub, user: r.userId }, 'sign-in revoked');
      res.json({ userId: r.userId, revokedAt: new Date(r.beforeMs).toISOString() });
    }),
  );
  return router;
}
