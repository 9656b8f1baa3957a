/**
 * Waiting in tests: for a condition, never for a fixed time. A test that waits for what it
 * needs is as fast as the machine allows and does not break when the machine is slow; a fixed
 * sleep is either too long (slow suite) or too short under load (flaky suite).
 *
 * `sleep` is here for the few tests whose subject is time itself ("nothing more happens for a
 * while", "a grace period passes"): every call says why at the call site.
 */

export interface UntilOptions {
  /** Give up after this long (default 10 s). A deadline for a failing test, not a measurement. */
  timeoutMs?: number;
  /** What is awaited, for the error message ("the host's first summary"). */
  what?: string;
  /** How often the condition is read (default 20 ms). */
  intervalMs?: number;
}

type NotYet = false | null | undefined;

/**
 * Resolves with the first value of `condition` that is not false, null or undefined (so a
 * condition may return the thing it waited for). The condition may be async; one that throws
 * counts as not yet. Rejects after `timeoutMs`, naming `what` and the last value or error seen.
 */
export async function until<T>(condition: () => T | Promise<T>, options: UntilOptions = {}): Promise<Exclude<T, NotYet>> {
  const { timeoutMs = 10_000, what = 'condition', intervalMs = 20 } = options;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value !== false && value !== null && value !== undefined) return value as Exclude<T, NotYet>;
      last = value;
    } catch (error) {
      last = error instanceof Error ? error.message : error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${show(last)})`);
    await sleep(intervalMs);
  }
}

/**
 * Runs `assertion` until it stops throwing, and returns what it returned; after `timeoutMs`
 * rethrows its last error, so the failure reads as the assertion's own message.
 */
export async function eventually<T>(assertion: () => T | Promise<T>, options: Omit<UntilOptions, 'what'> = {}): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 20 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await sleep(intervalMs);
  }
}

/** Resolves on the next `event` of an emitter (a socket, a process, a link), with its first argument. */
export function once<T = unknown>(
  emitter: { once(event: string, listener: (arg: T) => void): unknown; off?(event: string, listener: (arg: T) => void): unknown },
  event: string,
  options: { timeoutMs?: number } = {},
): Promise<T> {
  const { timeoutMs = 10_000 } = options;
  return new Promise((resolve, reject) => {
    const listener = (arg: T): void => {
      clearTimeout(timer);
      resolve(arg);
    };
    const timer = setTimeout(() => {
      emitter.off?.(event, listener);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    emitter.once(event, listener);
  });
}

/**
 * Resolves once `stream` (a child process's stdout) prints `text`, counting only what it prints
 * from this call on: start waiting before causing what is to be printed.
 */
export function printed(stream: NodeJS.ReadableStream, text: string, options: Omit<UntilOptions, 'intervalMs'> = {}): Promise<void> {
  const { timeoutMs = 10_000, what = JSON.stringify(text) } = options;
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer | string): void => {
      out += chunk.toString();
      if (!out.includes(text)) return;
      stream.off('data', onData);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      stream.off('data', onData);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} in the output`));
    }, timeoutMs);
    stream.on('data', onData);
  });
}

/** Lets time pass. Only for tests whose subject is time; say why where it is called. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
