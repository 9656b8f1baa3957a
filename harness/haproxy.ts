/**
 * A real HAProxy (Debian's package) in front of given signaling backends, with the configuration
 * that `scripts/start-cluster.sh` uses (deploy/haproxy.ts), on free loopback ports; in the
 * foreground, without pid file or chroot (it runs as root in CI).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { haproxyConfig } from '../deploy/haproxy';
import { freePort } from './cluster';
import type { NetHost } from './netns';

export interface HaproxyProcess {
  /** The entry URL (what a browser opens). */
  url: string;
  /** Each backend's state as HAProxy sees it (`UP`, `DOWN`, …), by `host:port`. */
  states(): Promise<Map<string, string>>;
  /** Resolves once HAProxy sees `backend` in `state` (deadline `timeoutMs`). */
  waitFor(backend: string, state: 'UP' | 'DOWN', timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** With `opts.host` (harness/netns.ts) it runs in that host, on its address, ports 80 and 8404. */
export async function startHaproxy(backends: string[], opts: { checkIntervalMs?: number; host?: NetHost } = {}): Promise<HaproxyProcess> {
  const { host } = opts;
  const [port, statsPort] = host ? [80, 8404] : [await freePort(), await freePort()];
  const address = host?.address ?? '127.0.0.1';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-haproxy-'));
  const file = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(
    file,
    haproxyConfig({
      bind: `${address}:${port}`,
      backends,
      statsBind: `${address}:${statsPort}`,
      ...(opts.checkIntervalMs ? { checkIntervalMs: opts.checkIntervalMs } : {}),
    }),
  );
  const child = (host ? host.spawn.bind(host) : spawn)('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const statsUrl = `http://${address}:${statsPort}/stats;csv`;

  const states = async (): Promise<Map<string, string>> => {
    const csv = await (await fetch(statsUrl)).text();
    const lines = csv.split('\n');
    const header = lines[0]!.replace(/^# /, '').split(',');
    const [px, sv, status] = ['pxname', 'svname', 'status'].map((h) => header.indexOf(h));
    const out = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const f = line.split(',');
      // Servers are named signaling-<n> after their place in `backends` (deploy/haproxy.ts).
      const m = /^signaling-(\d+)$/.exec(f[sv!] ?? '');
      if (f[px!] !== 'signaling' || !m) continue;
      out.set(backends[Number(m[1]) - 1]!, f[status!]!.split(' ')[0]!);
    }
    return out;
  };

  // Ready when the statistics page answers (the entry listener is bound by then).
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited: ${stderr}`);
    try {
      await states();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`haproxy did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  return {
    url: port === 80 ? `http://${address}` : `http://${address}:${port}`,
    states,
    async waitFor(backend, state, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        if ((await states()).get(backend) === state) return;
        if (Date.now() > until) throw new Error(`haproxy: ${backend} not ${state} within ${timeoutMs} ms: ${JSON.stringify([...(await states())])}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
