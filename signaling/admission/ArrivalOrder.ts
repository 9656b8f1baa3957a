/**
 * Live tickets in arrival order, with the rank of any of them in O(log n) (a Fenwick tree over
 * arrival numbers). Removal from anywhere (a socket that leaves) keeps every other rank exact.
 * Arrival numbers are compacted when they run past the tree, so memory follows the live count.
 */
export class ArrivalOrder {
  #tree = new Int32Array(1025);
  #next = 0;
  readonly #seq = new Map<string, number>();

  get size(): number {
    return this.#seq.size;
  }

  has(id: string): boolean {
    return this.#seq.has(id);
  }

  /** Appends `id` at the back (no-op if present). */
  add(id: string): void {
    if (this.#seq.has(id)) return;
    if (this.#next + 1 >= this.#tree.length) this.#compact();
    const seq = ++this.#next;
    this.#seq.set(id, seq);
    this.#update(seq, 1);
  }

  remove(id: string): boolean {
    const seq = this.#seq.get(id);
    if (seq === undefined) return false;
    this.#seq.delete(id);
    this.#update(seq, -1);
    if (this.#seq.size === 0) this.#reset(this.#tree.length - 1);
    return true;
  }

  /** 0-based rank of `id` among the live tickets, or undefined. */
  rank(id: string): number | undefined {
    const seq = this.#seq.get(id);
    return seq === undefined ? undefined : this.#prefix(seq - 1);
  }

  #update(i: number, delta: number): void {
    for (; i < this.#tree.length; i += i & -i) this.#tree[i]! += delta;
  }

  #prefix(i: number): number {
    let sum = 0;
    for (; i > 0; i -= i & -i) sum += this.#tree[i]!;
    return sum;
  }

  #reset(capacity: number): void {
    this.#tree = new Int32Array(capacity + 1);
    this.#next = 0;
  }

  /** Renumbers the live tickets 1..n (in order) into a tree with room to grow. */
  #compact(): void {
    const live = [...this.#seq.entries()].sort((a, b) => a[1] - b[1]);
    this.#reset(Math.max(1024, live.length * 2));
    this.#seq.clear();
    for (const [id] of live) this.add(id);
  }
}
