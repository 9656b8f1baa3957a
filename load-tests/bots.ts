/**
 * The parent side of load-tests/botWorker.ts: a pool of client processes, each with its own
 * loopback source address, and Redis readings (INFO) for the cluster benchmarks.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { connectRedis, type RedisClient } from '../common/redis';
import { logger } from '../common/log';
import type { Command, Flow, Report } from './botWorker';
import { metricValue } from './lib';

export class BotPool {
  private constructor(private readonly workers: ChildProcess[]) {}

  /** Forks `n` client processes; worker k sends from 127.0.0.(k + 2). */
  static start(n: number): BotPool {
    const workers = Array.from({ length: n }, () =>
      fork('load-tests/botWorker.ts', [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    return new BotPool(workers);
  }

  get size(): number {
    return this.workers.length;
  }

  private ask<T extends Report['type']>(w: ChildProcess, c: Command, until: T, onReport?: (r: Report) => void): Promise<Extract<Report, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onMessage = (r: Report): void => {
        onReport?.(r);
        if (r.type === until) {
          w.off('message', onMessage);
          w.off('exit', onExit);
          resolve(r as Extract<Report, { type: T }>);
        }
      };
      const onExit = (code: number | null): void => reject(new Error(`client process exited with ${code}`));
      w.on('message', onMessage);
      w.once('exit', onExit);
      w.send(c);
    });
  }

  /**
   * Connects `count` more bots, numbered from `first`, spread evenly over the client processes;
   * bot i goes to urls[i % urls.length]. Resolves with the reports of every process.
   */
  async connect(opts: { urls: string[]; first: number; count: number; meetingId: string; flow: Flow; concurrency: number; onProgress?: (joined: number) => void }): Promise<Extract<Report, { type: 'connected' }>[]> {
    const per = Math.ceil(opts.count / this.workers.length);
    const joined = new Array<number>(this.workers.length).fill(0);
    return Promise.all(
      this.workers.map((w, k) => {
        const first = opts.first + k * per;
        const count = Math.max(0, Math.min(per, opts.first + opts.count - first));
        return this.ask(
          w,
          {
            type: 'connect',
            urls: opts.urls,
            first,
            count,
            meetingId: opts.meetingId,
            flow: opts.flow,
            concurrency: Math.max(1, Math.ceil(opts.concurrency / this.workers.length)),
            localAddress: `127.0.0.${k + 2}`,
            province: '01',
          },
          'connected',
          (r) => {
            if (r.type === 'progress') {
              joined[k] = r.joined;
              opts.onProgress?.(joined.reduce((a, b) => a + b, 0));
            }
          },
        );
      }),
    );
  }

  hands(rate: number, seconds: number): Promise<Extract<Report, { type: 'raises' }>[]> {
    const per = rate / this.workers.length;
    return Promise.all(this.workers.map((w) => this.ask(w, { type: 'hands', rate: per, seconds }, 'raises')));
  }

  storm(dead: string, urls: string[], maxBackoffMs: number): Promise<Extract<Report, { type: 'stormDone' }>[]> {
    return Promise.all(this.workers.map((w) => this.ask(w, { type: 'storm', dead, urls, maxBackoffMs }, 'stormDone')));
  }

  /** Sockets still connected in every client process, and why the others closed. */
  async status(): Promise<{ connected: number; disconnects: Record<string, number> }> {
    const reports = await Promise.all(this.workers.map((w) => this.ask(w, { type: 'status' }, 'status')));
    const disconnects: Record<string, number> = {};
    for (const r of reports) for (const [k, v] of Object.entries(r.disconnects)) disconnects[k] = (disconnects[k] ?? 0) + v;
    return { connected: sum(reports.map((r) => r.connected)), disconnects };
  }

  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        if (w.exitCode !== null) return;
        const exited = new Promise((r) => w.once('exit', r));
        w.send({ type: 'close' } satisfies Command);
        setTimeout(() => w.kill('SIGKILL'), 10_000).unref();
        await exited;
      }),
    );
  }
}

/** One node's /metrics readings: resident memory and event-loop delay (1 ms resolution). */
export async function nodeReadings(url: string): Promise<{ rssMiB: number; lagP50Ms: number; lagP99Ms: number; lagMaxMs: number; sockets: number }> {
  const body = await (await fetch(`${url}/metrics`)).text();
  const ms = (n: string): number => Math.round((metricValue(body, `hoinghi_process_nodejs_eventloop_lag_${n}_seconds`) ?? NaN) * 1e4) / 10;
  return {
    rssMiB: Math.round(((metricValue(body, 'hoinghi_process_process_resident_memory_bytes') ?? NaN) / 2 ** 20) * 10) / 10,
    lagP50Ms: ms('p50'),
    lagP99Ms: ms('p99'),
    lagMaxMs: ms('max'),
    sockets: metricValue(body, 'hoinghi_connected_sockets') ?? NaN,
  };
}

/** Redis command counters (INFO commandstats and total_commands_processed). */
export class RedisCounter {
  private constructor(private readonly client: RedisClient) {}

  static async open(url: string): Promise<RedisCounter> {
    return new RedisCounter(await connectRedis(url, logger('bench-redis')));
  }

  /** total_commands_processed (includes this reader's own INFO calls: one per reading). */
  async total(): Promise<number> {
    const info = await this.client.info('stats');
    return Number(/total_commands_processed:(\d+)/.exec(info)![1]);
  }

  /** total_commands_processed and Redis's own instantaneous_ops_per_sec, from one INFO call. */
  async sample(): Promise<{ total: number; instantaneousOpsPerSec: number }> {
    const info = await this.client.info('stats');
    return {
      total: Number(/total_commands_processed:(\d+)/.exec(info)![1]),
      instantaneousOpsPerSec: Number(/instantaneous_ops_per_sec:(\d+)/.exec(info)![1]),
    };
  }

  /** CPU seconds redis-server has used so far, every thread (INFO cpu: used_cpu_sys + used_cpu_user). */
  async cpuSeconds(): Promise<number> {
    const info = await this.client.info('cpu');
    return Number(/used_cpu_sys:([\d.]+)/.exec(info)![1]) + Number(/used_cpu_user:([\d.]+)/.exec(info)![1]);
  }

  /** Calls per command name. */
  async commands(): Promise<Map<string, number>> {
    const info = await this.client.info('commandstats');
    const out = new Map<string, number>();
    for (const m of info.matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) out.set(m[1]!, Number(m[2]));
    return out;
  }

  static delta(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of after) {
      const d = v - (before.get(k) ?? 0);
      if (d > 0 && k !== 'info') out[k] = d;
    }
    return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
  }

  async close(): Promise<void> {
    await this.client.quit();
  }
}

export const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
