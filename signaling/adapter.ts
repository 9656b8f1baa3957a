/**
 * socket.io's adapter, chosen at start-up: in memory for one node; in a cluster, the Redis
 * streams adapter, so that room broadcasts and disconnects reach sockets on every signaling node.
 * The streams adapter (not the pub/sub one) because its messages are kept in a Redis stream and
 * read with a cursor: a node whose Redis connection drops for a moment, or a Redis restart, loses
 * no broadcast, where pub/sub would drop whatever was sent meanwhile.
 */
import { createAdapter as createStreamsAdapter } from '@socket.io/redis-streams-adapter';
import { closeRedis, connectRedis } from '../common/redis';
import { logger } from '../common/log';

const log = logger('adapter');

export interface AdapterChoice {
  /** undefined: socket.io's default in-memory adapter. */
  adapter: ReturnType<typeof createStreamsAdapter> | undefined;
  close: () => Promise<void>;
}

export async function createAdapter(redisUrl: string | undefined): Promise<AdapterChoice> {
  if (!redisUrl) return { adapter: undefined, close: async () => undefined };
  const client = await connectRedis(redisUrl, log);
  return {
    adapter: createStreamsAdapter(client, { streamName: 'hn:socket.io', maxLen: 100_000 }),
    close: async () => {
      await closeRedis(client);
    },
  };
}
