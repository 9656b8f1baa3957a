/**
 * A Redis client that keeps reconnecting once it has been up (errors are logged, not thrown), but
 * whose first connection must succeed within a deadline, so that a process pointed at the wrong
 * Redis stops at start-up with a message instead of waiting forever; and a way to stop one that
 * never waits on a Redis that is not there.
 */
import { createClient } from 'redis';
import type { Logger } from './log';

const make = (url: string) => createClient({ url });
export type RedisClient = ReturnType<typeof make>;

export async function connectRedis(url: string, log: Logger, timeoutMs = 30_000): Promise<RedisClient> {
  const client = make(url);
  client.on('error', (err: unknown) => log.warn({ err: String(err) }, 'redis error'));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`cannot reach Redis at ${new URL(url).host} within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    await Promise.race([client.connect(), deadline]);
    return client;
  } catch (error) {
    client.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves after `ms`, or when `work` settles, whichever is first; `work`'s outcome is ignored. */
async function bounded(work: Promise<unknown>, ms: number): Promise<'done' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([work.then(() => 'done' as const, () => 'done' as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Sends a last command (a node leaving a directory) if Redis is reachable now, waiting at most
 * `timeoutMs`. A client that is reconnecting would queue it until Redis returns, which may be never.
 */
export async function lastWord(client: RedisClient, command: () => Promise<unknown>, timeoutMs = 2_000): Promise<void> {
  if (!client.isReady) return;
  await bounded(command(), timeoutMs);
}

/**
 * Stops a client, bounded. node-redis's quit()/close() first stop the reconnect loop and then wait
 * for the queued commands (and QUIT's reply): called while the client is between reconnect
 * attempts (Redis restarting, a failover, a link down), nothing ever answers and the promise never
 * settles, so a node told to stop during a Redis blip would never stop. A ready client finishes its
 * queued commands for at most `timeoutMs`; one that is not ready, or not done in time, is destroyed
 * (its queued commands fail: they had not reached Redis).
 */
export async function closeRedis(client: RedisClient, timeoutMs = 2_000): Promise<void> {
  if (!client.isOpen) return;
  if (client.isReady && (await bounded(client.close(), timeoutMs)) === 'done') return;
  client.destroy();
}
