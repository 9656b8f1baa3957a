/**
 * A weak downlink for one browser in a test: the traffic the machine's loopback carries to one
 * UDP port (the page's ICE candidate) goes through a token bucket of `kbit` with a short queue, so
 * what does not fit is dropped, as at a rural link's bottleneck. Other loopback traffic is not
 * shaped (HTB's unclassified traffic goes straight through).
 * Needs root and the kernel's HTB scheduler (both in CI); Debian's kernel here has no netem.
 * One shaper at a time; `clear()` restores the loopback's default (no qdisc). It removes only its
 * own scheduler (handle 1: of kind htb) and also does so when the test process exits or is
 * stopped, so a crashed test leaves no shaped port behind.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const tc = (...args: string[]) => run('tc', args);

export interface LinkShaper {
  /** Shapes the traffic to `port` at `kbit` (changes the rate if already shaped). */
  shape(port: number, kbit: number, queuePackets?: number): Promise<void>;
  /** Packets the squeeze acted on so far: held back over the rate (HTB overlimits) or dropped. */
  squeezed(): Promise<number>;
  /** Removes the shaper: the loopback as it was. */
  clear(): Promise<void>;
}

/** Our scheduler on `dev`, if it is there: the root qdisc HTB with handle 1:. */
function ours(show: string): boolean {
  return /^qdisc htb 1: root/m.test(show);
}

/** Removes our scheduler from `dev` synchronously (for exit handlers). */
function clearSync(dev: string): void {
  try {
    if (ours(execFileSync('tc', ['qdisc', 'show', 'dev', dev]).toString())) execFileSync('tc', ['qdisc', 'del', 'dev', dev, 'root']);
  } catch {
    // Nothing to clear, or tc is gone: the process is ending anyway.
  }
}

export function loopbackShaper(dev = 'lo'): LinkShaper {
  let hooked = false;
  const clear = async () => {
    const { stdout } = await tc('qdisc', 'show', 'dev', dev);
    if (ours(stdout)) await tc('qdisc', 'del', 'dev', dev, 'root');
  };
  return {
    async shape(port, kbit, queuePackets = 20) {
      if (!hooked) {
        hooked = true;
        process.once('exit', () => clearSync(dev));
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => (clearSync(dev), process.exit(1)));
      }
      await clear();
      await tc('qdisc', 'add', 'dev', dev, 'root', 'handle', '1:', 'htb', 'default', '0');
      await tc('class', 'add', 'dev', dev, 'parent', '1:', 'classid', '1:10', 'htb', 'rate', `${kbit}kbit`, 'ceil', `${kbit}kbit`);
      await tc('qdisc', 'add', 'dev', dev, 'parent', '1:10', 'handle', '10:', 'pfifo', 'limit', String(queuePackets));
      await tc('filter', 'add', 'dev', dev, 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'dport', String(port), '0xffff', 'flowid', '1:10');
    },
    async squeezed() {
      const { stdout } = await tc('-s', 'qdisc', 'show', 'dev', dev);
      const qdiscs = stdout.split('qdisc ');
      const root = qdiscs.find((q) => q.startsWith('htb 1:'));
      const leaf = qdiscs.find((q) => q.startsWith('pfifo 10:'));
      return Number(/overlimits (\d+)/.exec(root ?? '')?.[1] ?? 0) + Number(/dropped (\d+)/.exec(leaf ?? '')?.[1] ?? 0);
    },
    clear,
  };
}
