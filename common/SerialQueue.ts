/**
 * A serial queue (one task at a time, in order) that can never freeze what it serves:
 *
 * - **It never waits on itself.** A task that awaits something needing a later task of the same
 *   queue waits forever. Code that a queue's task must not await asks `forbidSelfWait()` first,
 *   which throws `SelfWaitError` (and counts it) when called from inside a running task of that
 *   queue: the meeting's `caughtUp()` does so. The task context follows the task's own async
 *   calls (AsyncLocalStorage) and ends with it, so work a task merely started (a timer, a
 *   fire-and-forget offer) is not held to the rule once the task has finished.
 * - **A watchdog bounds every task.** A task still running after `stallMs` is logged with what it
 *   is waiting on (`waitOn()` labels), counted (`hoinghi_queue_stalls_total{queue}`), and left
 *   behind: its caller gets `QueueStallError`, the queue moves on to the next task, and the
 *   queue's `onStall` recovers (the meeting resyncs from its store). When the task left behind
 *   ends at last, `onLateEnd` recovers again (what it did late may undo what came after it). A
 *   bug degrades one action, never the whole meeting.
 *
 * One `QueueWatch` per process part (a signaling server) counts stalls and self-waits by queue
 * name for the metrics.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { logger, type Logger } from './log';

/** How long a task may run before the watchdog leaves it behind, by default. */
export const DEFAULT_STALL_MS = 10_000;

/** A task was still running after the queue's bound; the queue moved on without it. */
export class QueueStallError extends Error {
  readonly code = 'queue_stalled';
  constructor(
    readonly queue: string,
    readonly task: string,
    readonly waitingOn: string | null,
    readonly runningMs: number,
  ) {
    super(`${queue} queue: "${task}" still running after ${runningMs} ms${waitingOn ? ` (waiting on ${waitingOn})` : ''}`);
    this.name = 'QueueStallError';
  }
}

/** A queue's task awaited something that needs a later task of the same queue. */
export class SelfWaitError extends Error {
  readonly code = 'queue_self_wait';
  constructor(
    readonly queue: string,
    readonly task: string,
    readonly what: string,
  ) {
    super(`${queue} queue: task "${task}" must not wait on ${what} (it needs a later task of the same queue)`);
    this.name = 'SelfWaitError';
  }
}

export interface QueueStall {
  queue: string;
  task: string;
  waitingOn: string | null;
  runningMs: number;
}

/** Counts by queue name, read by the metrics; one per signaling server. */
export class QueueWatch {
  readonly stallMs: number;
  readonly stalls = new Map<string, number>();
  readonly selfWaits = new Map<string, number>();
  /** Tasks left behind that ended at last (each followed by `onLateEnd`), by queue. */
  readonly lateEnds = new Map<string, number>();

  constructor(stallMs = DEFAULT_STALL_MS) {
    this.stallMs = stallMs;
  }

  stalled(queue: string): void {
    this.stalls.set(queue, (this.stalls.get(queue) ?? 0) + 1);
  }

  lateEnded(queue: string): void {
    this.lateEnds.set(queue, (this.lateEnds.get(queue) ?? 0) + 1);
  }

  selfWaited(queue: string): void {
    this.selfWaits.set(queue, (this.selfWaits.get(queue) ?? 0) + 1);
  }

  /** Stalls of every queue so far. */
  get totalStalls(): number {
    let n = 0;
    for (const v of this.stalls.values()) n += v;
    return n;
  }

  get totalSelfWaits(): number {
    let n = 0;
    for (const v of this.selfWaits.values()) n += v;
    return n;
  }
}

/** The running task a piece of async code belongs to. */
interface TaskContext {
  queue: SerialQueue;
  label: string;
  /** The task finished or was left behind: code it started is free of the queue. */
  done: boolean;
  waitingOn: string[];
  /** When the task last said it moved forward (see `progressed`). */
  progressAt: number;
  /** Queues this task waits on (see `waitOn`): while their running task moves forward, so does this one. */
  follows: SerialQueue[];
}

const current = new AsyncLocalStorage<TaskContext>();

export interface SerialQueueOptions {
  /** Counts stalls and self-waits; its `stallMs` is the bound unless `stallMs` is given. */
  watch?: QueueWatch;
  stallMs?: number;
  /** Called after a task was left behind (after the queue moved on). */
  onStall?: (stall: QueueStall) => void;
  /**
   * Called when a task left behind ends at last (finished or failed). What it did late can undo
   * what the tasks after it did meanwhile (a move into a breakout landing after the recall's
   * moves): the meeting reloads from its store once more.
   */
  onLateEnd?: (task: string) => void;
  /**
   * `leave` (default): a stuck task is left behind and the queue moves on. `wait`: it is logged
   * and counted, and the queue keeps waiting for it — for work whose order matters more than its
   * delay (a batch writer: a row's close must not overtake its insert), bounded by its own
   * timeouts (the database client's).
   */
  whenStuck?: 'leave' | 'wait';
  log?: Logger;
}

export class SerialQueue {
  readonly name: string;
  readonly #watch: QueueWatch;
  readonly #stallMs: number;
  readonly #onStall: ((stall: QueueStall) => void) | undefined;
  readonly #onLateEnd: ((task: string) => void) | undefined;
  readonly #leave: boolean;
  readonly #log: Logger;
  #tail: Promise<void> = Promise.resolve();
  #pending = 0;
  #running: TaskContext | null = null;
  #closed = false;

  constructor(name: string, opts: SerialQueueOptions = {}) {
    this.name = name;
    this.#watch = opts.watch ?? new QueueWatch();
    this.#stallMs = opts.stallMs ?? this.#watch.stallMs;
    this.#onStall = opts.onStall;
    this.#onLateEnd = opts.onLateEnd;
    this.#leave = (opts.whenStuck ?? 'leave') === 'leave';
    this.#log = opts.log ?? logger('queue', { queue: name });
  }

  /** Tasks queued or running. */
  get pending(): number {
    return this.#pending;
  }

  /** What the running task is (for logs and tests), or null. */
  get running(): string | null {
    return this.#running?.label ?? null;
  }

  /**
   * Runs `task` after every task pushed before it. Resolves or rejects with the task's outcome,
   * or rejects with QueueStallError when the watchdog left it behind.
   */
  push<T>(label: string, task: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error(`${this.name} queue closed`));
    this.#pending += 1;
    const result = this.#tail.then(() => this.#run(label, task));
    // The next task waits for this one to settle or be left behind, never for its value.
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  async #run<T>(label: string, task: () => Promise<T>): Promise<T> {
    const started = Date.now();
    const ctx: TaskContext = { queue: this, label, done: false, waitingOn: [], progressAt: started, follows: [] };
    this.#running = ctx;
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      const check = (): void => {
        // A long task that keeps making progress (a move of many participants) is not stuck.
        // So is one waiting on another queue whose task keeps making progress (a socket's
        // request waiting for the meeting to apply a long move).
        const quietMs = Date.now() - Math.max(ctx.progressAt, ...ctx.follows.map((q) => q.progressAt()));
        if (quietMs < this.#stallMs) {
          timer = setTimeout(check, this.#stallMs - quietMs);
          timer.unref();
          return;
        }
        const stall: QueueStall = { queue: this.name, task: label, waitingOn: ctx.waitingOn.at(-1) ?? null, runningMs: Date.now() - started };
        this.#watch.stalled(this.name);
        if (!this.#leave) {
          this.#log.error(stall, 'a queue task is stuck: still waiting for it');
          this.#onStall?.(stall);
          return;
        }
        ctx.done = true;
        this.#log.error(stall, 'a queue task is stuck: leaving it behind and moving on');
        reject(new QueueStallError(stall.queue, stall.task, stall.waitingOn, stall.runningMs));
        // After the queue has moved on (this rejection frees the next task first).
        setImmediate(() => this.#onStall?.(stall));
      };
      timer = setTimeout(check, this.#stallMs);
      timer.unref();
    });
    // A task that ends first leaves `stalled` pending for good; one left behind rejects it.
    stalled.catch(() => undefined);
    const work = current.run(ctx, task);
    try {
      return await Promise.race([work, stalled]);
    } finally {
      clearTimeout(timer);
      const leftBehind = ctx.done;
      ctx.done = true;
      if (this.#running === ctx) this.#running = null;
      this.#pending -= 1;
      // Nobody awaits a task left behind any more: say how it ends.
      if (leftBehind) {
        work
          .then(
            () => this.#log.warn({ task: label, runningMs: Date.now() - started }, 'a task left behind finished'),
            (error: unknown) => this.#log.warn({ task: label, err: String(error) }, 'a task left behind failed'),
          )
          .then(() => {
            this.#watch.lateEnded(this.name);
            if (!this.#closed) this.#onLateEnd?.(label);
          });
      }
    }
  }

  /** When the running task last moved forward (0 when none runs). */
  progressAt(): number {
    return this.#running?.progressAt ?? 0;
  }

  /** Whether the calling code runs inside a task of this queue that is still running. */
  isInside(): boolean {
    const ctx = current.getStore();
    return ctx !== undefined && ctx.queue === this && !ctx.done;
  }

  /**
   * The rule, stated where it matters: throws SelfWaitError (and counts it) when called from a
   * running task of this queue. Call it first in anything that waits for a later task.
   */
  forbidSelfWait(what: string): void {
    const ctx = current.getStore();
    if (!ctx || ctx.queue !== this || ctx.done) return;
    this.#watch.selfWaited(this.name);
    const error = new SelfWaitError(this.name, ctx.label, what);
    this.#log.error({ task: ctx.label, what, stack: error.stack }, 'a queue task waited on its own queue');
    throw error;
  }

  /** Lets the queue stop running tasks: later pushes reject. */
  close(): void {
    this.#closed = true;
  }
}

/**
 * Awaits `promise` noting, for the watchdog of whatever queue's task this runs in, what the task
 * is waiting on. With `upstream` (the queue that will settle it), the task counts as moving
 * forward while that queue's running task does. Outside any task it just returns the promise.
 */
export async function waitOn<T>(what: string, promise: Promise<T>, upstream?: SerialQueue): Promise<T> {
  const ctx = current.getStore();
  if (!ctx) return promise;
  ctx.waitingOn.push(what);
  if (upstream) ctx.follows.push(upstream);
  try {
    return await promise;
  } finally {
    const i = ctx.waitingOn.lastIndexOf(what);
    if (i >= 0) ctx.waitingOn.splice(i, 1);
    const j = upstream ? ctx.follows.lastIndexOf(upstream) : -1;
    if (j >= 0) ctx.follows.splice(j, 1);
  }
}

/**
 * Tells the watchdog of the queue whose task runs this that the task moved forward (one of many
 * participants moved): the bound counts from the last progress, not from the start.
 */
export function progressed(): void {
  const ctx = current.getStore();
  if (ctx && !ctx.done) ctx.progressAt = Date.now();
}

/** Runs `fn` outside any queue's task (work a task starts but does not wait for: timers, detached offers). */
export function detached<T>(fn: () => T): T {
  return current.exit(fn);
}
