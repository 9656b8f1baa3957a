/**
 * What one teacher's join costs each part of a cluster, with real DTLS handshakes: CPU time per
 * join of the signaling processes, the SFU workers (mediasoup-worker) and the SFU node processes,
 * Redis commands and Redis CPU per join, PostgreSQL rows and CPU per join. On a 2-core machine the
 * bots' own ICE/DTLS/SRTP shares the cores, so joins/s would measure the bots; CPU time read from
 * each part's own counters does not.
 *
 * The cluster: PostgreSQL, Redis, 2 SFU node processes (one worker each), 2 signaling processes
 * (Redis store and adapter, cluster SFU, PostgreSQL for the meeting and attendance). A host bot
 * publishes a looped VP8 + Opus clip over real WebRTC (harness/webrtcPublisher.ts) through node 1;
 * viewer bots (bots/webrtcViewer.ts: node-datachannel ICE, DTLS, SRTP, RTCP) run in 2 other
 * processes (webrtcBotWorker.ts), one per signaling node, and each join runs the page's flow:
 * connect → join → recv transport → startConsuming → ICE + DTLS → resume → first RTP.
 *
 * Readings: /proc/<pid>/stat (utime + stime, children reaped included) of each signaling process
 * tree, each SFU node's Node.js process and its mediasoup-worker, and every postgres process;
 * Redis INFO (total_commands_processed, used_cpu_sys + used_cpu_user); PostgreSQL pg_stat_database
 * and pg_stat_user_tables (tup_inserted + tup_updated: rows per join counts the product's own
 * tables; pg_stat_database's figure, which adds the catalogs, is given beside it).
 *
 * Windows, each part's counters read at their edges:
 *   idle    (--idle s) the host publishing, no viewers: each part's idle rate;
 *   joins   the bots join; T = from the first join sent to the last viewer receiving RTP;
 *   viewing T again (at least 15 s) with every viewer receiving: what a joined viewer costs per second.
 * Per join = (joins window − idle rate × T − viewing rate per viewer × viewer-seconds joined
 * viewers spent in the joins window) ÷ joins. For PostgreSQL, whose writes are batched off the join
 * path (and whose statistics are flushed up to a second late), per join = (joins + viewing windows −
 * idle rate × their length) ÷ joins. Where the viewing correction is over half of what it corrects
 * (the SFU workers when the machine is loaded: the viewers' media outweighs the handshakes), the
 * figure is the joins window less idle, viewing included, named in `perJoinUpperBounds`.
 *
 * Where the parts run (`startParts`, the one place that places them): with `--netns` (root), each
 * part in a host of its own (harness/netns.ts: PostgreSQL, Redis, each SFU node, each signaling
 * process, with their own addresses on a bridge) and the viewer bots in another, so every
 * handshake and packet crosses a network interface as between machines; without it, every part
 * on 127.0.0.1.
 *
 *   node --import tsx load-tests/joinCost.ts [--joins 200] [--concurrency 12] [--idle 20] [--netns]
 * Writes load-tests/results/joinCost.json (read by load-tests/nation.ts). Not run by CI: it takes
 * a few minutes and the whole machine.
 */
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { RedisCounter, sum } from './bots';
import { BENCH_SECRET, botToken, machine, runBenchmark, treeCpuSeconds, writeResult } from './lib';
import type { ViewerTiming, WebRtcCommand, WebRtcReport } from './webrtcBotWorker';
import { WebRtcPublisher } from '../harness/webrtcPublisher';
import { startRedis, startSfuNode, type RedisProcess, type SfuNodeProcess } from '../harness/cluster';
import { startSignalingNode, type SignalingProcess } from '../harness/signaling';
import { startPostgres, type PostgresServer } from '../harness/postgres';
import { BENCH_CLIP, ensureBenchClip } from '../harness/benchClip';
import { createTopology, type NetHost } from '../harness/netns';

const { values } = parseArgs({
  options: {
    joins: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '12' },
    idle: { type: 'string', default: '20' },
    netns: { type: 'boolean', default: false },
  },
});
const JOINS = Number(values.joins);
const CONCURRENCY = Number(values.concurrency);
const IDLE_S = Number(values.idle);
const MEETING = 'bench-join-cost';
const VIEW_MIN_S = 15;
const DB_NAME = 'join_cost';
const now = (): number => performance.timeOrigin + performance.now();

interface Parts {
  /** The host the viewer bots run in (undefined: this machine's own network). */
  bots: NetHost | undefined;
  postgres: PostgresServer;
  dbUrl: string;
  redis: RedisProcess;
  sfu: SfuNodeProcess[];
  signaling: SignalingProcess[];
}

/** Starts every part; the one place that decides where each runs. */
async function startParts(stack: (() => Promise<void>)[]): Promise<Parts> {
  const topology = values.netns ? createTopology() : null;
  if (topology) stack.push(async () => topology.destroy());
  const at = (name: string): { host?: NetHost } => (topology ? { host: topology.addHost(name) } : {});
  const postgres = await startPostgres(at('pg'));
  stack.push(() => postgres.stop());
  const dbUrl = await postgres.createDatabase(DB_NAME);
  const redis = await startRedis(at('redis'));
  stack.push(() => redis.stop());
  const sfu: SfuNodeProcess[] = [];
  for (const id of ['sfu-a', 'sfu-b']) {
    const node = await startSfuNode(redis.url, id, {}, at(id));
    sfu.push(node);
    stack.push(() => node.stop());
  }
  const env = {
    HOINGHI_JWT_SECRET: BENCH_SECRET,
    // Raw cost: admission (the cluster's token bucket) must not queue anyone.
    HOINGHI_JOIN_RATE: '100000',
    HOINGHI_JOIN_BURST: '100000',
    HOINGHI_DATABASE_URL: dbUrl,
    HOINGHI_DEMO_SIGNIN: 'true',
    HOINGHI_DEMO_MEETING: MEETING,
    HOINGHI_DEMO_TEACHERS: '0',
    HOINGHI_DEMO_SCHOOLS: '34',
    // The production default (the cluster harness polls faster for its tests).
    HOINGHI_STATS_INTERVAL_MS: '1000',
  };
  const signaling: SignalingProcess[] = [];
  // One after the other: the first applies the migrations and the demo data.
  for (const id of ['sig-1', 'sig-2']) {
    const node = await startSignalingNode(redis.url, id, env, at(id));
    signaling.push(node);
    stack.push(() => node.stop());
  }
  return { bots: at('bots').host, postgres, dbUrl, redis, sfu, signaling };
}

interface Reading {
  at: number;
  signalingCpuS: number;
  sfuWorkerCpuS: number;
  sfuNodeCpuS: number;
  postgresCpuS: number;
  redisCpuS: number;
  redisCommands: number;
  /** tup_inserted + tup_updated of the product's tables (pg_stat_user_tables). */
  postgresRows: number;
  /** The same from pg_stat_database (catalogs included), reported beside it. */
  postgresDatabaseRows: number;
  tables: Record<string, number>;
}

type Part = Exclude<keyof Reading, 'at' | 'tables'>;

async function read(parts: Parts, redis: RedisCounter, db: pg.Client): Promise<Reading> {
  const at = now();
  const sfuTrees = parts.sfu.map((n) => treeCpuSeconds(n.child.pid!));
  const rows = await db.query<{ ins: string; upd: string }>('SELECT tup_inserted AS ins, tup_updated AS upd FROM pg_stat_database WHERE datname = $1', [DB_NAME]);
  const tables = await db.query<{ relname: string; n: string }>('SELECT relname, n_tup_ins + n_tup_upd AS n FROM pg_stat_user_tables');
  return {
    at,
    signalingCpuS: sum(parts.signaling.map((n) => sum([...treeCpuSeconds(n.child.pid!).values()]))),
    sfuWorkerCpuS: sum(sfuTrees.map((t) => t.get('mediasoup-worke') ?? 0)),
    sfuNodeCpuS: sum(sfuTrees.map((t) => sum([...t].filter(([comm]) => comm !== 'mediasoup-worke').map(([, s]) => s)))),
    postgresCpuS: treeCpuSeconds(process.pid).get('postgres') ?? 0,
    redisCpuS: await redis.cpuSeconds(),
    // Less this reader's own INFO calls (three per reading).
    redisCommands: (await redis.total()) - 3,
    // The product's own tables: pg_stat_database also counts the catalogs' rows (autovacuum's analyses, …).
    postgresRows: sum(tables.rows.map((r) => Number(r.n))),
    postgresDatabaseRows: Number(rows.rows[0]!.ins) + Number(rows.rows[0]!.upd),
    tables: Object.fromEntries(tables.rows.map((r) => [r.relname, Number(r.n)])),
  };
}

const delta = (a: Reading, b: Reading, part: Part): number => b[part] - a[part];

function ask<T extends WebRtcReport['type']>(w: ChildProcess, c: WebRtcCommand, until: T): Promise<Extract<WebRtcReport, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (r: WebRtcReport): void => {
      if (r.type !== until) return;
      w.off('message', onMessage);
      w.off('exit', onExit);
      resolve(r as Extract<WebRtcReport, { type: T }>);
    };
    const onExit = (code: number | null): void => reject(new Error(`viewer process exited with ${code}`));
    w.on('message', onMessage);
    w.once('exit', onExit);
    w.send(c);
  });
}

async function main(): Promise<void> {
  ensureBenchClip();
  const stack: (() => Promise<void>)[] = [];
  try {
    const parts = await startParts(stack);
    const redis = await RedisCounter.open(parts.redis.url);
    stack.push(() => redis.close());
    const db = new pg.Client({ connectionString: parts.dbUrl });
    await db.connect();
    stack.push(() => db.end());
    // The teachers in the school records, as the ministry's import puts them (a join reads its teacher's school).
    await db.query(
      "INSERT INTO teachers (id, name, school_code) SELECT 'viewer-' || g, 'viewer-' || g, (SELECT code FROM schools WHERE province_code = '01' ORDER BY code LIMIT 1) FROM generate_series(0, $1::int - 1) g",
      [JOINS],
    );
    // Statistics reach pg_stat_* when a backend reports them (at most once a second, up to 10 s
    // late when it goes idle): push this session's now, so the seeding is not counted as idle work.
    await db.query('SELECT pg_stat_force_next_flush()');
    await db.query('SELECT 1');
    // In their own host with --netns: node started through `ip netns exec` (the IPC channel's descriptor survives the exec).
    const execPath = parts.bots ? parts.bots.wrapper(process.execPath) : process.execPath;
    const bots = parts.signaling.map(() => fork('load-tests/webrtcBotWorker.ts', [], { execPath, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    stack.push(async () => {
      await Promise.all(
        bots.map(async (w) => {
          if (w.exitCode !== null) return;
          const exited = new Promise((r) => w.once('exit', r));
          w.send({ type: 'close' } satisfies WebRtcCommand);
          setTimeout(() => w.kill('SIGKILL'), 10_000).unref();
          await exited;
        }),
      );
    });

    const host = await WebRtcPublisher.start({ url: parts.signaling[0]!.url, token: botToken(MEETING, 'bench-host', 'host', null), meetingId: MEETING, clip: BENCH_CLIP });
    stack.push(async () => host.close());
    for (const deadline = Date.now() + 20_000; host.stats().forwarded < 100; await sleep(100)) {
      if (Date.now() > deadline) throw new Error('the publisher bot forwards nothing');
    }
    await sleep(3_000);

    // The start-up's own writes (migrations, the demo organisation) reach the statistics up to 10 s
    // late; the idle window begins once they stop moving, so they are not taken for idle work.
    for (let last = (await read(parts, redis, db)).postgresRows, still = 0, waited = 0; still < 12 && waited < 60; waited += 2) {
      await sleep(2_000);
      const rows = (await read(parts, redis, db)).postgresRows;
      still = rows === last ? still + 2 : 0;
      last = rows;
    }
    console.log(`join-cost: idle window, ${IDLE_S} s`);
    const r0 = await read(parts, redis, db);
    await sleep(IDLE_S * 1000);
    const r1 = await read(parts, redis, db);
    const idleS = (r1.at - r0.at) / 1000;
    const idleRate = (part: Part): number => delta(r0, r1, part) / idleS;

    console.log(`join-cost: ${JOINS} joins, ${CONCURRENCY} at once, over ${bots.length} bot processes`);
    const per = Math.ceil(JOINS / bots.length);
    const r2 = await read(parts, redis, db);
    const reports = await Promise.all(
      bots.map((w, k) =>
        ask(w, { type: 'join', url: parts.signaling[k]!.url, meetingId: MEETING, first: k * per, count: Math.max(0, Math.min(per, JOINS - k * per)), concurrency: Math.max(1, Math.round(CONCURRENCY / bots.length)), province: '01' }, 'joined'),
      ),
    );
    const r3 = await read(parts, redis, db);
    const joinS = (r3.at - r2.at) / 1000;
    const timings: ViewerTiming[] = reports.flatMap((r) => r.timings);
    const joined = timings.length;
    const failed = sum(reports.map((r) => r.failed));
    if (joined === 0) throw new Error(`no viewer joined: ${reports.flatMap((r) => r.errors).join('; ')}`);
    // Seconds each joined viewer spent connected inside the joins window (its viewing, not its join).
    const viewerSeconds = sum(timings.map((t) => Math.max(0, r3.at - t.connectedAt))) / 1000;

    // As long as the joins window, and at least 15 s: long enough for a steady per-viewer rate and
    // for PostgreSQL's batched writes and late statistics to land.
    const viewTargetS = Math.max(joinS, VIEW_MIN_S);
    console.log(`join-cost: viewing window, ${viewTargetS.toFixed(1)} s`);
    const s0 = await Promise.all(bots.map((w) => ask(w, { type: 'stats' }, 'stats')));
    await sleep(viewTargetS * 1000);
    const r4 = await read(parts, redis, db);
    const s1 = await Promise.all(bots.map((w) => ask(w, { type: 'stats' }, 'stats')));
    const viewS = (r4.at - r3.at) / 1000;
    const rtpPerViewerPerS = (sum(s1.map((s) => s.rtpPackets)) - sum(s0.map((s) => s.rtpPackets))) / viewS / joined;

    const perJoinOf = (part: Part) => {
      const viewingPerViewerS = Math.max(0, (delta(r3, r4, part) - idleRate(part) * viewS) / (joined * viewS));
      const raw = delta(r2, r3, part);
      const viewing = viewingPerViewerS * viewerSeconds;
      const net = raw - idleRate(part) * joinS;
      // When the viewers' own media outweighs the joins (the SFU workers, on a loaded machine), the
      // difference of two large figures is noise: the joins window less idle, viewing included, is
      // then given instead, as an upper bound.
      const upperBound = viewing > net / 2;
      return { value: (upperBound ? net : net - viewing) / joined, upperBound, raw, idle: idleRate(part) * joinS, viewing, viewingPerViewerS };
    };
    const batchedPerJoin = (part: Part) => {
      const raw = delta(r2, r4, part);
      return { value: (raw - idleRate(part) * (joinS + viewS)) / joined, upperBound: false, raw, idle: idleRate(part) * (joinS + viewS), viewing: 0, viewingPerViewerS: 0 };
    };
    const breakdown = {
      signalingCpuS: perJoinOf('signalingCpuS'),
      sfuWorkerCpuS: perJoinOf('sfuWorkerCpuS'),
      sfuNodeCpuS: perJoinOf('sfuNodeCpuS'),
      redisCpuS: perJoinOf('redisCpuS'),
      redisCommands: perJoinOf('redisCommands'),
      postgresCpuS: batchedPerJoin('postgresCpuS'),
      postgresRows: batchedPerJoin('postgresRows'),
      postgresDatabaseRows: batchedPerJoin('postgresDatabaseRows'),
    } satisfies Record<Part, unknown>;
    const r = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
    const tables = Object.fromEntries(Object.keys(r4.tables).map((t) => [t, r(((r4.tables[t] ?? 0) - (r2.tables[t] ?? 0)) / joined, 3)]).filter(([, v]) => v !== 0));
    const result = {
      benchmark: 'cost per join of each part, real WebRTC viewers (ICE + DTLS + SRTP)',
      date: new Date().toISOString(),
      machine: machine(),
      loadAverage: os.loadavg().map((l) => r(l, 1)),
      command: `node --import tsx load-tests/joinCost.ts --joins ${JOINS} --concurrency ${CONCURRENCY} --idle ${IDLE_S}${values.netns ? " --netns" : ""}`,
      topology: values.netns
        ? 'network namespaces (harness/netns.ts): PostgreSQL, Redis, 2 SFU node processes (1 worker each) and 2 signaling processes each in a host of its own with its own address on a bridge; the viewer bots in 2 processes in another host, one per signaling node; the host bot in the benchmark process (the bridge\'s gateway)'
        : 'loopback: PostgreSQL, Redis, 2 SFU node processes (1 worker each), 2 signaling processes, all on 127.0.0.1; the viewer bots in 2 other processes, one per signaling node; the host bot in the benchmark process',
      note: 'per join = (joins window − idle rate × its length − viewing cost per viewer-second × viewer-seconds spent joined in the window) ÷ joins; PostgreSQL (batched writes): (joins + viewing windows − idle rate × their length) ÷ joins',
      joins: JOINS,
      joined,
      failed,
      errors: [...new Set(reports.flatMap((x) => x.errors))].slice(0, 5),
      windowsS: { idle: r(idleS, 1), joins: r(joinS, 1), viewing: r(viewS, 1) },
      viewerSecondsInJoinsWindow: r(viewerSeconds, 1),
      rtpPacketsPerViewerPerSecondAfter: Math.round(rtpPerViewerPerS),
      perJoin: {
        signalingCpuMs: r(breakdown.signalingCpuS.value * 1000),
        sfuWorkerCpuMs: r(breakdown.sfuWorkerCpuS.value * 1000),
        sfuNodeCpuMs: r(breakdown.sfuNodeCpuS.value * 1000),
        redisCommands: r(breakdown.redisCommands.value, 1),
        redisCpuUs: Math.round(breakdown.redisCpuS.value * 1e6),
        postgresRows: r(breakdown.postgresRows.value),
        postgresRowsWithCatalogs: r(breakdown.postgresDatabaseRows.value),
        postgresCpuMs: r(breakdown.postgresCpuS.value * 1000),
      },
      /** Figures given as upper bounds (viewing included: see breakdown). */
      perJoinUpperBounds: Object.entries({ signalingCpuMs: breakdown.signalingCpuS, sfuWorkerCpuMs: breakdown.sfuWorkerCpuS, sfuNodeCpuMs: breakdown.sfuNodeCpuS, redisCommands: breakdown.redisCommands, redisCpuUs: breakdown.redisCpuS })
        .filter(([, v]) => v.upperBound)
        .map(([k]) => k),
      postgresRowsPerJoinByTable: tables,
      postgresRowsInIdleWindowByTable: Object.fromEntries(Object.keys(r1.tables).map((t) => [t, (r1.tables[t] ?? 0) - (r0.tables[t] ?? 0)]).filter(([, v]) => v !== 0)),
      /** Each part's counter over the joins window, and what was subtracted from it (units: CPU s, commands, rows). */
      breakdown: Object.fromEntries(Object.entries(breakdown).map(([k, v]) => [k, { raw: r(v.raw, 4), idle: r(v.idle, 4), viewing: r(v.viewing, 4), viewingPerViewerSecond: r(v.viewingPerViewerS, 6) }])),
    };
    console.log(JSON.stringify(result, null, 2));
    console.log(`join-cost: wrote ${writeResult('joinCost', result)}`);
  } finally {
    for (const stop of stack.reverse()) await stop().catch((e: unknown) => console.error('join-cost: stopping:', e));
  }
}

runBenchmark(main);
