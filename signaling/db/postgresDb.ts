/**
 * A PostgreSQL server through node-postgres (`HOINGHI_DATABASE_URL=postgres://…`): a bounded pool.
 */
import pg from 'pg';
import type { Db, Param, Queryable } from './Db';

// timestamptz → Date (default), bigint (count(*)) → number: counts here stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export class PostgresDb implements Db {
  readonly engine = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #url: string;

  private constructor(pool: pg.Pool, url: string) {
    this.#pool = pool;
    this.#url = url;
  }

  static async open(url: string, maxConnections = 10): Promise<PostgresDb> {
    const pool = new pg.Pool({ connectionString: url, max: maxConnections });
    pool.on('error', () => {
      /* an idle client lost its connection: the pool replaces it */
    });
    await pool.query('SELECT 1');
    return new PostgresDb(pool, url);
  }

  async query<T extends object>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    const res = await this.#pool.query(sql, params as unknown[]);
    return res.rows as T[];
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn({
        query: async <R extends object>(sql: string, params: readonly Param[] = []) =>
          (await client.query(sql, params as unknown[])).rows as R[],
      });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async execScript(sql: string): Promise<void> {
    await this.#pool.query(sql);
  }

  async exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    // The lock lives on a connection of its own, outside the pool: `fn` queries through the pool,
    // and must never wait for the connection that holds its own lock (a pool of one would).
    // Should this process die, its session ends and the server releases the lock.
    const client = new pg.Client({ connectionString: this.#url });
    client.on('error', () => {
      /* a lost connection releases the lock on the server; `fn`'s outcome is reported as is */
    });
    await client.connect();
    try {
      await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [name]);
      return await fn();
    } finally {
      // Ending the session releases the lock, whatever `fn` did.
      await client.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
