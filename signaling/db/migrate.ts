/**
 * Migrations are the files in ./migrations (NNN_name.sql), applied in name order at start-up,
 * each in its own transaction, and recorded in `schema_migrations`. Applied files are never
 * edited: a change is a new file. Nodes that start at once on one database take turns (an
 * exclusive section), so each file is applied once and the others find it done.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { logger } from '../../common/log';
import type { Db } from './Db';

const log = logger('db');
export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<string[]> {
  return db.exclusive('hoinghi:migrate', () => applyPending(db, dir));
}

async function applyPending(db: Db, dir: string): Promise<string[]> {
  await db.execScript('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
  const done = new Set((await db.query<{ name: string }>('SELECT name FROM schema_migrations')).map((r) => r.name));
  const files = fs.readdirSync(dir).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort();
  const applied: string[] = [];
  for (const file of files) {
    if (done.has(file)) continue;
    const sql = fs.readFileSync(path.join(dir, file), 'utf8');
    await db.transaction(async (tx) => {
      // A script may hold several statements; each is run in this transaction in turn.
      for (const statement of splitStatements(sql)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
    });
    applied.push(file);
    log.info({ migration: file }, 'applied');
  }
  return applied;
}

/** Splits a migration file on semicolons at line ends (migration files keep to that rule). */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
}
