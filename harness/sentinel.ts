/**
 * A Redis Sentinel group for tests and benchmarks: a primary, one replica and three sentinels
 * (Debian's redis-server and redis-sentinel), each on a free 127.0.0.1 port with its own temp
 * folder, with short failure detection (down-after 1 s, failover timeout 5 s) so a test sees a
 * failover in seconds. `killPrimary()` is `kill -9` of whichever node is primary now; `stop()`
 * ends every process and removes the folders.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import { freePort, stopChild } from './cluster';
import { until } from './wait';

export const SENTINEL_NAME = 'hoinghi';

interface Node {
  port: number;
  child: ChildProcess;
}

export interface SentinelGroup {
  /** The settings that point a process at this group (HOINGHI_REDIS_SENTINELS, HOINGHI_REDIS_SENTINEL_NAME). */
  env: Record<string, string>;
  sentinelPorts: number[];
  /** `redis://` of the node that is primary now, as the sentinels say. */
  primaryUrl(): Promise<string>;
  /** `redis://` of the replica (the node that is not primary now). */
  replicaUrl(): Promise<string>;
  /** SIGSTOP the replica (`true`), or SIGCONT the one stopped (`false`): it stops taking the primary's writes without disconnecting. */
  freezeReplica(frozen: boolean): Promise<void>;
  /** kill -9 of the current primary; resolves with its port once it is dead. */
  killPrimary(): Promise<number>;
  /** Resolves with the new primary's port once every sentinel names one other than `oldPort` and it says it is a primary. */
  failedOver(oldPort: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

export async function startSentinelGroup(options: { downAfterMs?: number; failoverTimeoutMs?: number } = {}): Promise<SentinelGroup> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-sentinel-'));
  const nodes: Node[] = [];
  const sentinels: Node[] = [];
  const stopAll = async (): Promise<void> => {
    for (const n of nodes) n.child.kill('SIGCONT');
    await Promise.all([...sentinels, ...nodes].map((n) => stopChild(n.child)));
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const primaryPort = await freePort();
    const replicaPort = await freePort();
    for (const [port, replicaOf] of [[primaryPort, undefined], [replicaPort, primaryPort]] as const) {
      const nodeDir = path.join(dir, `redis-${port}`);
      fs.mkdirSync(nodeDir);
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', nodeDir, '--save', '', '--appendonly', 'no'];
      if (replicaOf) args.push('--replicaof', '127.0.0.1', String(replicaOf));
      nodes.push({ port, child: spawn('redis-server', args, { stdio: 'ignore' }) });
      await until(() => command(port, ['PING']).then((r) => r === 'PONG'), { timeoutMs: 10_000, what: `redis-server on ${port}` });
    }
    await until(() => command(replicaPort, ['ROLE']).then((r) => Array.isArray(r) && r[3] === 'connected'), { timeoutMs: 10_000, what: 'the replica in sync' });
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = path.join(dir, `sentinel-${port}.conf`);
      // Sentinel rewrites its own file (it records the group it learns), so each has its own.
      fs.writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_NAME} ${options.downAfterMs ?? 1_000}`,
          `sentinel failover-timeout ${SENTINEL_NAME} ${options.failoverTimeoutMs ?? 5_000}`,
          `sentinel parallel-syncs ${SENTINEL_NAME} 1`,
          '',
        ].join('\n'),
      );
      sentinels.push({ port, child: spawn('redis-sentinel', [conf], { stdio: 'ignore' }) });
    }
    // Ready when every sentinel knows the replica and the two other sentinels (a failover needs a quorum that has met).
    for (const s of sentinels) {
      await until(
        async () => {
          const master = toMap(await command(s.port, ['SENTINEL', 'master', SENTINEL_NAME]));
          return Number(master['num-slaves']) >= 1 && Number(master['num-other-sentinels']) >= 2;
        },
        { timeoutMs: 30_000, what: `sentinel ${s.port} to know the replica and the other sentinels` },
      );
    }
  } catch (error) {
    await stopAll();
    throw error;
  }

  const sentinelPorts = sentinels.map((s) => s.port);
  let frozen: Node | undefined;
  const primaryPortNow = async (): Promise<number> => {
    for (const port of sentinelPorts) {
      const reply = await command(port, ['SENTINEL', 'get-master-addr-by-name', SENTINEL_NAME]).catch(() => null);
      if (Array.isArray(reply)) return Number(reply[1]);
    }
    throw new Error('no sentinel answers');
  };
  return {
    env: { HOINGHI_REDIS_SENTINELS: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','), HOINGHI_REDIS_SENTINEL_NAME: SENTINEL_NAME },
    sentinelPorts,
    primaryUrl: async () => `redis://127.0.0.1:${await primaryPortNow()}`,
    replicaUrl: async () => {
      const primary = await primaryPortNow();
      return `redis://127.0.0.1:${nodes.find((n) => n.port !== primary)!.port}`;
    },
    freezeReplica: async (freeze) => {
      if (!freeze) {
        frozen?.child.kill('SIGCONT');
        frozen = undefined;
        return;
      }
      const primary = await primaryPortNow();
      frozen = nodes.find((n) => n.port !== primary)!;
      frozen.child.kill('SIGSTOP');
    },
    killPrimary: async () => {
      const port = await primaryPortNow();
      const node = nodes.find((n) => n.port === port)!;
      const exited = new Promise((resolve) => node.child.once('exit', resolve));
      node.child.kill('SIGKILL');
      await exited;
      return port;
    },
    failedOver: (oldPort, timeoutMs = 60_000) =>
      until(
        async () => {
          const named = await Promise.all(sentinelPorts.map((p) => command(p, ['SENTINEL', 'get-master-addr-by-name', SENTINEL_NAME]).catch(() => null)));
          const ports = new Set(named.map((r) => (Array.isArray(r) ? Number(r[1]) : 0)));
          const [port] = [...ports];
          if (ports.size !== 1 || !port || port === oldPort) return false;
          const role = await command(port, ['ROLE']);
          return Array.isArray(role) && role[0] === 'master' ? port : false;
        },
        { timeoutMs, what: 'the sentinels to promote the replica' },
      ),
    stop: stopAll,
  };
}

/** One command on a short-lived connection. */
async function command(port: number, args: string[]): Promise<unknown> {
  const client = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false, connectTimeout: 1_000 } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.sendCommand(args);
  } finally {
    client.destroy();
  }
}

/** A flat [k, v, k, v] or map reply as an object. */
function toMap(reply: unknown): Record<string, string> {
  if (reply instanceof Map) return Object.fromEntries([...reply].map(([k, v]) => [String(k), String(v)]));
  if (Array.isArray(reply)) {
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
    return out;
  }
  return (reply ?? {}) as Record<string, string>;
}
