/**
 * The organisation's records from the ministry's CSV exports (`Authorization: Bearer <token>`,
 * national hosts only; the body is the file, streamed, up to 512 MiB):
 *   POST /api/org/schools.csv?mode=valid-lines|all-or-nothing    header code,name,province
 *   POST /api/org/teachers.csv?mode=…                            header id,name,school,subject
 * The answer is the per-line report (org/csvImport.ts): rows imported, bad lines with their number
 * and reason (the first 100). `valid-lines` (the default) imports the good lines; `all-or-nothing`
 * imports nothing if any line is bad. A file that is not one (its header, or too many bad lines)
 * is a 400 saying why. One import at a time per node (409 meanwhile).
 *   POST /api/org/people/:id/disable | /enable   a teacher or staff member (national hosts): disabled,
 *        they can neither sign in nor join, and their sign-ins in progress end on every node at
 *        once (sockets closed, sessions revoked); a later import keeps them disabled
 *   curl -H "Authorization: Bearer $TOKEN" --data-binary @teachers.csv https://…/api/org/teachers.csv
 */
import { bearerClaims } from './bearer';
import { Transform, type TransformCallback } from 'node:stream';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { TokenVerifier } from '../auth/tokens';
import type { Db } from '../db/Db';
import { z } from 'zod';
import { AppError, FieldError, forbidden, notFound } from '../protocol/errors';
import { setDisabled } from '../org/orgRepo';
import { IMPORT_MODES, ImportError, importSchoolsCsv, importTeachersCsv, type ImportMode } from '../org/csvImport';
import { logger } from '../../common/log';

const log = logger('org-import');

/** The largest file taken (1.5 M teachers are ~100 MB). */
export const MAX_IMPORT_BYTES = 512 * 1024 * 1024;

export interface OrgRouteDeps {
  db: Db;
  tokens: TokenVerifier;
  /** Ends every sign-in of a person, on every node (SignInEnds.end). */
  endSignIns: (userId: string) => Promise<unknown>;
}

const personId = z.string().min(1).max(64).regex(/^[^\u0000-\u001F\u007F/]+$/, 'control characters are not allowed');

/** Passes bytes through, failing once more than `max` have come. */
class ByteLimit extends Transform {
  #seen = 0;
  constructor(private readonly max: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.max) return done(new AppError('bad_request', `the file is larger than ${this.max} bytes`));
    done(null, chunk);
  }
}

export function orgRouter(deps: OrgRouteDeps): Router {
  const router = express.Router();
  let running: string | null = null;

  const importer = (what: 'schools' | 'teachers') => (req: Request, res: Response, next: NextFunction) => {
    void (async () => {
      const who = bearerClaims(deps.tokens, req);
      if (who.role !== 'host') throw forbidden('only national hosts import the organisation');
      const mode = req.query.mode ?? 'valid-lines';
      if (typeof mode !== 'string' || !(IMPORT_MODES as readonly string[]).includes(mode)) throw new FieldError('mode', `mode must be one of ${IMPORT_MODES.join(', ')}`);
      if (running) throw new AppError('conflict', `an import of ${running} is running on this node; try again when it ends`);
      running = what;
      try {
        const input = req.pipe(new ByteLimit(MAX_IMPORT_BYTES));
        req.on('error', (e) => input.destroy(e));
        const options = { mode: mode as ImportMode };
        const report = what === 'schools' ? await importSchoolsCsv(deps.db, input, options) : await importTeachersCsv(deps.db, input, options);
        log.info({ what, by: who.sub, mode, imported: report.imported, skipped: report.skipped, committed: report.committed }, 'organisation import');
        res.json(report);
      } catch (error) {
        if (error instanceof ImportError) throw new AppError('bad_request', `not a ${what} file: ${error.message}`);
        throw error;
      } finally {
        running = null;
      }
    })().catch(next);
  };

  const person = (disabled: boolean) => (req: Request, res: Response, next: NextFunction) => {
    void (async () => {
      const who = bearerClaims(deps.tokens, req);
      if (who.role !== 'host') throw forbidden('only national hosts disable or enable people');
      const id = personId.safeParse(req.params.id);
      if (!id.success) throw new FieldError('id', `invalid person id: ${id.error.issues[0]?.message ?? 'bad id'}`);
      if (disabled && id.data === who.sub) throw new AppError('conflict', 'you cannot disable yourself');
      const found = await setDisabled(deps.db, id.data, disabled);
      if (found.length === 0) throw notFound('person');
      if (disabled) await deps.endSignIns(id.data);
      log.warn({ by: who.sub, person: id.data, records: found, disabled }, disabled ? 'person disabled' : 'person enabled');
      res.json({ id: id.data, records: found, disabled });
    })().catch(next);
  };

  router.post('/api/org/people/:id/disable', person(true));
  router.post('/api/org/people/:id/enable', person(false));
  router.post('/api/org/schools.csv', importer('schools'));
  router.post('/api/org/teachers.csv', importer('teachers'));
  return router;
}
