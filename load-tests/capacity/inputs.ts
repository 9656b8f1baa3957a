/**
 * The inputs of the capacity plan (load-tests/nation.ts), in two lists and nowhere else:
 *
 * - `readMeasured()`: every figure the plan calls measured, each read from a results file that a
 *   benchmark wrote (load-tests/results/<file>.json), with the file and field it came from. A
 *   figure whose file is missing is `null`, and the plan says which benchmark to run; nothing
 *   falls back to a number typed in here.
 * - `ASSUMED`: what is not measured (goals, settings, shapes of the audience), each marked so in
 *   the plan's output and docs.
 */
import fs from 'node:fs';
import path from 'node:path';

/** A figure read from a results file. */
export interface Measured<T = number> {
  value: T;
  /** load-tests/results/<file> */
  file: string;
  /** Where in that file (a JSON path). */
  field: string;
  /** The command that wrote the file, as the file records it. */
  command: string | null;
  /** The benchmark could give only an upper bound (load-tests/joinCost.ts `perJoinUpperBounds`). */
  upperBound?: boolean;
}

/** A figure that is not measured: a goal, a setting or an assumption about the audience. */
export interface Assumed {
  key: string;
  value: number | string;
  what: string;
  why: string;
}

/** Every assumption of the plan (the one list: the plan's output and docs show it whole). */
export const ASSUMED = {
  teachers: { key: 'teachers', value: 1_500_000, what: 'teachers in one national meeting', why: 'goal (docs/design.md)' },
  admissionMinutes: { key: 'admissionMinutes', value: 10, what: 'minutes to admit all of them', why: 'goal: everyone in before a meeting starts' },
  coresPerSfuNode: { key: 'coresPerSfuNode', value: 16, what: 'cores per SFU node', why: 'assumed machine size' },
  headroom: { key: 'headroom', value: 0.8, what: 'share of a core each process is planned to use', why: 'assumed (the viewer benchmarks\' "per core at 80%" criterion), applied to every part' },
  relayFanout: { key: 'relayFanout', value: 8, what: 'children per SFU node in the relay tree', why: 'setting: HOINGHI_SFU_FANOUT default' },
  teachersPerProvince: { key: 'teachersPerProvince', value: 'equal shares', what: 'teachers per province', why: 'assumed: 34 equal shares' },
  layerKbps: { key: 'layerKbps', value: 'low 150, middle 500, mass middle 350, top 1200', what: 'video layer bitrates', why: 'settings: web/src/client/massAudience.ts camera encodings' },
  audioKbps: { key: 'audioKbps', value: 32, what: 'Opus on the wire, today\'s profile (kbps)', why: 'assumed from the encoder setting, not measured on the wire' },
  audioMassKbps: { key: 'audioMassKbps', value: 28, what: 'Opus at 60 ms with DTX on the wire (kbps)', why: 'assumed, not measured on the wire' },
  signalingProcessesPerCore: { key: 'signalingProcessesPerCore', value: 1, what: 'signaling processes per core', why: 'assumed: one Node.js event loop per core' },
} as const satisfies Record<string, Assumed>;

export const RESULTS_DIR = 'load-tests/results';

/** A results file, parsed, or null when it is missing. */
export type Reader = (name: string) => Record<string, unknown> | null;

export function resultsReader(dir = RESULTS_DIR): Reader {
  return (name) => {
    const p = path.join(dir, `${name}.json`);
    return fs.existsSync(p) ? (JSON.parse(fs.readFileSync(p, 'utf8')) as Record<string, unknown>) : null;
  };
}

/** The value at a dotted path (`a.b.0.c`; a segment in [brackets] may hold dots and spaces). */
function at(doc: unknown, field: string): unknown {
  const parts = field.match(/\[[^\]]+\]|[^.[\]]+/g) ?? [];
  let v: unknown = doc;
  for (const raw of parts) {
    const k = raw.startsWith('[') ? raw.slice(1, -1) : raw;
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

function pick(read: Reader, name: string, field: string): Measured | null {
  const doc = read(name);
  if (!doc) return null;
  const value = at(doc, field);
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`load-tests/results/${name}.json has no number at ${field}`);
  const bounds = Array.isArray(doc.perJoinUpperBounds) ? (doc.perJoinUpperBounds as string[]) : [];
  const upperBound = field.startsWith('perJoin.') && bounds.includes(field.slice('perJoin.'.length));
  return { value, file: `${name}.json`, field, command: typeof doc.command === 'string' ? doc.command : null, ...(upperBound ? { upperBound } : {}) };
}

/** CPU per receive-only viewer of one worker, for one viewer kind, worker and media profile. */
export interface ViewerProfile {
  label: string;
  cpuPerViewerPct: Measured;
  /** The profile a large meeting gets by default, its receive side on the worker's core (the conservative figure). */
  headline: boolean;
}

interface CostRow { viewerKind?: string; worker: string; profile: string; profileKey?: string; rps?: boolean; marginalCpuPerViewerPct: number }

/**
 * CPU per viewer by profile. Rows measured directly are planned as measured. Two rows are derived
 * from measured ratios (a paired A/B run's after/before ratio applied to another run's figure) and
 * say so in their label; the headline is the deployed profile measured directly when that run exists.
 */
function viewerProfiles(read: Reader): ViewerProfile[] {
  const out: ViewerProfile[] = [];
  const rows = (name: string): CostRow[] => (read(name)?.table as CostRow[] | undefined) ?? [];
  const field = (name: string, i: number): Measured => pick(read, name, `table.${i}.marginalCpuPerViewerPct`)!;
  rows('viewer-cost').forEach((r, i) => {
    out.push({ label: `${r.viewerKind}, ${r.worker} worker, ${r.profile}`, cpuPerViewerPct: field('viewer-cost', i), headline: false });
  });
  rows('viewer-cost-today-massNoBwe20-rps').forEach((r, i) => {
    const where = r.rps ? "receive side off the worker's core (RPS)" : "receive side on the worker's core (loopback)";
    const deployed = r.profileKey === 'massNoBwe20';
    out.push({
      label: `WebRTC bot, patched worker, ${r.profile}${deployed ? ', the deployed mass-audience profile' : ''}, ${where}`,
      cpuPerViewerPct: field('viewer-cost-today-massNoBwe20-rps', i),
      headline: deployed && !r.rps,
    });
  });
  return out;
}

export interface MeasuredInputs {
  viewerProfiles: ViewerProfile[];
  udpCeilingPacketsPerCoreS: Measured | null;
  relayHopMs: { p50: Measured; p99: Measured } | null;
  /** Sockets one signaling process held (cluster mode, the largest step, none failed) and its RSS then. */
  signalingSocketsPerProcess: Measured | null;
  signalingRssMiBAtThoseSockets: Measured | null;
  /** Per join with real DTLS handshakes (load-tests/joinCost.ts). */
  perJoin: {
    signalingCpuMs: Measured;
    sfuWorkerCpuMs: Measured;
    sfuNodeCpuMs: Measured;
    redisCommands: Measured;
    redisCpuUs: Measured;
    postgresRows: Measured;
    postgresCpuMs: Measured;
    /** Where the parts and the bots ran, and the command (the results file's own words). */
    topology: string;
    command: string;
  } | null;
  redisCommandsPerHandToggle: Measured | null;
  /** The highest Redis command rate any cluster run has seen (a 100 ms window), not a limit found. */
  redisPeakSeen: Measured | null;
  /** redis-benchmark on this machine: one redis-server's commands/s for simple commands, no pipelining. */
  redisBenchmark: { getPerS: Measured; setPerS: Measured; evalshaPerS: Measured } | null;
  /** Attendance: join rate offered to PostgreSQL and rows dropped. */
  attendanceRatePerS: Measured | null;
  attendanceDropped: Measured | null;
}

export function readMeasured(read: Reader = resultsReader()): MeasuredInputs {
  const idle = read('idle-sockets');
  const clusterMode = '[Redis store + adapter, cluster mode]';
  let socketsStep: number | null = null;
  if (idle) {
    const steps = (at(idle, `results.${clusterMode}.steps`) as { sockets: number; failed: number }[] | undefined) ?? [];
    const ok = steps.map((s, i) => ({ ...s, i })).filter((s) => s.failed === 0);
    socketsStep = ok.length ? ok.reduce((a, b) => (b.sockets > a.sockets ? b : a)).i : null;
  }
  const idleField = (f: string): Measured | null => (socketsStep === null ? null : pick(read, 'idle-sockets', `results.${clusterMode}.steps.${socketsStep}.${f}`));
  const join = (f: string): Measured => pick(read, 'joinCost', `perJoin.${f}`)!;
  const hop50 = pick(read, 'relay-hop', 'steady.oneHopAddsMs.p50');
  const hop99 = pick(read, 'relay-hop', 'steady.oneHopAddsMs.p99');
  const rb = read('redis-capacity');
  return {
    viewerProfiles: viewerProfiles(read),
    udpCeilingPacketsPerCoreS: pick(read, 'viewer-cost', 'udpCeiling.packetsPerCoreSecond'),
    relayHopMs: hop50 && hop99 ? { p50: hop50, p99: hop99 } : null,
    signalingSocketsPerProcess: idleField('sockets'),
    signalingRssMiBAtThoseSockets: idleField('rssMiB'),
    perJoin: read('joinCost')
      ? {
          signalingCpuMs: join('signalingCpuMs'),
          sfuWorkerCpuMs: join('sfuWorkerCpuMs'),
          sfuNodeCpuMs: join('sfuNodeCpuMs'),
          redisCommands: join('redisCommands'),
          redisCpuUs: join('redisCpuUs'),
          postgresRows: join('postgresRows'),
          postgresCpuMs: join('postgresCpuMs'),
          topology: String(read('joinCost')!.topology ?? 'not recorded'),
          command: String(read('joinCost')!.command ?? 'not recorded'),
        }
      : null,
    redisCommandsPerHandToggle: pick(read, 'cluster-hands', 'redis.commandsPerToggle'),
    redisPeakSeen: pick(read, 'reconnect-storm', 'redisCommandsPerSecond.peak'),
    redisBenchmark: rb
      ? { getPerS: pick(read, 'redis-capacity', 'requestsPerSecond.GET')!, setPerS: pick(read, 'redis-capacity', 'requestsPerSecond.SET')!, evalshaPerS: pick(read, 'redis-capacity', 'requestsPerSecond.EVALSHA')! }
      : null,
    attendanceRatePerS: pick(read, 'database-postgres', 'attendanceWrite.ratePerS'),
    attendanceDropped: pick(read, 'database-postgres', 'attendanceWrite.dropped'),
  };
}
