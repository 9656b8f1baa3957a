/**
 * Real cluster parts for tests and benchmarks: a redis-server on a free loopback port, and SFU
 * node processes (sfu/main.ts) announced in it. Everything listens on 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createClient } from 'redis';
import type { NetHost } from './netns';

export const SFU_SECRET = 'cluster-test-secret-cluster-test-secret-0123';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisProcess {
  url: string;
  stop(): Promise<void>;
  /** Stops the server (SIGKILL with `crash`) and starts it again on the same port and data. */
  restart(options?: { crash?: boolean; downMs?: number }): Promise<void>;
}

/**
 * Starts Debian's redis-server and waits until it answers PING. Without `dir`, nothing is
 * persisted; with it, an append-only file there is written on every change (fsync always), so a
 * restart, even after SIGKILL, finds everything.
 */
export async function startRedis(options: { dir?: string; host?: NetHost } = {}): Promise<RedisProcess> {
  const { host } = options;
  const port = host ? 6379 : await freePort();
  const bind = host?.address ?? '127.0.0.1';
  const args = ['--port', String(port), '--bind', bind, '--save', ''];
  // In a host of the test's own topology, the other hosts are the test's too: no password.
  if (host) args.push('--protected-mode', 'no');
  if (options.dir) args.push('--dir', options.dir, '--appendonly', 'yes', '--appendfsync', 'always');
  else args.push('--appendonly', 'no');
  const url = `redis://${bind}:${port}`;
  const start = () => (host ? host.spawn('redis-server', args, { stdio: 'ignore' }) : spawn('redis-server', args, { stdio: 'ignore' }));
  let child = start();
  await waitForRedis(url);
  return {
    url,
    stop: () => stopChild(child),
    restart: async ({ crash = false, downMs = 0 } = {}) => {
      if (crash) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      } else {
        await stopChild(child);
      }
      await new Promise((r) => setTimeout(r, downMs));
      child = start();
      await waitForRedis(url);
    },
  };
}

async function waitForRedis(url: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = createClient({ url, socket: { reconnectStrategy: false } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      await client.quit();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error('redis-server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export interface SfuNodeProcess {
  nodeId: string;
  controlUrl: string;
  child: ChildProcess;
  /** SIGKILL, as a machine that dies: nothing is cleaned up. */
  kill(): void;
  stop(): Promise<void>;
}

/** Where a process finds Redis: a URL, or settings (e.g. a Sentinel group's `env`, harness/sentinel.ts). */
export type RedisSettings = string | { env: Record<string, string> };

export const redisEnv = (redis: RedisSettings): Record<string, string> => (typeof redis === 'string' ? { HOINGHI_REDIS_URL: redis } : redis.env);

/**
 * Starts one SFU node process (sfu/main.ts) and resolves once it is announced. With `host` (a
 * network namespace of harness/netns.ts), it runs there: media listens on every address and
 * announces the host's own (as a machine behind one public address would), control on the host's address.
 */
export async function startSfuNode(redis: RedisSettings, nodeId: string, env: Record<string, string> = {}, options: { host?: NetHost } = {}): Promise<SfuNodeProcess> {
  const { host } = options;
  const where = host
    ? { HOINGHI_RTC_LISTEN_IP: '0.0.0.0', HOINGHI_RTC_ANNOUNCED_IP: host.address, HOINGHI_SFU_CONTROL_HOST: host.address, HOINGHI_SFU_CONTROL_PORT: '4400' }
    : {};
  const command = [process.execPath, ['--import', 'tsx', 'sfu/main.ts']] as const;
  const child = (host ? host.spawn.bind(host) : spawn)(command[0], [...command[1]], {
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HOINGHI_'))),
      LOG_LEVEL: process.env.SFU_LOG_LEVEL ?? 'warn',
      ...redisEnv(redis),
      HOINGHI_SFU_SECRET: SFU_SECRET,
      HOINGHI_SFU_NODE_ID: nodeId,
      HOINGHI_SFU_CONTROL_PORT: '0',
      HOINGHI_WORKERS: '1',
      HOINGHI_RTC_BASE_PORT: '0',
      HOINGHI_RTC_MIN_PORT: '44000',
      HOINGHI_RTC_MAX_PORT: '47999',
      ...where,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const controlUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`SFU node ${nodeId} did not start in 30 s`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /hoinghi-sfu ready (\{.*\})/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve((JSON.parse(m[1]!) as { controlUrl: string }).controlUrl);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`SFU node ${nodeId} exited with ${code}`));
    });
  });
  return { nodeId, controlUrl, child, kill: () => child.kill('SIGKILL'), stop: () => stopChild(child) };
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });
}
