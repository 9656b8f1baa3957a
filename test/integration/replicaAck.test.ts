/**
 * The acknowledgement of a write waits for the replica (common/replicaAck.ts), against a real
 * primary and replica (harness/sentinel.ts): a write is confirmed only once the replica has it, and
 * a write whose connection died with the primary is never confirmed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { connectRedis, type RedisClient } from '../../common/redis';
import { logger } from '../../common/log';
import { ReplicaAckLost, replicaAck } from '../../common/replicaAck';
import { startSentinelGroup, type SentinelGroup } from '../../harness/sentinel';
import { sleep } from '../../harness/wait';

const log = logger('test');
let group: SentinelGroup;
const clients: RedisClient[] = [];

beforeAll(async () => {
  group = await startSentinelGroup();
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.destroy();
  await group?.stop();
});

async function onReplica(key: string): Promise<string | null> {
  const replica = createClient({ url: await group.replicaUrl(), socket: { reconnectStrategy: false } });
  replica.on('error', () => undefined);
  await replica.connect();
  try {
    return await replica.get(key);
  } finally {
    replica.destroy();
  }
}

describe('acknowledged writes and the replica', () => {
  it('confirms a write only once the replica has it', async () => {
    const client = await connectRedis(await group.primaryUrl(), log);
    clients.push(client);
    const acks = replicaAck(client, { replicas: 1, timeoutMs: 30_000 }, log);
    await group.freezeReplica(true);
    const epoch = acks.epoch;
    await client.set('hand', 'raised');
    let confirmed = false;
    const confirm = acks.confirm(epoch).then(() => (confirmed = true));
    // The subject is "nothing is confirmed while the replica cannot have the write": give it time to go wrong.
    await sleep(500);
    expect(confirmed).toBe(false);
    await group.freezeReplica(false);
    await confirm;
    expect(await onReplica('hand')).toBe('raised');
    expect(acks.unreplicated).toBe(0);
    acks.close();
  });

  it('refuses to confirm a write whose connection died with the primary before the replica had it', async () => {
    const client = await connectRedis(await group.primaryUrl(), log);
    clients.push(client);
    const acks = replicaAck(client, { replicas: 1, timeoutMs: 30_000 }, log);
    await group.freezeReplica(true);
    const epoch = acks.epoch;
    await client.set('join', 'admitted');
    const confirm = acks.confirm(epoch);
    const outcome = confirm.then(() => 'confirmed', (error: unknown) => error);
    await group.killPrimary();
    client.destroy();
    expect(await outcome).toBeInstanceOf(ReplicaAckLost);
    await group.freezeReplica(false);
    acks.close();
  });
});
