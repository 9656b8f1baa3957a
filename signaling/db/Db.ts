/**
 * The database, whichever engine runs it: PGlite (PostgreSQL compiled to WebAssembly, in this
 * process, data in a folder) or a PostgreSQL server (node-postgres pool). Both speak the same
 * SQL with `$1` parameters; nothing ever builds SQL by concatenating values.
 */
export type Param = string | number | boolean | null | Date | readonly string[] | readonly number[] | readonly (string | null)[];

export interface Queryable {
  /** Runs one parameterised statement and returns its rows. */
  query<T extends object = Record<string, unknown>>(sql: string, params?: readonly Param[]): Promise<T[]>;
}

export interface Db extends Queryable {
  readonly engine: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction (committed when it resolves, rolled back when it throws). */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs a script of several statements without parameters (migrations only). */
  execScript(sql: string): Promise<void>;
  /**
   * Runs `fn` while holding the lock `name`, which every process sharing the database respects
   * (a PostgreSQL advisory lock): start-up work that several nodes may attempt at once
   * (migrations, the demo seed) runs on one node at a time. Released when `fn` settles.
   */
  exclusive<T>(name: string, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
