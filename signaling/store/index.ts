/**
 * Chooses the meeting store once, at start-up: Redis when the cluster has one (HOINGHI_REDIS_URL or HOINGHI_REDIS_SENTINELS) (a cluster of
 * signaling nodes shares it), memory otherwise (one node, nothing to install).
 */
import { MemoryStore } from './MemoryStore';
import { RedisStore } from './RedisStore';
import type { MeetingStore } from './types';
import type { ReplicaAckOptions } from '../../common/replicaAck';

export type { MeetingStore } from './types';

export async function createStore(options: { redisUrl: string | undefined; nodeId?: string; replicaAck?: ReplicaAckOptions }): Promise<MeetingStore> {
  if (options.redisUrl) return RedisStore.create({ url: options.redisUrl, nodeId: options.nodeId, replicaAck: options.replicaAck });
  return new MemoryStore();
}
