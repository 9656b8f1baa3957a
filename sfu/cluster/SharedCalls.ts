/**
 * Operations keyed within one process: a caller that asks for a key already under way shares
 * its promise instead of starting it again (the cluster's shared steps are idempotent across
 * processes; this keeps one process from repeating them for each of its concurrent callers).
 */
export class SharedCalls {
  readonly #pending = new Map<string, Promise<unknown>>();

  run<T>(key: string, make: () => Promise<T>): Promise<T> {
    const existing = this.#pending.get(key) as Promise<T> | undefined;
    if (existing) return existing;
    const p = make().finally(() => this.#pending.delete(key));
    this.#pending.set(key, p);
    return p;
  }
}
