/**
 * How many commands per second one redis-server runs on this machine, by Debian's own
 * `redis-benchmark`: GET, SET and EVALSHA of a one-key Lua script (INCR + EXPIRE, the shape of the
 * store's scripts), 50 clients, no pipelining, random keys. The capacity plan compares these with
 * the Redis CPU time per join that load-tests/joinCost.ts measures (Redis runs commands on one
 * thread, so a core's worth is the ceiling of one primary).
 *
 * redis-benchmark shares the 2 cores with redis-server (and with whatever else runs), so these
 * are what this machine gave, not what a dedicated Redis host gives.
 *
 *   node --import tsx load-tests/redisCapacity.ts [--requests 200000]
 * Writes load-tests/results/redis-capacity.json.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { startRedis } from '../harness/cluster';
import { machine, runBenchmark, writeResult } from './lib';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '200000' } } });
const REQUESTS = values.requests;
const SCRIPT = "redis.call('incr', KEYS[1]); return redis.call('expire', KEYS[1], 60)";

async function main(): Promise<void> {
  const redis = await startRedis();
  try {
    const { port } = new URL(redis.url);
    const cli = (...args: string[]): string => execFileSync('redis-cli', ['-p', port, ...args]).toString().trim();
    const sha = cli('SCRIPT', 'LOAD', SCRIPT);
    const bench = (...args: string[]): number => {
      const out = execFileSync('redis-benchmark', ['-p', port, '-c', '50', '-n', REQUESTS, '-r', '100000', '--csv', ...args]).toString();
      // "test","rps",… header, then one line per test.
      const line = out.trim().split('\n').at(-1)!;
      return Math.round(Number(JSON.parse(`[${line}]`)[1]));
    };
    const requestsPerSecond = {
      GET: bench('-t', 'get'),
      SET: bench('-t', 'set'),
      EVALSHA: bench('evalsha', sha, '1', 'counter:__rand_int__'),
    };
    const result = {
      benchmark: 'redis-benchmark: one redis-server, 50 clients, no pipelining',
      date: new Date().toISOString(),
      machine: machine(),
      loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10),
      command: `node --import tsx load-tests/redisCapacity.ts --requests ${REQUESTS}`,
      redisVersion: cli('INFO', 'server').match(/redis_version:(\S+)/)?.[1] ?? null,
      note: `redis-benchmark -c 50 -n ${REQUESTS} -r 100000 --csv, on the same 2 cores as redis-server; EVALSHA runs: ${SCRIPT}`,
      requestsPerSecond,
    };
    console.log(JSON.stringify(result, null, 2));
    console.log(`redis-capacity: wrote ${writeResult('redis-capacity', result)}`);
  } finally {
    await redis.stop();
  }
}

runBenchmark(main);
