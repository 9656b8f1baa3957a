/**
 * The two shapes the rehearsal runs on, and what it kills in each:
 *
 * - `single`: one node in this process (harness/server.ts: the meeting store in memory, two
 *   mediasoup workers, demo sign-in), as scripts/start.sh runs it but without its database. The
 *   kills: the mediasoup worker holding viewers but not the meeting's origin, then the origin's
 *   worker (the node replaces each; there is no other process to kill).
 * - `cluster`: Redis, 2 SFU node processes and 3 signaling processes (benchCluster.ts) behind
 *   HAProxy (harness/haproxy.ts, start-cluster.sh's configuration). The kills: the signaling
 *   process with the most teachers that does not serve the national host, then an SFU node (the
 *   one that is not the meeting's origin, or the origin with `sfuVictim: 'origin'`); a supervisor
 *   starts each again a few seconds later.
 *
 * Both give the meeting as the server's store has it (expectedMedia.ts reads it), and the queue
 * stall counters of every signaling process that ran.
 */
import fs from 'node:fs';
import * as mediasoup from 'mediasoup';
import type { types as ms } from 'mediasoup';
import os from 'node:os';
import path from 'node:path';
import type { HoinghiServer } from '../../signaling/server';
import type { LocalSfu } from '../../sfu/LocalSfu';
import { RedisStore } from '../../signaling/store/RedisStore';
import type { MeetingState } from '../../signaling/store/types';
import { TopologyStore } from '../../sfu/cluster/TopologyStore';
import { connectRedis, type RedisClient } from '../../common/redis';
import { logger } from '../../common/log';
import { startServer } from '../../harness/server';
import { freePort } from '../../harness/cluster';
import { startHaproxy, type HaproxyProcess } from '../../harness/haproxy';
import { ClusterProcesses } from '../benchCluster';
import { BENCH_SECRET } from '../lib';
import type { MeetingView } from './expectedMedia';

export const STALL_METRIC = 'hoinghi_queue_stalls_total';
/** Its companion: tasks refused for waiting on their own queue (a bug the watchdog would otherwise meet as a stall). */
export const SELF_WAIT_METRIC = 'hoinghi_queue_self_waits_total';

export interface KillPlan {
  /** What dies: 'signaling', 'sfu-node', 'worker'. */
  what: string;
  /** Kills it now; resolves with what was killed (and whether a replacement was started). */
  run(): Promise<Record<string, unknown>>;
}

export interface StallReading {
  /** Whether every signaling process that answered exposes the metric. */
  present: boolean;
  total: number;
  byQueue: Record<string, number>;
  byProcess: Record<string, number>;
  /** hoinghi_queue_self_waits_total, by queue (absent: {}). */
  selfWaits: Record<string, number>;
  /**
   * The longest event-loop delay of each signaling process since its previous reading (prom-client
   * resets the histogram at every scrape), in ms: a starved process answers everything late.
   */
  loopLagMaxMs: Record<string, number>;
}

export const LOOP_LAG_MAX_METRIC = 'hoinghi_process_nodejs_eventloop_lag_max_seconds';

export interface Shape {
  readonly name: 'single' | 'cluster';
  /** Where browsers and teachers connect (the node, or HAProxy). */
  readonly url: string;
  readonly kills: KillPlan[];
  view(): Promise<MeetingView>;
  /** Reads every live signaling process's /metrics; a dead one counts with its last reading. */
  stalls(): Promise<StallReading>;
  describe(): Record<string, unknown>;
  /**
   * The server's side of one teacher, where this process can see it (single node: its consumers,
   * held or not, and the packets each sent over one second); null elsewhere.
   */
  inspect(userId: string): Promise<unknown>;
  /** Warnings and errors the signaling processes logged (null: they went to this process's output). */
  serverLogs(): { counts: Record<string, number>; lines: Record<string, unknown>[] } | null;
  close(): Promise<void>;
}

/** Settings both shapes share: the meeting and its demo accounts, the bench key, real admission. */
function commonEnv(meetingId: string, recordings: string): Record<string, string> {
  return {
    HOINGHI_JWT_SECRET: BENCH_SECRET,
    HOINGHI_DEMO_SIGNIN: 'true',
    HOINGHI_DEMO_MEETING: meetingId,
    HOINGHI_SIGNIN_PER_MIN: '600',
    HOINGHI_RECORDINGS_DIR: recordings,
    // The defaults (README): joins and rejoins pass admission as in production.
    HOINGHI_JOIN_RATE: '200',
    HOINGHI_JOIN_BURST: '400',
    // A national meeting runs the mass-audience profile (it has far more than the default 300
    // viewers): middle layer, no bandwidth estimation. The rehearsal's audience is smaller, so
    // the threshold comes down with it (MASS_AUDIENCE_VIEWERS; 0 keeps every viewer on
    // transport-cc, where bots starved of CPU on a shared machine estimate too little for video).
    HOINGHI_MASS_AUDIENCE_VIEWERS: process.env.MASS_AUDIENCE_VIEWERS ?? '50',
  };
}

async function readView(state: MeetingState): Promise<MeetingView> {
  const [snapshot, roster, keys] = await Promise.all([state.snapshot(), state.participants({ offset: 0, limit: 1_000_000 }), state.sessionKeys()]);
  const muted = new Set<string>();
  for (const key of new Set(['main', ...keys])) for (const s of await state.speakers(key)) if (s.state === 'speaking' && s.muted) muted.add(s.userId);
  return { participants: roster.rows, producers: snapshot.producers, breakouts: snapshot.breakouts, mutedSpeakers: muted };
}

/** Sums a counter's samples, by label value, from a /metrics body (null when the metric is absent). */
export function counterByLabel(body: string, name: string, label: string): Record<string, number> | null {
  const lines = body.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  const declared = body.includes(`# TYPE ${name} `);
  if (lines.length === 0 && !declared) return null;
  const out: Record<string, number> = {};
  for (const l of lines) {
    const m = new RegExp(`${label}="([^"]*)"`).exec(l);
    const key = m?.[1] ?? '';
    out[key] = (out[key] ?? 0) + Number(l.slice(l.lastIndexOf(' ') + 1));
  }
  return out;
}

/** Stall counters per process incarnation: the last reading of each, summed. */
class StallBook {
  readonly #last = new Map<string, Record<string, number> | null>();
  readonly #selfWaits = new Map<string, Record<string, number>>();

  async read(sources: { id: string; metricsUrl: string }[]): Promise<StallReading> {
    const loopLagMaxMs: Record<string, number> = {};
    await Promise.all(
      sources.map(async (s) => {
        try {
          const body = await (await fetch(s.metricsUrl, { signal: AbortSignal.timeout(5_000) })).text();
          this.#last.set(s.id, counterByLabel(body, STALL_METRIC, 'queue'));
          this.#selfWaits.set(s.id, counterByLabel(body, SELF_WAIT_METRIC, 'queue') ?? {});
          const lag = counterByLabel(body, LOOP_LAG_MAX_METRIC, 'queue');
          if (lag) loopLagMaxMs[s.id] = Math.round(1000 * (lag[''] ?? 0));
        } catch {
          // Dead or busy: its last reading stands.
        }
      }),
    );
    const byQueue: Record<string, number> = {};
    const byProcess: Record<string, number> = {};
    let present = this.#last.size > 0;
    for (const [id, r] of this.#last) {
      if (r === null) {
        present = false;
        continue;
      }
      byProcess[id] = Object.values(r).reduce((a, b) => a + b, 0);
      for (const [q, n] of Object.entries(r)) byQueue[q] = (byQueue[q] ?? 0) + n;
    }
    const selfWaits: Record<string, number> = {};
    for (const r of this.#selfWaits.values()) for (const [q, n] of Object.entries(r)) selfWaits[q] = (selfWaits[q] ?? 0) + n;
    return { present, total: Object.values(byQueue).reduce((a, b) => a + b, 0), byQueue, byProcess, selfWaits, loopLagMaxMs };
  }
}

/**
 * Every WebRTC transport and consumer the in-process node makes, seen through mediasoup's
 * observer: what a teacher without media has on the SFU (paused? which layer? the estimate?).
 */
function watchMediasoup(): { transports: Map<string, ms.WebRtcTransport>; consumers: Map<string, ms.Consumer> } {
  const transports = new Map<string, ms.WebRtcTransport>();
  const consumers = new Map<string, ms.Consumer>();
  mediasoup.observer.on('newworker', (w) =>
    w.observer.on('newrouter', (r) =>
      r.observer.on('newtransport', (t) => {
        if (t.constructor.name !== 'WebRtcTransport') return;
        transports.set(t.id, t as ms.WebRtcTransport);
        t.observer.once('close', () => transports.delete(t.id));
        t.observer.on('newconsumer', (c) => {
          consumers.set(c.id, c);
          c.observer.once('close', () => consumers.delete(c.id));
        });
      }),
    ),
  );
  return { transports, consumers };
}

export async function singleShape(opts: { meetingId: string; viewersPerWorker: number }): Promise<Shape> {
  const seen = watchMediasoup();
  const recordings = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-rehearsal-rec-'));
  const server: HoinghiServer = await startServer({
    ...commonEnv(opts.meetingId, recordings),
    HOINGHI_WORKERS: '2',
    HOINGHI_VIEWERS_PER_WORKER: String(opts.viewersPerWorker),
    // The default interval (test helpers set 200 ms).
    HOINGHI_STATS_INTERVAL_MS: '',
  });
  const sfu = server.sfu as LocalSfu;
  const book = new StallBook();
  const state = (): MeetingState => {
    const m = server.sockets.registry.get(opts.meetingId);
    if (!m) throw new Error('the meeting is not open on the node');
    return m.state;
  };
  const workerPids = (): number[] => sfu.stats().workers.map((w) => w.pid);
  const killWorker = (which: 'edge' | 'origin'): KillPlan => ({
    what: 'worker',
    async run() {
      const origin = sfu.roomWorkerPid(opts.meetingId);
      const pid = which === 'origin' ? origin : workerPids().find((p) => p !== origin);
      if (pid === undefined) throw new Error(`no ${which} worker to kill`);
      process.kill(pid, 'SIGKILL');
      return { worker: which, pid, replacedByTheNode: true };
    },
  });
  return {
    name: 'single',
    url: server.url,
    kills: [killWorker('edge'), killWorker('origin')],
    view: async () => readView(state()),
    stalls: () => book.read([{ id: 'node', metricsUrl: server.metricsUrl }]),
    serverLogs: () => null,
    async inspect(userId) {
      const meeting = server.sockets.registry.get(opts.meetingId);
      const peer = meeting?.peers.get(userId);
      if (!meeting || !peer) return { peer: 'not on this node' };
      const consumers = [...peer.consumers].map(([consumerId, producerId]) => ({ consumerId, producerId, held: peer.held.has(consumerId) }));
      const sent = async () => Promise.all(consumers.map((c) => sfu.consumerStats(c.consumerId).then((x) => x.packetCount, () => null)));
      const before = await sent();
      await new Promise((r) => setTimeout(r, 1_000));
      const after = await sent();
      const transport = peer.recvTransportId ? seen.transports.get(peer.recvTransportId) : undefined;
      const tstats = await transport?.getStats().catch(() => null);
      return {
        session: peer.sessionKey,
        recvTransport: peer.recvTransportId,
        availableOutgoingBitrate: tstats?.[0]?.availableOutgoingBitrate ?? null,
        sendBitrate: tstats?.[0]?.sendBitrate ?? null,
        edgeWorkerPid: peer.edgeRoomId ? sfu.roomWorkerPid(peer.edgeRoomId) : null,
        originWorkerPid: sfu.roomWorkerPid(opts.meetingId),
        consumers: consumers.map((c, i) => {
          const mc = seen.consumers.get(c.consumerId);
          return {
            ...c,
            packetsSentInOneSecond: before[i] === null || after[i] === null ? null : after[i]! - before[i]!,
            kind: mc?.kind,
            paused: mc?.paused,
            producerPaused: mc?.producerPaused,
            score: mc?.score,
            preferredLayers: mc?.preferredLayers,
            currentLayers: mc?.currentLayers,
          };
        }),
      };
    },
    describe: () => ({ processes: 'one node in the benchmark process: memory store, 2 mediasoup workers', viewersPerWorker: opts.viewersPerWorker, workers: workerPids().length }),
    async close() {
      await server.close();
      fs.rmSync(recordings, { recursive: true, force: true });
    },
  };
}

export async function clusterShape(opts: { meetingId: string; viewersPerWorker: number; sfuVictim: 'edge' | 'origin'; restartAfterMs: number }): Promise<Shape> {
  const recordings = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-rehearsal-rec-'));
  const metricsPorts = new Map<string, number>();
  for (const id of ['sig-1', 'sig-2', 'sig-3']) metricsPorts.set(id, await freePort());
  const processes = await ClusterProcesses.start({
    signalingEnv: (nodeId) => ({
      ...commonEnv(opts.meetingId, recordings),
      HOINGHI_TRUSTED_PROXIES: '127.0.0.1',
      HOINGHI_METRICS_PORT: String(metricsPorts.get(nodeId)),
      HOINGHI_STATS_INTERVAL_MS: '1000',
    }),
    sfuEnv: { HOINGHI_VIEWERS_PER_WORKER: String(opts.viewersPerWorker) },
  });
  let haproxy: HaproxyProcess | undefined;
  let redis: RedisClient | undefined;
  let store: RedisStore | undefined;
  try {
    haproxy = await startHaproxy(processes.nodes.map((n) => new URL(n.url).host), { checkIntervalMs: 1_000 });
    for (const n of processes.nodes) await haproxy.waitFor(new URL(n.url).host, 'UP');
    redis = await connectRedis(processes.redis.url, logger('rehearsal-redis'));
    store = await RedisStore.create({ url: processes.redis.url, nodeId: 'rehearsal-observer' });
  } catch (error) {
    await haproxy?.stop();
    await redis?.quit();
    await processes.close();
    throw error;
  }
  const topology = new TopologyStore(redis);
  const state = store.meeting(opts.meetingId);
  const book = new StallBook();
  const incarnation = new Map<string, number>();
  const restarts: Promise<unknown>[] = [];
  const sources = () => processes.nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null).map((n) => ({ id: `${n.nodeId}#${incarnation.get(n.nodeId) ?? 0}`, metricsUrl: `http://127.0.0.1:${metricsPorts.get(n.nodeId)}/metrics` }));
  const incarnations = [...processes.nodes];
  const later = (work: () => Promise<unknown>): void => {
    restarts.push(new Promise((r) => setTimeout(r, opts.restartAfterMs)).then(work).catch((e: unknown) => console.error('rehearsal: restart failed:', e)));
  };
  let sfuCount = processes.sfu.length;
  const hp = haproxy;
  const r = redis;
  const s = store;
  return {
    name: 'cluster',
    url: haproxy.url,
    kills: [
      {
        what: 'signaling',
        async run() {
          // Readings just before: what this incarnation counted is kept.
          await book.read(sources());
          const roster = (await state.participants({ offset: 0, limit: 1_000_000 })).rows;
          const hostNode = roster.find((p) => p.userId === 'bo-truong')?.node;
          const teachers = new Map<string, number>();
          for (const p of roster) if (p.role === 'teacher') teachers.set(p.node, (teachers.get(p.node) ?? 0) + 1);
          const live = processes.nodes.filter((n) => n.child.exitCode === null && n.nodeId !== hostNode);
          const victim = live.sort((a, b) => (teachers.get(b.nodeId) ?? 0) - (teachers.get(a.nodeId) ?? 0))[0];
          if (!victim) throw new Error('no signaling node to kill');
          victim.kill();
          later(async () => {
            incarnations.push(await processes.restartSignaling(victim.nodeId));
            incarnation.set(victim.nodeId, (incarnation.get(victim.nodeId) ?? 0) + 1);
          });
          return { node: victim.nodeId, teachersOnIt: teachers.get(victim.nodeId) ?? 0, nationalHostOn: hostNode, restartedAfterMs: opts.restartAfterMs };
        },
      },
      {
        what: 'sfu-node',
        async run() {
          const origin = (await topology.origin(opts.meetingId))?.node;
          const live = processes.sfu.filter((n) => n.child.exitCode === null && n.child.signalCode === null);
          const victim = opts.sfuVictim === 'origin' ? live.find((n) => n.nodeId === origin) : live.find((n) => n.nodeId !== origin);
          if (!victim) throw new Error(`no ${opts.sfuVictim} SFU node to kill (origin ${origin})`);
          victim.kill();
          const replacement = `sfu-${String.fromCharCode(97 + sfuCount++)}`;
          later(() => processes.startSfu(replacement));
          return { node: victim.nodeId, origin, replacement, startedAfterMs: opts.restartAfterMs };
        },
      },
    ],
    view: async () => readView(state),
    stalls: () => book.read(sources()),
    inspect: async () => null,
    serverLogs() {
      const counts: Record<string, number> = {};
      const lines: Record<string, unknown>[] = [];
      for (const n of incarnations) {
        for (const l of n.logs) {
          if (typeof l.level !== 'number' || l.level < 40) continue;
          const key = `${n.nodeId} ${l.level >= 50 ? 'error' : 'warn'}: ${String(l.msg)}`;
          counts[key] = (counts[key] ?? 0) + 1;
          if (lines.length < 60) lines.push({ node: n.nodeId, ...l });
        }
      }
      return { counts, lines };
    },
    describe: () => ({
      processes: 'Redis, 2 SFU node processes (1 worker each), 3 signaling processes (Redis store + adapter, cluster SFU) behind HAProxy',
      viewersPerWorker: opts.viewersPerWorker,
      sfuVictim: opts.sfuVictim,
      restartAfterMs: opts.restartAfterMs,
    }),
    async close() {
      await Promise.all(restarts);
      await s.close();
      await r.quit().catch(() => undefined);
      await hp.stop();
      await processes.close();
      fs.rmSync(recordings, { recursive: true, force: true });
    },
  };
}
