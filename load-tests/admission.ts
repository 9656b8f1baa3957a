/**
 * Cluster-wide admission: N teacher bots join one meeting through 2 signaling processes on one
 * Redis (RedisAdmission), all at once, with a configured cluster join rate. Each bot polls `join`
 * as the web client does (after `retryAfterMs`) until admitted. Measures:
 *   - admitted joins/s after the burst, against the configured rate (one rate for both nodes);
 *   - queue positions: how many were really admitted ahead of each bot after it was told its
 *     position (first come, first served, within the jitter of the polls);
 *   - the estimated wait told at the first answer against the wait observed;
 *   - Redis commands per join (INFO commandstats before and after).
 *
 * Usage: node --import tsx load-tests/admission.ts [bots=1000] [rate=100] [burst=20]
 * Writes load-tests/results/admission.json and admission.svg.
 */
import fs from 'node:fs';
import { createClient } from 'redis';
import type { Socket } from 'socket.io-client';
import { BENCH_SECRET, botToken, connectBot, machine, percentile, runBenchmark, startNode, writeResult, type NodeProcess } from './lib';
import { startRedis } from '../harness/cluster';
import { lineChart } from './chart';

const N = Number(process.argv[2] ?? 1000);
const RATE = Number(process.argv[3] ?? 100);
const BURST = Number(process.argv[4] ?? 20);
const MEETING = 'bench-admission';
const DEADLINE_MS = Math.max(60_000, (N / RATE) * 3000);

type Answer = { ok: true } | { ok: false; error: { code: string; retryAfterMs?: number; queue?: { position: number; etaMs: number } } };

function join(s: Socket): Promise<Answer> {
  return new Promise((resolve, reject) => {
    s.timeout(60_000).emit('join', { meetingId: MEETING }, (err: Error | null, res: Answer) => (err ? reject(err) : resolve(res)));
  });
}

interface Bot {
  firstPosition: number | null;
  firstEtaMs: number | null;
  queuedAt: number | null;
  admittedAt: number | null;
  polls: number;
}

async function commandCalls(url: string): Promise<Record<string, number>> {
  const client = createClient({ url });
  await client.connect();
  const info = await client.info('commandstats');
  await client.quit();
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const env = {
    HOINGHI_PORT: '0',
    HOINGHI_WORKERS: '1',
    HOINGHI_RTC_BASE_PORT: '0',
    HOINGHI_JWT_SECRET: BENCH_SECRET,
    HOINGHI_REDIS_URL: redis.url,
    HOINGHI_JOIN_RATE: String(RATE),
    HOINGHI_JOIN_BURST: String(BURST),
  };
  const nodes: NodeProcess[] = [await startNode(env), await startNode(env)];
  // The nodes' warnings (JSON lines) go to our stderr.
  for (const n of nodes) n.child.stdout!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const sockets: Socket[] = [];
  try {
    // Connect everyone first (not measured), half on each node.
    for (let i = 0; i < N; i += 100) {
      const batch = Array.from({ length: Math.min(100, N - i) }, (_, k) =>
        connectBot(nodes[(i + k) % 2]!.url, botToken(MEETING, `adm-${i + k}`, 'teacher', '01')),
      );
      sockets.push(...(await Promise.all(batch)));
    }
    const before = await commandCalls(redis.url);
    const bots: Bot[] = sockets.map(() => ({ firstPosition: null, firstEtaMs: null, queuedAt: null, admittedAt: null, polls: 0 }));
    const t0 = performance.now();
    let failures = 0;
    const unavailable: Record<string, number> = {};
    const run = async (i: number): Promise<void> => {
      const bot = bots[i]!;
      while (performance.now() - t0 < DEADLINE_MS) {
        bot.polls += 1;
        const res = await join(sockets[i]!);
        const now = performance.now();
        if (res.ok) {
          bot.admittedAt = now - t0;
          return;
        }
        if (res.error.code !== 'queued' || !res.error.queue) {
          // Refused for now (rate, or no capacity for a moment): come back when told, as the client does.
          if (res.error.code === 'rate_limited' || res.error.code === 'unavailable') {
            unavailable[res.error.code === 'unavailable' ? (res.error as { message?: string }).message ?? '' : 'rate_limited'] =
              (unavailable[res.error.code === 'unavailable' ? (res.error as { message?: string }).message ?? '' : 'rate_limited'] ?? 0) + 1;
            await new Promise((r) => setTimeout(r, res.error.retryAfterMs ?? 1000));
            continue;
          }
          throw new Error(`join: ${res.error.code}`);
        }
        if (bot.firstPosition === null) {
          bot.firstPosition = res.error.queue.position;
          bot.firstEtaMs = res.error.queue.etaMs;
          bot.queuedAt = now - t0;
        }
        await new Promise((r) => setTimeout(r, res.error.retryAfterMs ?? 1000));
      }
      throw new Error('not admitted before the deadline');
    };
    // All at once: the arrival order is whatever order the nodes reach Redis in.
    await Promise.all(
      bots.map((_, i) =>
        run(i).catch((error: unknown) => {
          failures += 1;
          console.error(`bot ${i}: ${String(error)}`);
        }),
      ),
    );
    const after = await commandCalls(redis.url);

    const admitted = bots.filter((b) => b.admittedAt !== null);
    const times = admitted.map((b) => b.admittedAt!).sort((a, b) => a - b);
    const queued = admitted.filter((b) => b.firstPosition !== null);
    // Steady state: after the burst, admitted per second from the first to the last queued admission.
    const queuedTimes = queued.map((b) => b.admittedAt!).sort((a, b) => a - b);
    const steadyRate = queuedTimes.length > 1 ? (queuedTimes.length - 1) / ((queuedTimes.at(-1)! - queuedTimes[0]!) / 1000) : NaN;

    // Positions: a bot told "position p" at its first answer should see p - 1 others admitted
    // before it from then on. The difference is how far first-come-first-served strayed (poll
    // jitter, and joins admitted while the answer travelled).
    const sortedAdmissions = queued.map((b) => b.admittedAt!).sort((a, b) => a - b);
    const countIn = (from: number, to: number): number => {
      let n = 0;
      for (const t of sortedAdmissions) if (t > from && t < to) n += 1;
      return n;
    };
    const positionError = queued.map((b) => Math.abs(countIn(b.queuedAt!, b.admittedAt!) + 1 - b.firstPosition!)).sort((a, b) => a - b);
    const positions = queued.map((b) => b.firstPosition!);
    // The wait told at the first answer, against the wait seen.
    const etaError = queued.map((b) => (b.admittedAt! - b.queuedAt!) - b.firstEtaMs!).sort((a, b) => a - b);
    const etaAbsError = etaError.map(Math.abs).sort((a, b) => a - b);

    const calls: Record<string, number> = {};
    for (const [cmd, n] of Object.entries(after)) {
      const d = n - (before[cmd] ?? 0);
      if (d > 0 && cmd !== 'info') calls[cmd] = d;
    }
    // commandstats counts the commands run inside the scripts too: report both.
    const totalCalls = Object.values(calls).reduce((a, b) => a + b, 0);
    const scriptCalls = (calls.evalsha ?? 0) + (calls.eval ?? 0);
    const polls = bots.reduce((n, b) => n + b.polls, 0);

    const result = {
      benchmark: 'admission',
      machine: machine(),
      settings: { bots: N, signalingNodes: 2, joinRate: RATE, burst: BURST },
      admitted: admitted.length,
      failures,
      queued: queued.length,
      admittedPerSecondAfterBurst: Number(steadyRate.toFixed(2)),
      rateRatio: Number((steadyRate / RATE).toFixed(3)),
      totalSeconds: Number((times.at(-1)! / 1000).toFixed(2)),
      idealSeconds: Number(((N - BURST) / RATE).toFixed(2)),
      positions: {
        maxPosition: Math.max(...positions),
        /** |admitted ahead of it after its first answer + 1 − the position it was told| */
        errorP50: percentile(positionError, 50),
        errorP95: percentile(positionError, 95),
        errorMax: positionError.at(-1),
        exact: positionError.filter((e) => e === 0).length,
      },
      etaErrorMs: {
        p50: Math.round(percentile(etaError, 50)),
        absP50: Math.round(percentile(etaAbsError, 50)),
        absP95: Math.round(percentile(etaAbsError, 95)),
      },
      retriedRefusals: unavailable,
      pollsPerJoin: Number((polls / admitted.length).toFixed(2)),
      redis: {
        commands: calls,
        /** Round trips: one script call per poll, per cancel. */
        scriptCallsPerJoin: Number((scriptCalls / admitted.length).toFixed(2)),
        /** Every command executed, those inside the scripts included. */
        commandsPerJoin: Number((totalCalls / admitted.length).toFixed(2)),
      },
    };
    console.log(JSON.stringify(result, null, 2));
    console.log(`written: ${writeResult('admission', result)}`);

    const step = Math.max(1, Math.floor(times.length / 60));
    const points: [number, number][] = times.filter((_, i) => i % step === 0 || i === times.length - 1).map((t, i, arr) => [t / 1000, Math.min(times.length, (i === arr.length - 1 ? times.length : i * step + 1))]);
    const end = times.at(-1)! / 1000;
    fs.writeFileSync(
      'load-tests/results/admission.svg',
      lineChart({
        title: `Admitted joins over time: ${N} bots through 2 signaling nodes on one Redis (rate ${RATE}/s, burst ${BURST})`,
        xLabel: 'seconds since all joined at once',
        series: [
          { name: 'admitted (measured)', points },
          { name: `burst + ${RATE}/s (configured)`, points: [[0, BURST], [end, Math.min(N, BURST + RATE * end)]] },
        ],
      }),
    );
  } finally {
    for (const s of sockets) s.close();
    for (const n of nodes) await n.stop();
    await redis.stop();
  }
}

runBenchmark(main);
