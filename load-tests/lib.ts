/** Shared pieces of the load tests: a hoinghi node in its own process, CPU readings, percentiles. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { io, type Socket } from 'socket.io-client';
import jwt from 'jsonwebtoken';
import { PROVINCES } from '../signaling/data/provinces';
import { audioRtpParameters, dtlsParameters, videoRtpParameters } from '../harness/media';

export interface NodeProcess {
  url: string;
  child: ChildProcess;
  stop: () => Promise<void>;
}

/** Starts `signaling/main.ts` in a child process with the given settings; resolves with its URL. */
export async function startNode(env: Record<string, string>): Promise<NodeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'signaling/main.ts'], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('node did not start in 90 s')), 90_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /hoinghi is running: (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`node exited with ${code}`)));
  });
  return {
    url,
    child,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

const TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/** A process as /proc/<pid>/stat shows it: its parent, its name (15 characters at most) and its CPU seconds, reaped children's included. */
interface ProcStat { pid: number; ppid: number; comm: string; cpuS: number }

function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // gone between the listing and the read
  }
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  // utime, stime, cutime, cstime: a child that exited and was waited for counts in its parent.
  const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  return { pid, ppid: Number(fields[1]), comm: text.slice(text.indexOf('(') + 1, close), cpuS: ticks / TICKS };
}

/**
 * CPU seconds used so far by the process `root` and every live descendant, split by the
 * descendant's name (`mediasoup-worke` for mediasoup's workers, `node`, `postgres`, …). A
 * descendant that exited is counted in its parent once reaped.
 */
export function treeCpuSeconds(root: number): Map<string, number> {
  const all = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((d) => procStat(Number(d))).filter((s): s is ProcStat => s !== null);
  const children = new Map<number, ProcStat[]>();
  for (const s of all) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const out = new Map<string, number>();
  const self = all.find((s) => s.pid === root);
  for (const stack = self ? [self] : []; stack.length; ) {
    const s = stack.pop()!;
    out.set(s.comm, (out.get(s.comm) ?? 0) + s.cpuS);
    stack.push(...(children.get(s.pid) ?? []));
  }
  return out;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function machine(): Record<string, unknown> {
  return { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, memGiB: Math.round(os.totalmem() / 2 ** 30) };
}

/** Reads one sample of a Prometheus metric from a /metrics body. */
export function metricValue(body: string, name: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : undefined;
}

export function writeResult(name: string, result: unknown): string {
  fs.mkdirSync('load-tests/results', { recursive: true });
  const path = `load-tests/results/${name}.json`;
  fs.writeFileSync(path, JSON.stringify(result, null, 2) + '\n');
  return path;
}

/** The HS256 key the benchmarks give their node, to mint bot tokens. */
export const BENCH_SECRET = 'bench-secret-bench-secret-bench-secret-00';

export function botToken(meetingId: string, sub: string, role: string, province: string | null): string {
  return jwt.sign({ sub, name: sub, role, province, school: 'Bench school', meetings: [meetingId] }, BENCH_SECRET, {
    algorithm: 'HS256',
    expiresIn: 3600,
    issuer: 'hoinghi',
    audience: 'hoinghi',
  });
}

export function connectBot(url: string, token: string): Promise<Socket> {
  const s = io(url, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s));
    s.once('connect_error', reject);
  });
}

/** Sends an event and resolves with its data, or rejects with the error code. */
export function emitAck<T>(s: Socket, event: string, payload: unknown, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    s.timeout(timeoutMs).emit(event, payload, (err: Error | null, res: { ok: boolean; data: T; error?: { code: string; message: string } }) => {
      if (err) reject(err);
      else if (res.ok) resolve(res.data);
      else reject(new Error(`${event}: ${res.error?.code} ${res.error?.message}`));
    });
  });
}

/**
 * Connects `count` teacher bots (`bot-0`, `bot-1`, …; provinces in turn) to `url` and joins each
 * to the meeting, 200 at a time. Resolves with their sockets, in order.
 */
export async function joinBots(url: string, meetingId: string, count: number): Promise<Socket[]> {
  const bots: Socket[] = [];
  for (let i = 0; i < count; i += 200) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(200, count - i) }, async (_, k) => {
        const s = await connectBot(url, botToken(meetingId, `bot-${i + k}`, 'teacher', PROVINCES[(i + k) % PROVINCES.length]!.code));
        await emitAck(s, 'join', { meetingId });
        return s;
      }),
    );
    bots.push(...batch);
  }
  return bots;
}

/** Runs a benchmark's main and exits: 0 when it finished, 1 (with the error) when it failed. */
export function runBenchmark(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

/** A host bot that joins and publishes a camera and a microphone (plain RTP parameters, no media). */
export async function publishingHost(url: string, meetingId: string): Promise<Socket> {
  const host = await connectBot(url, botToken(meetingId, 'bench-host', 'host', null));
  await emitAck(host, 'join', { meetingId });
  const t = await emitAck<{ id: string }>(host, 'createTransport', { direction: 'send' });
  await emitAck(host, 'connectTransport', { transportId: t.id, dtlsParameters });
  await emitAck(host, 'produce', { transportId: t.id, kind: 'video', source: 'camera', rtpParameters: videoRtpParameters() });
  await emitAck(host, 'produce', { transportId: t.id, kind: 'audio', source: 'mic', rtpParameters: audioRtpParameters() });
  return host;
}
