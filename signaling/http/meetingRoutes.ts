/**
 * The meetings API (JSON, `Authorization: Bearer <token>`; the token says who and which role):
 *   GET    /api/meetings                       my meetings: all live ones, then a page of upcoming and of past
 *          /api/meetings?state=live|upcoming|ended&cursor=&limit=   one page of one list
 *   POST   /api/meetings                       schedule (hosts; a province host for their province;
 *                                              within the account's quota, else 429 quota_exceeded)
 *   GET    /api/meetings/:id                   one meeting (the lobby reads it)
 *   PUT    /api/meetings/:id                   edit (managers)
 *   POST   /api/meetings/:id/open | /end       lifecycle (managers); /end ends it live on every node
 *   DELETE /api/meetings/:id                   delete, with its attendance (managers); ends it live too
 *   GET    /api/meetings/:id/attendance        dashboard rows (?province=, ?school= drill down; ?teachers=1)
 *   GET    /api/meetings/:id/attendance.csv|.xlsx   export (same filters), within the caller's scope; in
 *                                              Vietnamese (headers, Có/Không, Việt Nam time), ?lang=en: the
 *                                              machine-readable columns (snake_case, yes/no, ISO UTC times)
 *   GET    /api/meetings/:id/questions.csv|.xlsx    questions, in Vietnamese (qa/qaReports.ts), same scope
 *   GET    /api/meetings/:id/polls.csv|.xlsx        poll results by province, in Vietnamese, same scope
 *   GET    /api/meetings/:id/interaction.csv|.xlsx  questions, polls, reactions, machine-readable (qa/qaExport.ts)
 *   GET    /api/meetings/:id/invite.ics        the invitation for a calendar (Việt Nam time, agenda, join link)
 *   GET    /api/schools?province=XX             schools of a province (for the scheduling form)
 * Errors are `{ error: { code, message } }` with the status of the code; a 400 on bad input also
 * names the field at fault (`field: 'audience.provinces.0'`).
 */
import { bearerClaims } from './bearer';
import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Claims, TokenVerifier } from '../auth/tokens';
import type { Db } from '../db/Db';
import { existingSchools, schoolsIn, teacherPlace, type TeacherPlace } from '../org/orgRepo';
import { AppError, FieldError, forbidden, notFound } from '../protocol/errors';
import type { MeetingEndReason } from '../protocol/events';
import type { SchoolsAnswer } from '../protocol/http';
import { MeetingRepo } from '../schedule/meetingRepo';
import { invitationIcs } from '../schedule/invitation';
import { audienceIncludes, canManage, createRefusal, dashboardScope, ownerProvinceFor, rightsOf } from '../schedule/scope';
import { meetingInputSchema, type MeetingInfo, type MeetingListItem, type MeetingListsAnswer, type MeetingPageAnswer } from '../schedule/types';
import { LIST_STATES, decodeCursor, listMeetings, type ListScope, type ListState } from '../schedule/meetingLists';
import { checkCreationQuota, NO_QUOTA, type CreationQuota } from '../schedule/meetingQuota';
import { allTeacherRows, groupRows, teacherRows, type Filter } from '../attendance/attendanceQueries';
import { writeCsv, writeXlsx } from '../attendance/attendanceExport';
import { EXPORT_LANGS, type ExportLang } from '../attendance/viFormat';
import { interactionRows, writeInteractionCsv, writeInteractionXlsx } from '../qa/qaExport';
import { pollReport, questionReport, writeReportCsv, writeReportXlsx } from '../qa/qaReports';

export interface MeetingRouteDeps {
  db: Db;
  tokens: TokenVerifier;
  /** A meeting's state or audience changed (join decisions must not use a stale copy). */
  onChanged: (meetingId: string) => void;
  /**
   * A meeting ended or was deleted (already so in the database): end it live, on every node
   * (signaling/meetingEnder.ts). The answer waits for it: recordings are replays by then.
   */
  onEnded: (meetingId: string, reason: MeetingEndReason) => Promise<unknown>;
  /** Meetings one account may schedule (schedule/meetingQuota.ts); unset: no limit. */
  quota?: CreationQuota;
}

const idParam = z.string().regex(/^[a-z0-9-]{1,64}$/);
const filterQuery = z.object({
  province: z.string().regex(/^[0-9]{2}$/).optional(),
  school: z.string().min(1).max(32).regex(/^[^\u0000-\u001F\u007F]+$/, 'control characters are not allowed').optional(),
  teachers: z.enum(['0', '1']).optional(),
  lang: z.enum(EXPORT_LANGS).optional(),
});
const listQuery = z.object({
  state: z.enum(LIST_STATES).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
const provinceQuery = z.object({ province: z.string().regex(/^[0-9]{2}$/) });

type Handler = (req: Request, res: Response) => Promise<void>;
const wrap =
  (fn: Handler) =>
  (req: Request, res: Response, next: NextFunction): void => {
    fn(req, res).catch(next);
  };

/** The value, or a 400 naming the first field at fault (`audience.provinces.0`) and why. */
function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new FieldError(
      first?.path.join('.') || '(root)',
      `invalid ${what}: ${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  return r.data;
}

/** A scheduling refusal from scope.ts as a typed error: unknown schools are bad input, the rest forbidden. */
function refusalError(refusal: string): AppError {
  return refusal.startsWith('unknown') ? new FieldError('audience.schools', refusal) : new AppError('forbidden', refusal);
}

export function meetingRouter(deps: MeetingRouteDeps): Router {
  const router = express.Router();
  const repo = new MeetingRepo(deps.db);
  // A school audience may list thousands of school codes.
  router.use('/api/meetings', express.json({ limit: '128kb' }));

  const claimsOf = (req: Request): Claims => bearerClaims(deps.tokens, req);

  /** Whether `who` may join `m`, a teacher's place already read. */
  const joinable = (who: Claims, m: MeetingInfo, place: TeacherPlace | null): boolean => {
    if (m.state === 'ended') return false;
    if (who.role === 'teacher') return place !== null && audienceIncludes(m, place) && m.state !== 'scheduled';
    return true;
  };

  /** Whether `who` may join `m` (for rights and listing), from the database. */
  const mayJoin = async (who: Claims, m: MeetingInfo): Promise<boolean> => {
    if (m.state === 'ended') return false;
    if (who.role === 'teacher') {
      const place = await teacherPlace(deps.db, who.sub);
      return place !== null && audienceIncludes(m, place) && m.state !== 'scheduled';
    }
    return true;
  };

  const load = async (who: Claims, id: string): Promise<MeetingInfo> => {
    const m = await repo.get(parse(idParam, id, 'meeting id'));
    if (!m) throw notFound('meeting');
    if (who.role === 'teacher') {
      const place = await teacherPlace(deps.db, who.sub);
      // Same answer as a missing meeting: a teacher outside the audience learns nothing of it.
      if (!place || !audienceIncludes(m, place)) throw notFound('meeting');
    } else if (who.role === 'province_host' && !canManage(who, m)) {
      const reaches = m.audience.kind === 'country' || (m.audience.kind === 'provinces' && m.audience.provinces.includes(who.province ?? '')) ||
        (m.audience.kind === 'schools' && (await existingSchools(deps.db, m.audience.schools)).some((s) => s.province === who.province));
      if (!reaches) throw notFound('meeting');
    }
    return m;
  };

  const manage = async (req: Request): Promise<{ who: Claims; m: MeetingInfo }> => {
    const who = claimsOf(req);
    const m = await load(who, String(req.params.id));
    if (!canManage(who, m)) throw forbidden('only the meeting’s hosts may do this');
    return { who, m };
  };

  /** Whose lists the caller sees, or null (a teacher the organisation does not know sees none). */
  const listScope = async (who: Claims): Promise<{ scope: ListScope; place: TeacherPlace | null } | null> => {
    if (who.role === 'host') return { scope: { kind: 'all' }, place: null };
    if (who.role === 'province_host') return who.province ? { scope: { kind: 'province_host', province: who.province, userId: who.sub }, place: null } : null;
    const place = await teacherPlace(deps.db, who.sub);
    return place ? { scope: { kind: 'teacher', province: place.province, school: place.school }, place } : null;
  };

  // Without `state`: everything happening now (never cut by a limit), then the first page of
  // upcoming and of past meetings, with the cursors of their next pages. With `state`: one page
  // of that list (`cursor` from the previous page).
  router.get(
    '/api/meetings',
    wrap(async (req, res) => {
      const who = claimsOf(req);
      const q = parse(listQuery, req.query, 'query');
      const after = q.cursor === undefined ? null : decodeCursor(q.cursor);
      if (q.cursor !== undefined && (!after || !q.state)) throw new FieldError('cursor', q.state ? 'invalid cursor' : 'a cursor goes with a state');
      const found = await listScope(who);
      const now = Date.now();
      const page = async (state: ListState): Promise<{ meetings: MeetingListItem[]; next: string | null }> => {
        if (!found) return { meetings: [], next: null };
        const p = await listMeetings(deps.db, found.scope, state, { limit: q.limit, after }, now);
        return { meetings: p.meetings.map((m) => ({ ...m, rights: rightsOf(who, m, joinable(who, m, found.place)) })), next: p.next };
      };
      if (q.state) {
        const p = await page(q.state);
        res.json({ state: q.state, meetings: p.meetings, next: p.next } satisfies MeetingPageAnswer);
        return;
      }
      const [live, upcoming, past] = await Promise.all([page('live'), page('upcoming'), page('ended')]);
      res.json({ live: live.meetings, upcoming: upcoming.meetings, past: past.meetings, next: { upcoming: upcoming.next, past: past.next } } satisfies MeetingListsAnswer);
    }),
  );

  router.post(
    '/api/meetings',
    wrap(async (req, res) => {
      const who = claimsOf(req);
      const input = parse(meetingInputSchema, req.body, 'meeting');
      const schools = input.audience.kind === 'schools' ? await existingSchools(deps.db, input.audience.schools) : [];
      const refusal = createRefusal(who, input.audience, schools);
      if (refusal) throw refusalError(refusal);
      const id = `hn-${randomBytes(6).toString('hex')}`;
      const quota = deps.quota ?? NO_QUOTA;
      const m = await repo.create(id, input, who.sub, ownerProvinceFor(who), (tx) => checkCreationQuota(tx, who.sub, quota));
      res.status(201).json({ ...m, rights: rightsOf(who, m, await mayJoin(who, m)) });
    }),
  );

  router.get(
    '/api/meetings/:id',
    wrap(async (req, res) => {
      const who = claimsOf(req);
      const m = await load(who, String(req.params.id));
      res.json({ ...m, rights: rightsOf(who, m, await mayJoin(who, m)), serverTime: new Date().toISOString() });
    }),
  );

  // The invitation for a calendar (.ics): the time in Việt Nam, the agenda, the join link on this
  // site (the address the caller used: behind the balancer, its forwarded host and scheme).
  router.get(
    '/api/meetings/:id/invite.ics',
    wrap(async (req, res) => {
      const who = claimsOf(req);
      const m = await load(who, String(req.params.id));
      const joinUrl = `${req.protocol}://${req.get('host') ?? 'localhost'}/m/${m.id}`;
      res.setHeader('content-type', 'text/calendar; charset=utf-8');
      res.setHeader('content-disposition', `attachment; filename="hoi-nghi-${m.id}.ics"`);
      res.send(invitationIcs(m, joinUrl));
    }),
  );

  router.put(
    '/api/meetings/:id',
    wrap(async (req, res) => {
      const { who, m } = await manage(req);
      if (m.state === 'ended') throw new AppError('conflict', 'an ended meeting cannot be edited');
      const input = parse(meetingInputSchema, req.body, 'meeting');
      const schools = input.audience.kind === 'schools' ? await existingSchools(deps.db, input.audience.schools) : [];
      // The same rule as creating: a province host keeps their meeting inside their province.
      const refusal = createRefusal(who, input.audience, schools);
      if (refusal) throw refusalError(refusal);
      const updated = (await repo.update(m.id, input))!;
      deps.onChanged(m.id);
      res.json({ ...updated, rights: rightsOf(who, updated, await mayJoin(who, updated)) });
    }),
  );

  for (const action of ['open', 'end'] as const) {
    router.post(
      `/api/meetings/:id/${action}`,
      wrap(async (req, res) => {
        const { who, m } = await manage(req);
        if (m.state === 'ended') throw new AppError('conflict', 'this meeting has already ended');
        if (action === 'open' && m.state !== 'scheduled') {
          res.json({ ...m, rights: rightsOf(who, m, true) });
          return;
        }
        await repo.setState(m.id, action === 'open' ? 'open' : 'ended');
        deps.onChanged(m.id);
        if (action === 'end') await deps.onEnded(m.id, 'ended');
        const now = (await repo.get(m.id))!;
        res.json({ ...now, rights: rightsOf(who, now, await mayJoin(who, now)) });
      }),
    );
  }

  router.delete(
    '/api/meetings/:id',
    wrap(async (req, res) => {
      const { m } = await manage(req);
      await repo.delete(m.id);
      deps.onChanged(m.id);
      await deps.onEnded(m.id, 'deleted');
      res.status(204).end();
    }),
  );

  const scopeOf = async (req: Request): Promise<{ m: MeetingInfo; scope: { all: true } | { province: string }; filter: Filter; teachers: boolean; lang: ExportLang }> => {
    const who = claimsOf(req);
    const m = await load(who, String(req.params.id));
    const scope = dashboardScope(who, m);
    if (!scope) throw forbidden('attendance is for hosts');
    const q = parse(filterQuery, req.query, 'filter');
    if ('province' in scope && q.province && q.province !== scope.province) throw forbidden('outside your province');
    return { m, scope, filter: { province: q.province, school: q.school }, teachers: q.teachers === '1' || q.school !== undefined, lang: q.lang ?? 'vi' };
  };

  router.get(
    '/api/meetings/:id/attendance',
    wrap(async (req, res) => {
      const { m, scope, filter, teachers } = await scopeOf(req);
      const totals = await groupRows(deps.db, m.id, scope, {});
      const level = filter.school ? 'teacher' : filter.province ? 'school' : 'province';
      const rows = teachers ? await teacherRows(deps.db, m.id, scope, filter, 1000) : await groupRows(deps.db, m.id, scope, filter);
      const sum = (k: 'expected' | 'present' | 'attended' | 'late' | 'minutes'): number => totals.reduce((s, r) => s + r[k], 0);
      res.json({
        meeting: { id: m.id, title: m.title, state: m.state, startsAt: m.startsAt },
        scope: 'province' in scope ? { province: scope.province } : { all: true },
        totals: { expected: sum('expected'), present: sum('present'), attended: sum('attended'), late: sum('late'), minutes: Math.round(sum('minutes')) },
        level: teachers ? 'teacher' : level,
        rows,
      });
    }),
  );

  for (const format of ['csv', 'xlsx'] as const) {
    router.get(
      `/api/meetings/:id/attendance.${format}`,
      wrap(async (req, res) => {
        const { m, scope, filter, lang } = await scopeOf(req);
        const name = `attendance-${m.id}${filter.province ? `-${filter.province}` : 'province' in scope ? `-${scope.province}` : ''}${filter.school ? `-${filter.school}` : ''}`;
        const pages = allTeacherRows(deps.db, m.id, scope, filter);
        res.setHeader('Cache-Control', 'no-store');
        if (format === 'csv') {
          res.type('text/csv; charset=utf-8').attachment(`${name}.csv`);
          await writeCsv(res, pages, lang);
        } else {
          res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').attachment(`${name}.xlsx`);
          await writeXlsx(res, pages, m.title, lang);
        }
      }),
    );
  }

  for (const format of ['csv', 'xlsx'] as const) {
    router.get(
      `/api/meetings/:id/interaction.${format}`,
      wrap(async (req, res) => {
        const { m, scope } = await scopeOf(req);
        const province = 'province' in scope ? scope.province : null;
        const rows = await interactionRows(deps.db, m.id, province);
        const name = `interaction-${m.id}${province ? `-${province}` : ''}`;
        res.setHeader('Cache-Control', 'no-store');
        if (format === 'csv') {
          res.type('text/csv; charset=utf-8').attachment(`${name}.csv`);
          writeInteractionCsv(res, rows);
        } else {
          res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').attachment(`${name}.xlsx`);
          await writeInteractionXlsx(res, rows, m.title);
        }
      }),
    );
  }

  for (const [what, report] of [
    ['questions', questionReport],
    ['polls', pollReport],
  ] as const) {
    for (const format of ['csv', 'xlsx'] as const) {
      router.get(
        `/api/meetings/:id/${what}.${format}`,
        wrap(async (req, res) => {
          const { m, scope } = await scopeOf(req);
          const province = 'province' in scope ? scope.province : null;
          const table = await report(deps.db, m.id, province);
          const name = `${what}-${m.id}${province ? `-${province}` : ''}`;
          res.setHeader('Cache-Control', 'no-store');
          if (format === 'csv') {
            res.type('text/csv; charset=utf-8').attachment(`${name}.csv`);
            writeReportCsv(res, table);
          } else {
            res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').attachment(`${name}.xlsx`);
            await writeReportXlsx(res, table, m.title);
          }
        }),
      );
    }
  }

  router.get(
    '/api/schools',
    wrap(async (req, res) => {
      const who = claimsOf(req);
      if (who.role === 'teacher') throw forbidden('for hosts');
      const { province } = parse(provinceQuery, req.query, 'query');
      if (who.role === 'province_host' && province !== who.province) throw forbidden('outside your province');
      res.json({ schools: await schoolsIn(deps.db, province) } satisfies SchoolsAnswer);
    }),
  );

  return router;
}
