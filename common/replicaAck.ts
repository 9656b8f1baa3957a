/**
 * "This write is on a replica too" before a user is told it happened: `WAIT 1 <timeout>` on the
 * connection that wrote (WAIT covers every earlier write of its own connection, and only those).
 *
 * Concurrent writers share one WAIT: a writer whose reply has arrived joins the WAIT that has not
 * been sent yet, so a burst of hand raises costs one replication round trip, not one each (WAIT
 * blocks its connection until it returns, so a WAIT per write would put them in single file).
 *
 * A write whose connection dropped before its WAIT came back is not acknowledged: it may have died
 * with the old primary (a WAIT on the new connection would say nothing about it), so the caller
 * gets `ReplicaAckLost` and the user an error, never a false "done".
 *
 * When no replica answers within the timeout (the replica is down, or a failover has just left
 * the new primary alone), the write is acknowledged anyway and the connection stops waiting until
 * `ROLE` shows a replica again: the meeting keeps working on the primary alone (every command of
 * the connection would otherwise stall for the timeout behind each WAIT), and a second failure in
 * that window would lose those writes (docs/operations.md says so).
 */
import type { RedisClient } from './redis';
import type { Logger } from './log';

export interface ReplicaAckOptions {
  /** Replicas that must have the write. */
  replicas: number;
  /** How long to wait for them, ms. */
  timeoutMs: number;
  /** How often a connection that stopped waiting looks for replicas again, ms. Default 1000. */
  probeMs?: number;
}

/** The connection that carried a write dropped before a replica was known to have it. */
export class ReplicaAckLost extends Error {
  override name = 'ReplicaAckLost';
}

export interface ReplicaAck {
  /** The connection's number; read it before sending the write that `confirm` is for. */
  readonly epoch: number;
  /**
   * Resolves once the caller's earlier writes on connection `since` are on the replicas (or waiting
   * is off); rejects with ReplicaAckLost if that connection is gone.
   */
  confirm(since: number): Promise<void>;
  /** Writes acknowledged without a replica's copy (a WAIT came back short, or no replica was connected). */
  readonly unreplicated: number;
  close(): void;
}

/** No replica expected (a single Redis): nothing to wait for. */
export const noReplicaAck: ReplicaAck = { epoch: 0, confirm: async () => undefined, unreplicated: 0, close: () => undefined };

export function replicaAck(client: RedisClient, options: ReplicaAckOptions, log: Logger): ReplicaAck {
  let open: Promise<number | undefined> | undefined;
  let unreplicated = 0;
  let probe: NodeJS.Timeout | undefined;

  const replicasConnected = async (): Promise<number> => {
    const role = await client.sendCommand(['ROLE']);
    return Array.isArray(role) && role[0] === 'master' && Array.isArray(role[2]) ? role[2].length : 0;
  };
  const stopWaiting = (acked: number): void => {
    log.warn({ acked, wanted: options.replicas, timeoutMs: options.timeoutMs }, 'redis: no replica has the writes; acknowledging without one until a replica is back');
    probe = setInterval(() => {
      replicasConnected().then(
        (n) => {
          if (n < options.replicas || !probe) return;
          clearInterval(probe);
          probe = undefined;
          log.warn({ replicas: n }, 'redis: replica back; acknowledged writes wait for it again');
        },
        () => undefined,
      );
    }, options.probeMs ?? 1_000);
    probe.unref();
  };
  // A (re)connection that finds no replica (the new primary right after a failover) stops waiting
  // at once, rather than after one WAIT's timeout.
  const onReady = (): void => {
    replicasConnected().then(
      (n) => {
        if (n < options.replicas && !probe) stopWaiting(n);
      },
      () => undefined,
    );
  };
  client.on('ready', onReady);
  if (client.isReady) onReady();

  /** Resolves with the epoch the WAIT ran on, or undefined if its connection dropped meanwhile. */
  const send = async (batch: { writers: number; epoch: number }): Promise<number | undefined> => {
    // Yield once so that writers whose replies came in the same turn join this WAIT.
    await new Promise<void>((resolve) => setImmediate(resolve));
    open = undefined;
    const epoch = client.socketEpoch;
    // The writes' connection is gone: a WAIT on the next one would say nothing about them, and
    // would hold that connection (the new primary may have no replica yet) for the whole timeout.
    if (epoch !== batch.epoch || !client.isReady) return undefined;
    // An error here is a dropped connection: whether the replica got the writes is unknown.
    const acked = await client.wait(options.replicas, options.timeoutMs).catch(() => undefined);
    if (acked === undefined || client.socketEpoch !== epoch) return undefined;
    if (acked < options.replicas) {
      unreplicated += batch.writers;
      if (!probe) stopWaiting(acked);
    }
    return epoch;
  };
  let batch = { writers: 0, epoch: 0 };
  return {
    get epoch() {
      return client.socketEpoch;
    },
    confirm: async (since) => {
      if (client.socketEpoch !== since) throw new ReplicaAckLost('redis connection dropped after the write');
      if (probe) {
        unreplicated += 1;
        return;
      }
      if (!open) {
        batch = { writers: 0, epoch: since };
        open = send(batch);
      }
      batch.writers += 1;
      const ranOn = await open;
      if (ranOn !== since) throw new ReplicaAckLost('redis connection dropped before a replica had the write');
    },
    get unreplicated() {
      return unreplicated;
    },
    close: () => {
      clearInterval(probe);
      client.off('ready', onReady);
    },
  };
}
