/**
 * The staff who may host, for the co-host picker (`Authorization: Bearer <token>`, hosts and
 * province hosts only):
 *   GET /api/staff?q=vu truong     up to 20 staff whose name or id matches (no diacritics needed)
 *   GET /api/staff?ids=a,b         the staff of ids already chosen (to show their names)
 * Staff enter the directory from the demo start, and each time a host or a province host opens
 * their meetings (GET /api/meetings): their token says who they are, so whoever has hosted once
 * can be picked from then on.
 */
import { bearerClaims } from './bearer';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Claims, TokenVerifier } from '../auth/tokens';
import type { Db } from '../db/Db';
import { FieldError, forbidden } from '../protocol/errors';
import type { StaffAnswer, StaffMember } from '../protocol/http';
import { searchStaff, staffByIds, STAFF_SEARCH_LIMIT, upsertStaff } from '../org/staffRepo';
import { logger } from '../../common/log';

const log = logger('staff');

export interface StaffRouteDeps {
  db: Db;
  tokens: TokenVerifier;
}

const noControl = /^[^\u0000-\u001F\u007F]*$/;
const noControlText = (max: number) => z.string().max(max).regex(noControl, 'control characters are not allowed');
const staffQuery = z.object({ q: noControlText(64).optional(), ids: noControlText(20 * 65).optional() });
const idList = z.array(z.string().min(1).max(64)).max(20);

/** `{ q }` or `{ ids }`, or a 400 naming the field at fault. */
function parseQuery(query: unknown): { q: string } | { ids: string[] } {
  const r = staffQuery.safeParse({ ...(query as object) });
  if (!r.success) {
    const first = r.error.issues[0];
    throw new FieldError(String(first?.path[0] ?? 'q'), `invalid staff query: ${first?.message ?? 'bad input'}`);
  }
  if (r.data.ids !== undefined) {
    const ids = idList.safeParse(r.data.ids.split(',').filter(Boolean));
    if (!ids.success) throw new FieldError('ids', `invalid staff query: ${ids.error.issues[0]?.message ?? 'bad ids'} (at most 20 ids)`);
    return { ids: ids.data };
  }
  if (r.data.q === undefined) throw new FieldError('q', 'give q (a name to search) or ids');
  return { q: r.data.q };
}

/** Staff already written from this process (id → what was written), so a list load writes once. */
const NOTED_MAX = 10_000;

export function staffRouter(deps: StaffRouteDeps): Router {
  const router = express.Router();
  const noted = new Map<string, string>();

  const claimsOf = (req: Request): Claims => bearerClaims(deps.tokens, req);

  /** Records a host or province host as staff (once per process, again when their name or role changes). */
  const note = async (who: Claims): Promise<void> => {
    if (who.role === 'teacher') return;
    const m: StaffMember = { id: who.sub, name: who.name, role: who.role, province: who.role === 'province_host' ? who.province : null };
    const key = `${m.name}\u0000${m.role}\u0000${m.province ?? ''}`;
    if (noted.get(m.id) === key) return;
    await upsertStaff(deps.db, [m]);
    if (noted.size >= NOTED_MAX) noted.clear();
    noted.set(m.id, key);
  };

  // Seeing a host open their meetings is how the directory learns them; it never fails the request.
  router.get('/api/meetings', (req: Request, _res: Response, next: NextFunction) => {
    let who: Claims;
    try {
      who = claimsOf(req);
    } catch {
      return next(); // the meetings API answers the 401 itself
    }
    note(who)
      .catch((error: unknown) => log.warn({ err: error, user: who.sub }, 'could not record a host as staff'))
      .finally(() => next());
  });

  router.get('/api/staff', (req: Request, res: Response, next: NextFunction) => {
    void (async () => {
      const who = claimsOf(req);
      if (who.role === 'teacher') throw forbidden('only hosts choose co-hosts');
      const query = parseQuery(req.query);
      await note(who);
      const staff = 'ids' in query ? await staffByIds(deps.db, query.ids) : await searchStaff(deps.db, query.q, STAFF_SEARCH_LIMIT);
      res.json({ staff } satisfies StaffAnswer);
    })().catch(next);
  });

  return router;
}
