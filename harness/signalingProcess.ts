/**
 * A signaling node as its own process (signaling/main.ts), for what only a process shows: its
 * signals (SIGTERM drains, then it exits) and its exit code. Listens on a free loopback port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { NetHost } from './netns';
import { TEST_SECRET } from './server';

export interface SignalingProcess {
  url: string;
  child: ChildProcess;
  /** pino lines printed so far (parsed). */
  logs: Record<string, unknown>[];
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * With `host` (a network namespace of harness/netns.ts) it runs there, listening on the host's own
 * address, port 3000, with media on that address too.
 */
export async function startSignalingProcess(env: Record<string, string> = {}, options: { host?: NetHost } = {}): Promise<SignalingProcess> {
  const { host } = options;
  const where = host
    ? { HOINGHI_HOST: host.address, HOINGHI_PORT: '3000', HOINGHI_RTC_LISTEN_IP: host.address, HOINGHI_METRICS_HOST: host.address, HOINGHI_RECORDING_RTP_IP: host.address }
    : {};
  const child = (host ? host.spawn.bind(host) : spawn)(process.execPath, ['--import', 'tsx', 'signaling/main.ts'], {
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HOINGHI_'))),
      LOG_LEVEL: 'info',
      HOINGHI_PORT: '0',
      HOINGHI_WORKERS: '1',
      HOINGHI_RTC_BASE_PORT: '0',
      HOINGHI_RTC_MIN_PORT: '42000',
      HOINGHI_RTC_MAX_PORT: '43999',
      HOINGHI_JWT_SECRET: TEST_SECRET,
      HOINGHI_DEMO_MEETING: 'test-meeting',
      ...where,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let buffered = '';
  const url = await new Promise<string>((resolve, reject) => {
    // Generous: tsx compiles the sources and a worker starts, on a shared machine.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('signaling did not start in 90 s'));
    }, 90_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('{')) {
          try {
            logs.push(JSON.parse(line) as Record<string, unknown>);
          } catch {
            // not a log line
          }
        }
        const m = /hoinghi is running: (http:\/\/\S+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`signaling exited with ${code}`));
    });
  });
  return {
    url,
    child,
    logs,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
