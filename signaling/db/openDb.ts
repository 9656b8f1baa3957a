/**
 * Chooses the database once at start-up: a PostgreSQL server when a URL is configured, else
 * PGlite in the data folder; then applies the migrations.
 */
import { logger } from '../../common/log';
import type { Db } from './Db';
import { migrate } from './migrate';

const log = logger('db');

export type DbSettings = { kind: 'postgres'; url: string; maxConnections: number } | { kind: 'pglite'; dataDir: string };

export async function openDb(settings: DbSettings): Promise<Db> {
  let db: Db;
  if (settings.kind === 'postgres') {
    const { PostgresDb } = await import('./postgresDb');
    db = await PostgresDb.open(settings.url, settings.maxConnections);
  } else {
    const { PgliteDb } = await import('./pgliteDb');
    db = await PgliteDb.open(settings.dataDir);
  }
  await migrate(db);
  log.info({ engine: db.engine }, 'database ready');
  return db;
}
