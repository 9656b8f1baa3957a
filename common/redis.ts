/**
 * A Redis client that keeps reconnecting once it has been up (errors are logged, not thrown), but
 * whose first connection must succeed within a deadline, so that a process pointed at the wrong
 * Redis stops at start-up with a message instead of waiting forever.
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
