/**
 * `scripts/start.sh` run as the README says, as a child process: the environment a person's
 * shell gives it (no HOINGHI_* setting, no test runner's variables), plus only what the caller
 * passes (free ports, a fresh data folder). The script runs scripts/setup.sh first, as it does for
 * everyone; when the set-up stamps are current that only checks them. A stale npm stamp would
 * make it run `npm ci` from inside a test (minutes, and it rewrites node_modules under every
 * other test), so that is refused with the command to run instead.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ScriptProcess {
  /** The URL the script printed. */
  url: string;
  /** Milliseconds from the spawn to the printed URL (set-up checks included). */
  startMs: number;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** SIGINT to its process group (the node it exec'd stops at once), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Throws unless scripts/setup.sh would only check its stamps (no `npm ci`, no worker build). */
export function assertSetUp(): void {
  const npmHash = createHash('sha256')
    .update(fs.readFileSync(path.join(REPO, 'package.json')))
    .update(fs.readFileSync(path.join(REPO, 'package-lock.json')))
    .digest('hex')
    .slice(0, 32);
  const stamp = fs.readFileSync(path.join(REPO, '.build/npm.stamp'), 'utf8').trim();
  if (stamp !== npmHash) throw new Error('the npm set-up stamp is stale: run scripts/setup.sh (or scripts/test.sh) first');
  const worker = spawnSync('bash', ['scripts/build-worker.sh', '--print-bin'], { cwd: REPO, encoding: 'utf8' });
  if (worker.status !== 0 || worker.stdout.trim() === '') throw new Error('no cached mediasoup worker: run scripts/setup.sh (or scripts/test.sh) first');
}

/** The variables a person's shell would not have: every HOINGHI_* and the test runner's own. */
function personEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('HOINGHI_') || k.startsWith('VITEST') || k === 'NODE_ENV' || k === 'LOG_LEVEL') continue;
    out[k] = v;
  }
  return out;
}

/**
 * Runs `script` (relative to the repository, e.g. scripts/start.sh) with `env` on top of a
 * person's environment, and resolves once it prints `hoinghi is running: <url>` (or the
 * pattern given).
 */
export async function runScript(script: string, env: Record<string, string>, options: { ready?: RegExp; timeoutMs?: number } = {}): Promise<ScriptProcess> {
  const ready = options.ready ?? /hoinghi is running: (http:\/\/\S+)/;
  const timeoutMs = options.timeoutMs ?? 180_000;
  const started = Date.now();
  // Its own process group: the script's set-up children and the node it execs stop together.
  const child = spawn('bash', [script], { cwd: REPO, env: { ...personEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let printed = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // already gone
    }
  };
  const stop = async (graceMs = 20_000): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) signal('SIGINT');
    const timer = setTimeout(() => signal('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    // Anything of the group still alive (a set-up step) goes too.
    signal('SIGKILL');
  };
  let url: string | null = null;
  await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop(0);
      reject(new Error(`${script} printed no URL in ${timeoutMs / 1000} s; it printed:\n${printed.slice(-3000)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      // The tail is enough to explain a failure; a long run logs a lot.
      printed = (printed + chunk.toString()).slice(-1_000_000);
      const m = url === null ? ready.exec(printed) : null;
      if (m) {
        url = m[1]!;
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}; it printed:\n${printed.slice(-3000)}`));
    });
  });
  return { url: url!, startMs: Date.now() - started, output: () => printed, stop };
}

/**
 * The checkout's default recordings folder (`recordings`, relative to where the scripts run) as
 * it is now; the returned function removes what was made there since, and the folder itself if
 * it did not exist.
 */
export function keepCheckoutRecordings(): () => void {
  const dir = path.join(REPO, 'recordings');
  const live = path.join(dir, '.live');
  const entries = (d: string): Set<string> => new Set(fs.existsSync(d) ? fs.readdirSync(d) : []);
  const existed = fs.existsSync(dir);
  const before = entries(dir);
  const liveBefore = entries(live);
  return () => {
    if (!existed) {
      fs.rmSync(dir, { recursive: true, force: true });
      return;
    }
    for (const name of entries(dir)) if (!before.has(name) && name !== '.live') fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    for (const name of entries(live)) if (!liveBefore.has(name)) fs.rmSync(path.join(live, name), { recursive: true, force: true });
  };
}
