/**
 * A real nginx (Debian's) HLS cache node with the shipped configuration
 * (deploy/nginx/hls-cache.conf, rendered by deploy/nginx/hlsCache.ts), in its own prefix folder,
 * on a free loopback port (or the address given), in the foreground; its access log is kept, so a
 * test can count what reached the origin.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hlsCacheConfig } from '../deploy/nginx/hlsCache';
import { freePort } from './cluster';

export interface HlsCacheProcess {
  url: string;
  pid: number;
  /** Access-log lines so far, parsed: status, cache status (`HIT`, `MISS`, `-`…), origin asked (`-`: none). */
  log(): Array<{ path: string; status: number; cache: string; origin: string }>;
  stop(): Promise<void>;
}

export interface HlsCacheStart {
  /** Signaling nodes, `host:port` each. */
  origins: string[];
  secret: string;
  /** The page's origin (CORS). */
  siteOrigin: string;
  /** `host` to listen on (a namespace's address); default 127.0.0.1. */
  host?: string;
  port?: number;
  workers?: number;
  /** Run nginx through this (e.g. `ip netns exec NAME`). */
  wrap?: string[];
}

const LINE = /"GET (\S+) HTTP\/[0-9.]+" ([0-9]{3}) \S+ \S+ cache=(\S+) origin=(\S+)/;

export async function startHlsCache(o: HlsCacheStart): Promise<HlsCacheProcess> {
  const host = o.host ?? '127.0.0.1';
  const port = o.port ?? (await freePort());
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-nginx-'));
  for (const d of ['tmp', 'cache']) fs.mkdirSync(path.join(prefix, d));
  // Workers run as nobody when nginx starts as root: they must write the cache and temp folders.
  fs.chmodSync(prefix, 0o755);
  for (const d of ['tmp', 'cache']) fs.chmodSync(path.join(prefix, d), 0o777);
  const accessLog = path.join(prefix, 'access.log');
  const file = path.join(prefix, 'nginx.conf');
  fs.writeFileSync(
    file,
    hlsCacheConfig({ prefix, listen: `${host}:${port}`, origins: o.origins, secret: o.secret, siteOrigin: o.siteOrigin, workers: o.workers ?? 1, cacheSize: '1g', accessLog }),
  );
  const argv = ['nginx', '-p', prefix, '-c', file, '-e', path.join(prefix, 'error.log'), '-g', 'daemon off; master_process on;'];
  const [cmd, ...args] = [...(o.wrap ?? []), ...argv];
  const child = spawn(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://${host}:${port}`;
  const errors = (): string => `${stderr}${fs.existsSync(path.join(prefix, 'error.log')) ? fs.readFileSync(path.join(prefix, 'error.log'), 'utf8').slice(-2_000) : ''}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${errors()}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`nginx did not start: ${errors()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    pid: child.pid!,
    log() {
      const text = fs.existsSync(accessLog) ? fs.readFileSync(accessLog, 'utf8') : '';
      return text
        .split('\n')
        .map((l) => LINE.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ path: m[1]!, status: Number(m[2]), cache: m[3]!, origin: m[4]! }));
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        // SIGQUIT: graceful (workers finish their requests); SIGKILL after 5 s.
        child.kill('SIGQUIT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(prefix, { recursive: true, force: true });
    },
  };
}
