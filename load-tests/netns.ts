/**
 * A private network namespace for a benchmark, and Receive Packet Steering (RPS) on its loopback
 * (load-tests/viewerCost.ts with RPS=1).
 *
 * On loopback the kernel delivers a datagram (IP and UDP receive, socket wake-up: the NET_RX
 * softirq) in the sending process's context, so a worker pinned to core 0 is charged for its
 * viewers' receive side, which a real NIC would not charge to the SFU (the viewers are other
 * machines). RPS on lo (`/sys/class/net/lo/queues/rx-0/rps_cpus`, a CPU mask) queues each datagram
 * to a CPU of the mask instead, and that CPU runs the softirq.
 *
 * The machine's own loopback is shared with other users and is never touched: the benchmark
 * re-executes itself under `unshare --net --mount`, brings its private lo up and mounts a fresh
 * sysfs in its private mount namespace, so /sys/class/net/lo is the private device. Needs root.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';

const MARK = 'HOINGHI_BENCH_HOST_NETNS';
const RPS_CPUS = '/sys/class/net/lo/queues/rx-0/rps_cpus';

const netnsId = () => fs.readlinkSync('/proc/self/ns/net');

/** True in the private namespace made by reexecInPrivateNetns (a namespace other than the caller's). */
export function inPrivateNetns(): boolean {
  const host = process.env[MARK];
  return host !== undefined && host !== netnsId();
}

/**
 * Runs this same command (node, its flags, the script and its arguments) again under
 * `unshare --net --mount`, inheriting stdio; resolves with its exit code.
 */
export function reexecInPrivateNetns(): Promise<number> {
  const child = spawn('unshare', ['--net', '--mount', '--propagation', 'private', '--', process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [MARK]: netnsId() },
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** In the private namespace: lo up, and a sysfs of this namespace on /sys (this mount namespace only). */
export function setUpPrivateLoopback(): void {
  if (!inPrivateNetns()) throw new Error('refusing to set up loopback outside a private network namespace');
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  execFileSync('mount', ['-t', 'sysfs', 'sysfs', '/sys']);
  const devices = fs.readdirSync('/sys/class/net');
  if (devices.join(',') !== 'lo') throw new Error(`the fresh sysfs shows ${devices.join(',')}, not the private lo alone`);
}

/** Sets lo's RPS CPU mask (hex, e.g. '0' = off, '2' = core 1); only in the private namespace. */
export function setRps(mask: string): void {
  if (!inPrivateNetns()) throw new Error('refusing to change rps_cpus outside a private network namespace');
  fs.writeFileSync(RPS_CPUS, `${mask}\n`);
  const now = Number.parseInt(fs.readFileSync(RPS_CPUS, 'utf8').trim().replace(/,/g, ''), 16);
  if (now !== Number.parseInt(mask, 16)) throw new Error(`rps_cpus reads ${now.toString(16)}, not ${mask}`);
}

/** The hex mask of every core but core 0 (where the measured worker is pinned). */
export function maskOfCoresBut0(cores: number): string {
  return (((1 << cores) - 1) & ~1).toString(16);
}

/** Per CPU: softirqs so far by type (/proc/softirqs: NET_RX, TIMER, …) and softirq time in USER_HZ ticks (/proc/stat). Machine-wide counters. */
export interface SoftirqSnap {
  netRx: number[];
  byType: Record<string, number[]>;
  softirqTicks: number[];
}
export function softirqSnap(): SoftirqSnap {
  const byType: Record<string, number[]> = {};
  for (const line of fs.readFileSync('/proc/softirqs', 'utf8').split('\n').slice(1)) {
    const [type, ...counts] = line.trim().split(/\s+/);
    if (type?.endsWith(':')) byType[type.slice(0, -1)] = counts.map(Number);
  }
  const netRx = byType.NET_RX ?? [];
  const softirqTicks = fs.readFileSync('/proc/stat', 'utf8').split('\n')
    .filter((l) => /^cpu\d+ /.test(l))
    .map((l) => Number(l.split(/\s+/)[7])); // cpuN user nice system idle iowait irq softirq …
  return { netRx, byType, softirqTicks };
}
