/**
 * PGlite: PostgreSQL in this process, data in a folder (`HOINGHI_DATA_DIR`), or in memory
 * (`memory://`). One connection; PGlite serialises statements itself.
 */
import { PGlite } from '@electric-sql/pglite';
import type { Db, Param, Queryable } from './Db';

export class PgliteDb implements Db {
  readonly engine = 'pglite' as const;
  readonly #pg: PGlite;
  /** The tail of each exclusive section's queue, by name. */
  readonly #sections = new Map<string, Promise<unknown>>();

  private constructor(pg: PGlite) {
    this.#pg = pg;
  }

  static async open(dataDir: string): Promise<PgliteDb> {
    const pg = await PGlite.create(dataDir === 'memory://' ? undefined : dataDir);
    return new PgliteDb(pg);
  }

  async query<T extends object>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    const res = await this.#pg.query<T>(sql, params as unknown[]);
    return res.rows;
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.#pg.transaction(async (tx) =>
      fn({
        query: async <R extends object>(sql: string, params: readonly Param[] = []) => (await tx.query<R>(sql, params as unknown[])).rows,
      }),
    );
  }

  async execScript(sql: string): Promise<void> {
    await this.#pg.exec(sql);
  }

  /**
   * PGlite's folder belongs to one process, so the sections only need ordering in this one: a
   * queue per name (an advisory lock would be re-entrant on PGlite's single session).
   */
  async exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const before = this.#sections.get(name) ?? Promise.resolve();
    const run = before.then(fn);
    const tail = run.catch(() => undefined);
    this.#sections.set(name, tail);
    try {
      return await run;
    } finally {
      if (this.#sections.get(name) === tail) this.#sections.delete(name);
    }
  }

  async close(): Promise<void> {
    await this.#pg.close();
  }
}
