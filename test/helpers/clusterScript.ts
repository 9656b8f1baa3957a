/**
 * `scripts/start-cluster.sh` itself, run as a person runs it (not a re-implementation), on ports of
 * its own (the script's HOINGHI_CLUSTER_* settings, all on loopback) and a fresh database folder:
 * resolves once it prints its URL, and offers what a test needs around it: the processes it
 * started (and the PostgreSQL server, which pg_ctl detaches from it), restarting one signaling
 * process, and a stop by signal that reports any process left behind.
 *
 * Setup: by default the script runs with HOINGHI_CLUSTER_SKIP_SETUP=1. A test runs on a tree
 * that scripts/test.sh has just set up with the very same scripts/setup.sh, and setup must not
 * change the tree under a running suite (an `npm ci` or web build while other tests serve it).
 * `runSetup: true` runs it anyway.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import dgram from 'node:dgram';
import os from 'node:os';
import path from 'node:path';

export interface ClusterScriptOptions {
  /** Signaling processes (HOINGHI_CLUSTER_SIGNALING). Default 3, as the script. */
  signaling?: number;
  /** SFU node processes (HOINGHI_CLUSTER_NODES). Default 2, as the script. */
  nodes?: number;
  /** The database folder (HOINGHI_CLUSTER_DATA). Default: a fresh one, removed by stop(). */
  dataDir?: string;
  /** Run scripts/setup.sh first, as the script does by default. Default false (see above). */
  runSetup?: boolean;
  /** More environment for the script and what it starts (HOINGHI_* settings of the processes). */
  env?: Record<string, string>;
  /** How long to wait for the URL. Default 300 s (tsx compiles 5 processes on a shared machine). */
  startTimeoutMs?: number;
}

export interface ProcessInfo {
  pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22): a pid reused later differs. */
  start: number;
  command: string;
}

export interface StopResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Processes that ran before the stop and still run after it (then killed by stop()). */
  leftBehind: ProcessInfo[];
}

export interface ClusterScript {
  /** HAProxy's entry URL, as printed by the script. */
  url: string;
  /** HAProxy's statistics (`/stats;csv`). */
  statsUrl: string;
  /** Each signaling process's own URL, slot 1 first. */
  signalingUrls: string[];
  /** The PostgreSQL port on 127.0.0.1. */
  postgresPort: number;
  dataDir: string;
  /** The script's own process. */
  child: ChildProcess;
  /** What the script and its processes printed so far (the last 256 kB). */
  output(): string;
  /** Every process the script runs now (its descendants) and the PostgreSQL server with its backends. */
  processes(): ProcessInfo[];
  /** The process of signaling slot `slot` (1…), or undefined. */
  signalingProcess(slot: number): ProcessInfo | undefined;
  /**
   * Sends `signal` (default SIGTERM: it drains) to signaling slot `slot`; resolves with the new
   * process once the script has started it again and HAProxy has it UP.
   */
  restartSignaling(slot: number, signal?: NodeJS.Signals, timeoutMs?: number): Promise<ProcessInfo>;
  /** HAProxy's view of each signaling slot (`UP`, `DOWN`, …), slot 1 first. */
  backendStates(): Promise<string[]>;
  /** Sends `signal` (default SIGTERM) to the script and waits for it to exit (90 s, then SIGKILL). */
  stop(signal?: NodeJS.Signals): Promise<StopResult>;
}

const tcpFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

const udpFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    sock.once('error', () => resolve(false));
    sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)));
  });

/**
 * A base port with `count` free ports from it (TCP, and UDP too with `udp`), chosen at random
 * below the kernel's ephemeral range (32768…), where outgoing connections never land.
 */
async function freeRun(count: number, opts: { udp?: boolean; stride?: number; taken?: Set<number> } = {}): Promise<number> {
  const stride = opts.stride ?? 1;
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (12_000 - count * stride));
    const ports = Array.from({ length: count }, (_, i) => base + i * stride);
    if (ports.some((p) => opts.taken?.has(p))) continue;
    let free = true;
    for (const p of ports) {
      if (!(await tcpFree(p)) || (opts.udp && !(await udpFree(p)))) {
        free = false;
        break;
      }
    }
    if (free) {
      for (const p of ports) opts.taken?.add(p);
      return base;
    }
  }
  throw new Error(`no run of ${count} free ports found`);
}

function readProc(pid: number): { ppid: number; start: number; command: string } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: the fields follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return { ppid: Number(fields[1]), start: Number(fields[19]), command };
  } catch {
    return null; // gone meanwhile
  }
}

/** `root` (when given) and every descendant of it, from /proc. */
function processTree(root: number, includeRoot: boolean): ProcessInfo[] {
  const children = new Map<number, number[]>();
  const info = new Map<number, ProcessInfo>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const p = readProc(pid);
    if (!p) continue;
    info.set(pid, { pid, start: p.start, command: p.command });
    const list = children.get(p.ppid) ?? [];
    list.push(pid);
    children.set(p.ppid, list);
  }
  const out: ProcessInfo[] = [];
  const visit = (pid: number, self: boolean): void => {
    const i = info.get(pid);
    if (self && i) out.push(i);
    for (const c of children.get(pid) ?? []) visit(c, true);
  };
  visit(root, includeRoot);
  return out;
}

function isAlive(p: ProcessInfo): boolean {
  const now = readProc(p.pid);
  return now !== null && now.start === p.start;
}

function envOf(pid: number): Map<string, string> {
  try {
    return new Map(
      fs
        .readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]),
    );
  } catch {
    return new Map();
  }
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function startClusterScript(opts: ClusterScriptOptions = {}): Promise<ClusterScript> {
  const signaling = opts.signaling ?? 3;
  const nodes = opts.nodes ?? 2;
  const taken = new Set<number>();
  const bind = await freeRun(1, { taken });
  const stats = await freeRun(1, { taken });
  const redis = await freeRun(1, { taken });
  const postgres = await freeRun(1, { taken });
  const signalingBase = (await freeRun(signaling, { taken })) - 1; // slot i listens on base + i
  const metricsBase = (await freeRun(signaling, { taken })) - 1;
  const sfuBase = await freeRun(nodes, { taken });
  // Each SFU node's WebRTC port (base + 100 i, TCP and UDP); its other transports pick free ports
  // in base + 1000 + 1000 i and up, which mediasoup skips over when taken.
  const rtcBase = await freeRun(nodes, { udp: true, stride: 100, taken });
  const ownData = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-cluster-'));
  // Run as root, the script runs PostgreSQL as the `postgres` user, who must reach the folder.
  fs.chmodSync(dataDir, 0o755);

  const env: Record<string, string> = {
    ...(Object.fromEntries(Object.entries(process.env).filter(([k, v]) => !k.startsWith('HOINGHI_') && v !== undefined)) as Record<string, string>),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    HOINGHI_CLUSTER_SIGNALING: String(signaling),
    HOINGHI_CLUSTER_NODES: String(nodes),
    HOINGHI_CLUSTER_BIND: `127.0.0.1:${bind}`,
    HOINGHI_CLUSTER_STATS_BIND: `127.0.0.1:${stats}`,
    HOINGHI_CLUSTER_REDIS_PORT: String(redis),
    HOINGHI_CLUSTER_POSTGRES_PORT: String(postgres),
    HOINGHI_CLUSTER_SIGNALING_PORT: String(signalingBase),
    HOINGHI_CLUSTER_METRICS_PORT: String(metricsBase),
    HOINGHI_CLUSTER_SFU_PORT: String(sfuBase),
    HOINGHI_CLUSTER_RTC_PORT: String(rtcBase),
    HOINGHI_CLUSTER_DATA: dataDir,
    ...(opts.runSetup ? {} : { HOINGHI_CLUSTER_SKIP_SETUP: '1' }),
    ...opts.env,
  };
  const child = spawn('bash', ['scripts/start-cluster.sh'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const append = (chunk: Buffer): void => {
    out = (out + chunk.toString()).slice(-256_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  const postmaster = (): ProcessInfo[] => {
    let pid: number;
    try {
      pid = Number(fs.readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return [];
    }
    return Number.isInteger(pid) && pid > 0 ? processTree(pid, true) : [];
  };
  const processes = (): ProcessInfo[] => [...processTree(child.pid!, false), ...postmaster()];
  const signalingProcess = (slot: number): ProcessInfo | undefined =>
    processTree(child.pid!, false).find((p) => p.command.includes('signaling/main.ts') && envOf(p.pid).get('HOINGHI_PORT') === String(signalingBase + slot));
  const statsUrl = `http://127.0.0.1:${stats}/stats;csv`;
  const backendStates = async (): Promise<string[]> => {
    const lines = (await (await fetch(statsUrl)).text()).split('\n');
    const header = lines[0]!.replace(/^# /, '').split(',');
    const [px, sv, status] = ['pxname', 'svname', 'status'].map((h) => header.indexOf(h));
    const states: string[] = [];
    for (const line of lines.slice(1)) {
      const f = line.split(',');
      // Servers are named signaling-<slot> (deploy/haproxy.ts).
      const m = /^signaling-(\d+)$/.exec(f[sv!] ?? '');
      if (f[px!] === 'signaling' && m) states[Number(m[1]) - 1] = f[status!]!.split(' ')[0]!;
    }
    return states;
  };

  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`start-cluster.sh printed no URL in ${opts.startTimeoutMs ?? 300_000} ms:\n${out.slice(-4000)}`)), opts.startTimeoutMs ?? 300_000);
      const look = (): void => {
        const m = /hoinghi cluster: open (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      child.stdout!.on('data', look);
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`start-cluster.sh exited (${code ?? signal}) before printing its URL:\n${out.slice(-4000)}`));
      });
    });
  } catch (error) {
    const before = processes();
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 60_000))]);
    for (const p of before) if (isAlive(p)) process.kill(p.pid, 'SIGKILL');
    if (ownData) fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }

  return {
    url,
    statsUrl,
    signalingUrls: Array.from({ length: signaling }, (_, i) => `http://127.0.0.1:${signalingBase + i + 1}`),
    postgresPort: postgres,
    dataDir,
    child,
    output: () => out,
    processes,
    signalingProcess,
    backendStates,
    async restartSignaling(slot, signal = 'SIGTERM', timeoutMs = 180_000) {
      const old = signalingProcess(slot);
      if (!old) throw new Error(`no signaling process in slot ${slot}`);
      process.kill(old.pid, signal);
      await until(`signaling ${slot} (pid ${old.pid}) to exit`, timeoutMs, () => (isAlive(old) ? undefined : true));
      const next = await until(`signaling ${slot} to be started again`, timeoutMs, () => signalingProcess(slot));
      await until(`HAProxy to have signaling ${slot} UP again`, timeoutMs, async () => ((await backendStates())[slot - 1] === 'UP' ? true : undefined));
      return next;
    },
    async stop(sig = 'SIGTERM') {
      const before = processes();
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
      const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      const result = await exited;
      clearTimeout(timer);
      // A process whose parent has just exited may still be on its way out (a mediasoup worker
      // ends when its SFU node's channel closes): what still runs after 15 s was left behind.
      const deadline = Date.now() + 15_000;
      while (before.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const leftBehind = before.filter(isAlive);
      for (const p of leftBehind) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      if (ownData) fs.rmSync(dataDir, { recursive: true, force: true });
      return { ...result, leftBehind };
    },
  };
}
