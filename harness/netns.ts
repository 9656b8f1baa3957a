/**
 * Hosts of their own on one machine: a topology of Linux network namespaces joined by a bridge,
 * each host with its own IPv4 address, for tests and benchmarks of what crosses a network (an
 * announced address, a route, a host lost whole, a partition, a firewall).
 *
 *   switch namespace  ── bridge ──┬── veth ── host "sfu-a"   10.x.y.11
 *                                 ├── veth ── host "sfu-b"   10.x.y.12
 *                                 ├── …
 *                                 └── veth ── this process's namespace 10.x.y.1 (the test itself)
 *
 * The bridge lives in a namespace of its own, so nothing of the machine's own network changes but
 * one veth end (the "gateway", named after the run) that lets the test reach its hosts. Addresses
 * are a /24 of 10.0.0.0/8 chosen per run and checked free on this machine; only the test's own
 * hosts are ever addressed. Everything made is removed by `destroy()`, on process exit, and, for
 * a run killed hard, by the next run (names carry the creating pid; a dead pid's leftovers go).
 *
 * Needs root (CI runs as root), `ip` (iproute2) and, for firewalls and partitions, `nft`.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PREFIX = 'hn';

export interface NetHost {
  /** The name given by the test ("sfu-a"). */
  readonly name: string;
  /** The network namespace (`ip netns exec <ns> …`). */
  readonly ns: string;
  /** Its address on the bridge. */
  readonly address: string;
  /** Starts a program inside the host (`ip netns exec` execs it: the child's pid is the program's). */
  spawn(command: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Runs a short command inside the host and returns its stdout. */
  run(command: string, args: string[]): string;
  /** The pids of every process in the host. */
  pids(): number[];
  /** SIGKILL to every process of the host at once, as a machine that loses power. */
  killAll(): void;
  /** Replaces the host's packet filter (nftables, `inet` family) with `rules` (chain bodies), or clears it. */
  firewall(rules: { input?: string[]; output?: string[] } | null): void;
  /** A path to an executable script that runs `binary` inside this host (for tools that take a program path, e.g. Playwright's executablePath). */
  wrapper(binary: string): string;
}

export interface Topology {
  /** This process's own address on the bridge (the test's "gateway"). */
  readonly gateway: string;
  readonly hosts: ReadonlyMap<string, NetHost>;
  addHost(name: string): NetHost;
  /** Drops every packet between two hosts, both ways (or `a` → `b` only with `oneWay`); heal() undoes it. */
  cut(a: NetHost, b: NetHost, options?: { oneWay?: boolean }): void;
  heal(a: NetHost, b: NetHost): void;
  destroy(): void;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const quiet = (fn: () => unknown) => {
  try {
    fn();
  } catch {
    // already gone
  }
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Removes namespaces and gateway links left by runs whose process is gone (a run killed with SIGKILL). */
function sweepLeftovers(): void {
  const namespaces = ip('netns', 'list').split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
  for (const ns of namespaces) {
    const m = new RegExp(`^${PREFIX}(\\d+)-`).exec(ns);
    if (m && !alive(Number(m[1]))) {
      for (const pid of netnsPids(ns)) quiet(() => process.kill(pid, 'SIGKILL'));
      quiet(() => ip('netns', 'delete', ns));
    }
  }
  for (const line of ip('-o', 'link', 'show').split('\n')) {
    const m = new RegExp(`^\\d+: (${PREFIX}g(\\d+))[@:]`).exec(line);
    if (m && !alive(Number(m[2]))) quiet(() => ip('link', 'delete', m[1]!));
  }
}

function netnsPids(ns: string): number[] {
  try {
    return ip('netns', 'pids', ns).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A /24 of 10.0.0.0/8 that no interface of this machine's namespace uses. */
function freeSubnet(): string {
  const used = ip('-4', '-o', 'addr', 'show');
  const routes = ip('-4', 'route', 'show');
  for (let i = 0; i < 200; i++) {
    const n = (process.pid + i * 7919) % 40_000;
    const subnet = `10.${200 + Math.floor(n / 256) % 50}.${n % 256}`;
    if (!used.includes(` ${subnet}.`) && !routes.includes(`${subnet}.0/24`)) return subnet;
  }
  throw new Error('no free 10.x.y.0/24 for the test topology');
}

/**
 * Makes the bridge and the gateway. Hosts are added with `addHost`; the first gets .11, then .12 …
 */
export function createTopology(): Topology {
  if (process.getuid?.() !== 0) throw new Error('the network-namespace topology needs root');
  sweepLeftovers();
  const run = `${PREFIX}${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
  const subnet = freeSubnet();
  const sw = `${run}-sw`;
  const gatewayLink = `${PREFIX}g${process.pid}`.slice(0, 15);
  const gateway = `${subnet}.1`;
  const made: string[] = [];
  const hosts = new Map<string, NetHost>();
  const wrapperDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-netns-'));
  let destroyed = false;

  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    process.off('exit', destroy);
    for (const ns of made) for (const pid of netnsPids(ns)) quiet(() => process.kill(pid, 'SIGKILL'));
    for (const ns of made.reverse()) quiet(() => ip('netns', 'delete', ns));
    quiet(() => ip('link', 'delete', gatewayLink));
    fs.rmSync(wrapperDir, { recursive: true, force: true });
  };
  process.on('exit', destroy);

  try {
    ip('netns', 'add', sw);
    made.push(sw);
    ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', sw, 'link', 'set', 'br0', 'up');
    ip('link', 'add', gatewayLink, 'type', 'veth', 'peer', 'name', 'gw', 'netns', sw);
    ip('-n', sw, 'link', 'set', 'gw', 'master', 'br0', 'up');
    ip('addr', 'add', `${gateway}/24`, 'dev', gatewayLink);
    ip('link', 'set', gatewayLink, 'up');
  } catch (error) {
    destroy();
    throw error;
  }

  const nft = (ns: string, script: string) =>
    execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: script, stdio: ['pipe', 'pipe', 'pipe'] });

  // Cuts are kept per host as drop rules in a table of their own, beside the host's firewall.
  const cuts = new Map<string, { out: Set<string>; in: Set<string> }>();
  const cutsOf = (h: NetHost) => {
    let c = cuts.get(h.name);
    if (!c) cuts.set(h.name, (c = { out: new Set(), in: new Set() }));
    return c;
  };
  const applyCuts = (h: NetHost) => {
    const c = cutsOf(h);
    const chain = (name: string, hook: string, rules: string[]) =>
      ` chain ${name} { type filter hook ${hook} priority -10; policy accept;\n${rules.join('\n')}\n }\n`;
    nft(
      h.ns,
      `table inet hn_cut\ndelete table inet hn_cut\ntable inet hn_cut {\n` +
        chain('out', 'output', [...c.out].map((a) => `ip daddr ${a} drop`)) +
        chain('in', 'input', [...c.in].map((a) => `ip saddr ${a} drop`)) +
        `}\n`,
    );
  };

  const addHost = (name: string): NetHost => {
    if (hosts.has(name)) throw new Error(`host ${name} exists`);
    if (hosts.size >= 200) throw new Error('too many hosts');
    const index = hosts.size;
    const ns = `${run}-${name}`;
    const address = `${subnet}.${11 + index}`;
    const outside = `${PREFIX}${process.pid % 100_000}x${index}`.slice(0, 15);
    ip('netns', 'add', ns);
    made.push(ns);
    ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    ip('link', 'set', outside, 'netns', sw);
    ip('-n', sw, 'link', 'set', outside, 'master', 'br0', 'up');
    ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    // Only the topology is reachable: everything else has no route (no default route is set).
    const host: NetHost = {
      name,
      ns,
      address,
      spawn: (command, args, options = {}) => spawn('ip', ['netns', 'exec', ns, command, ...args], options),
      run: (command, args) => execFileSync('ip', ['netns', 'exec', ns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }).toString(),
      pids: () => netnsPids(ns),
      killAll: () => {
        for (const pid of netnsPids(ns)) quiet(() => process.kill(pid, 'SIGKILL'));
      },
      firewall: (rules) => {
        const body = rules
          ? `table inet hn_fw {\n chain in { type filter hook input priority 0; policy accept;\n${(rules.input ?? []).join('\n')}\n }\n chain out { type filter hook output priority 0; policy accept;\n${(rules.output ?? []).join('\n')}\n }\n}\n`
          : '';
        nft(ns, `table inet hn_fw\ndelete table inet hn_fw\n${body}`);
      },
      wrapper: (binary) => {
        const file = path.join(wrapperDir, `${name}-${path.basename(binary)}`);
        fs.writeFileSync(file, `#!/bin/sh\nexec ip netns exec ${ns} ${binary} "$@"\n`, { mode: 0o755 });
        return file;
      },
    };
    hosts.set(name, host);
    return host;
  };

  return {
    gateway,
    hosts,
    addHost,
    cut(a, b, { oneWay = false } = {}) {
      // One way: a's packets to b are dropped as they leave a; b's packets still reach a.
      cutsOf(a).out.add(b.address);
      if (!oneWay) {
        cutsOf(a).in.add(b.address);
        cutsOf(b).out.add(a.address);
        cutsOf(b).in.add(a.address);
      }
      applyCuts(a);
      applyCuts(b);
    },
    heal(a, b) {
      for (const [x, y] of [[a, b], [b, a]] as const) {
        cutsOf(x).out.delete(y.address);
        cutsOf(x).in.delete(y.address);
      }
      applyCuts(a);
      applyCuts(b);
    },
    destroy,
  };
}
