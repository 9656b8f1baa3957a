/**
 * Chooses the meeting store once, at start-up: Redis when the cluster has one (HOINGHI_REDIS_URL or HOINGHI_REDIS_SENTINELS) (a cluster of
 * signaling nodes shares it), memory otherwise (one node, nothing to install).
 */
import { MemoryStore } from './MemoryStore';
import { RedisStore } from './RedisStore';
import type { MeetingStore } from './types';
import type { ReplicaAckOptions } from '../../common/replicaAck';
import { MemoryCaptionLog } from './captionMemory';
import { RedisCaptionLog } from './captionRedis';
import type { CaptionLog } from './captionTypes';

export type { MeetingStore } from './types';

export async function createStore(options: { redisUrl: string | undefined; nodeId?: string; replicaAck?: ReplicaAckOptions }): Promise<MeetingStore> {
  if (options.redisUrl) return RedisStore.create({ url: options.redisUrl, nodeId: options.nodeId, replicaAck: options.replicaAck });
  return new MemoryStore();
}

/** The captions' lines (captionTypes.ts): beside the meeting store, on the same Redis when it has one. */
export function createCaptionLog(store: MeetingStore): CaptionLog {
  return store instanceof RedisStore ? new RedisCaptionLog(store.client) : new MemoryCaptionLog();
}
