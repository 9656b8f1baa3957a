/**
 * A real PostgreSQL server for tests: Debian's binaries (/usr/lib/postgresql/<v>/bin) run as the
 * `postgres` user (the server refuses root) in a temporary directory it owns, on a free loopback
 * port, with trust authentication on 127.0.0.1 only; stopped and removed afterwards.
 * `dbEngines()` parametrises a suite over PGlite (in memory) and that server.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db } from '../signaling/db/Db';
import { openDb } from '../signaling/db/openDb';
import { freePort } from './cluster';
import type { NetHost } from './netns';

function pgBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const v = versions.find((d) => fs.existsSync(path.join(root, d, 'bin', 'postgres')));
  if (!v) throw new Error('PostgreSQL is not installed (Debian package postgresql; scripts/setup-system.sh installs it)');
  return path.join(root, v, 'bin');
}


const asPostgres = (bin: string, args: string[]): [string, string[]] =>
  process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];

export interface PostgresServer {
  url: string;
  /** A fresh, empty database on the server (one per suite keeps suites apart). */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * With `host` (harness/netns.ts) the server runs in that host on its address, port 5432, and
 * trusts the topology's /24 (every host there is the test's own).
 */
export async function startPostgres(options: { host?: NetHost } = {}): Promise<PostgresServer> {
  const { host } = options;
  const bin = pgBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-pg-'));
  fs.chmodSync(dir, 0o755);
  const data = path.join(dir, 'data');
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dir]);
  const [initCmd, initArgs] = asPostgres(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
  execFileSync(initCmd, initArgs, { stdio: 'pipe' });
  const address = host?.address ?? '127.0.0.1';
  if (host) fs.appendFileSync(path.join(data, 'pg_hba.conf'), `host all all ${host.address.replace(/\.\d+$/, '.0')}/24 trust\n`);
  const port = host ? 5432 : await freePort();
  const [cmd, args] = asPostgres(path.join(bin, 'postgres'), [
    '-D', data, '-h', address, '-p', String(port), '-k', dir,
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=50',
  ]);
  const child: ChildProcess = (host ? host.spawn.bind(host) : spawn)(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const url = `postgres://postgres@${address}:${port}/postgres`;
  const deadline = Date.now() + 30_000;
  const { default: pg } = await import('pg');
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited: ${stderr}`);
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      break;
    } catch {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`postgres did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    url,
    async createDatabase(name: string): Promise<string> {
      if (!/^[a-z0-9_]{1,40}$/.test(name)) throw new Error('database names here are [a-z0-9_]');
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      // An identifier cannot be a parameter; the name is checked above and quoted by the driver.
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      await client.end();
      return `postgres://postgres@${address}:${port}/${name}`;
    },
    async stop(): Promise<void> {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGINT');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type Engine = 'pglite' | 'postgres';
export const ENGINES: Engine[] = ['pglite', 'postgres'];

/**
 * For `describe.each(ENGINES)`: opens a migrated database of that engine in beforeAll and closes
 * it (and the server) in afterAll. Returns a getter.
 */
export function useDb(engine: Engine, hooks: { beforeAll: (fn: () => Promise<void>, t?: number) => void; afterAll: (fn: () => Promise<void>, t?: number) => void }): () => Db {
  let db: Db | null = null;
  let server: PostgresServer | null = null;
  hooks.beforeAll(async () => {
    if (engine === 'pglite') {
      db = await openDb({ kind: 'pglite', dataDir: 'memory://' });
    } else {
      server = await startPostgres();
      const url = await server.createDatabase(`t${process.pid}_${Date.now() % 1e6}`);
      db = await openDb({ kind: 'postgres', url, maxConnections: 5 });
    }
  }, 120_000);
  hooks.afterAll(async () => {
    await db?.close();
    await server?.stop();
  }, 60_000);
  return () => {
    if (!db) throw new Error('database not open');
    return db;
  };
}
