/**
 * Chooses the meeting store once, at start-up: Redis when HOINGHI_REDIS_URL is set (a cluster of
 * signaling nodes shares it), memory otherwise (one node, nothing to install).
 */
import { MemoryStore } from './MemoryStore';
import { RedisStore } from './RedisStore';
import type { MeetingStore } from './types';

export type { MeetingStore } from './types';

export async function createStore(options: { redisUrl: string | undefined; nodeId?: string }): Promise<MeetingStore> {
  if (options.redisUrl) return RedisStore.create({ url: options.redisUrl, nodeId: options.nodeId });
  return new MemoryStore();
}
