/**
 * The 1.5 M plan: what one national meeting of 1.5 million receive-only teachers needs, computed
 * from the unit costs measured on this machine (load-tests/results/*.json), with every input that
 * is an assumption marked as such. No measurement runs here; run the benchmarks first.
 *
 * Inputs (measured here): marginal CPU per viewer of one worker for each viewer kind, worker and
 * media profile (viewer-cost.json), the loopback UDP ceiling (viewer-cost.json), the delay one relay
 * hop adds (relay-hop.json), the join rate of one node (join-rate.json), plain-sink sweep
 * (fanout.json, the earlier figure). When viewer-cost-ab.json exists (the paired A/B of the worker
 * patches 0011+ against the worker before them, `BASELINE_WORKER=… load-tests/viewerCost.ts`), the
 * patched WebRTC rows of viewer-cost.json are also given scaled by the after/before ratio measured
 * for the same profile in that run (ratios, not absolute figures, compare across runs on this shared
 * machine). When viewer-cost-mass-massNoBwe.json exists (the paired run of the mass-audience
 * profile with REMB against no bandwidth estimation, `PLAN=mass,massNoBwe load-tests/viewerCost.ts`),
 * the mass-audience row is also given scaled by that run's no-estimation/REMB ratio: that is the
 * profile with no estimation, derived from ratios. When viewer-cost-today-massNoBwe20-rps.json exists
 * (`RPS=1 PLAN=today,massNoBwe20 load-tests/viewerCost.ts`: today's profile and the deployed
 * mass-audience profile, no estimation and the 20 fps 350 kbps middle layer, measured side by side
 * in one run, each with the viewers' receive side on the worker's core and off it), its rows are
 * planned as measured, and the headline takes the deployed profile with the receive side on the
 * worker's core (loopback, the conservative figure); else the derived no-estimation row, else the
 * scaled mass-audience row.
 * Inputs (measured by the signaling-cluster benchmarks, docs/measurements.md, "Signaling cluster"):
 * memory per idle joined socket, Redis commands per join (admission) and per hand toggle, the
 * attendance writes PostgreSQL absorbed. Inputs (assumed): cores per SFU node, CPU headroom, relay
 * fan-out, sockets per signaling process, teachers per province, the cluster admission rate.
 *
 * Usage: node --import tsx load-tests/nation.ts [teachers=1500000] [coresPerNode=16] [joinRate=2000]
 * Writes load-tests/results/nation.json; docs/capacity.md explains it.
 */
import fs from 'node:fs';
import { writeResult } from './lib';
import provinces from '../signaling/data/provinces.json' with { type: 'json' };

const TEACHERS = Number(process.argv[2] ?? 1_500_000);
const CORES_PER_NODE = Number(process.argv[3] ?? 16);
/** Assumption: the cluster's admission rate (HOINGHI_JOIN_RATE for the whole cluster), joins/s. */
const CLUSTER_JOIN_RATE = Number(process.argv[4] ?? 2000);
/** Assumption: run workers at 80% of a core, as the benchmarks' "viewers per core" figure. */
const HEADROOM = 0.8;
/** Relay fan-out per SFU node (HOINGHI_SFU_FANOUT default). */
const RELAY_FANOUT = 8;
/** Layer bitrates (web/src/client/massAudience.ts cameraEncodings; the middle one in a large meeting) and Opus (mono, ~32 kbps). */
const LAYERS_KBPS = { low: 150, middle: 500, massMiddle: 350, top: 1200 };
const AUDIO_KBPS = 32;
/** Opus at 60 ms with DTX: packets/s fall by ~3× and header overhead with them; ~28 kbps on the wire. Assumption. */
const AUDIO_MASS_KBPS = 28;
/**
 * Signaling-cluster figures measured on this machine (docs/measurements.md, "Signaling cluster";
 * load-tests/idleSockets.ts, admission.ts, clusterHands.ts, database.ts).
 */
const SIGNALING = {
  kibPerIdleSocket: 24,
  processBaseMiB: 120,
  /** Assumption: sockets per signaling process (this machine's open-file limit was 20,000). */
  socketsPerProcess: 20_000,
  redisCommandsPerJoin: 31,
  redisScriptCallsPerJoin: 2.6,
  redisCommandsPerHandToggle: 7.5,
  /** attendance: 2,000 joins/s for 15 s written by PostgreSQL 0.8 s after the last join, 0 dropped. */
  attendanceRowsPerSMeasured: 2000,
};

function read<T>(name: string): T | null {
  const p = `load-tests/results/${name}.json`;
  return fs.existsSync(p) ? (JSON.parse(fs.readFileSync(p, 'utf8')) as T) : null;
}

interface Fanout { fit: { cpuPctPerViewer: number }; udpCeiling: { packetsPerCoreSecond: number } }
interface ViewerCost {
  udpCeiling: { packetsPerCoreSecond: number };
  table: { viewerKind: string; worker: string; profile: string; marginalCpuPerViewerPct: number; viewersPerCoreAt80Pct: number; fractionOfUdpCeiling: number }[];
}
interface ViewerCostAb { table: { worker: string; profile: string; marginalCpuPerViewerPct: number }[] }
interface RelayHop { steady: { oneHopAddsMs: { p50: number; p99: number } } }
interface JoinRate { results: { label: string; joinsPerSecond: number }[] }

function relayDepth(nodes: number): number {
  let depth = 0;
  for (let reach = 1, level = 1; reach < nodes; depth++) {
    level *= RELAY_FANOUT;
    reach += level;
  }
  return depth;
}

function plan(label: string, cpuPerViewerPct: number, hop: { p50: number; p99: number } | null) {
  const viewersPerCore = Math.floor((HEADROOM * 100) / cpuPerViewerPct);
  const cores = Math.ceil(TEACHERS / viewersPerCore);
  const nodes = Math.ceil(cores / CORES_PER_NODE);
  const perProvince = provinces.map((p) => {
    const teachers = Math.ceil(TEACHERS / provinces.length);
    const c = Math.ceil(teachers / viewersPerCore);
    return { code: p.code, name: p.name, teachers, cores: c, nodes: Math.ceil(c / CORES_PER_NODE) };
  });
  const depth = relayDepth(nodes);
  return {
    label,
    cpuPerViewerPct,
    viewersPerCore,
    sfuCores: cores,
    sfuNodes: nodes,
    nodesPerProvince: perProvince[0]!.nodes,
    perProvince,
    relayDepth: depth,
    relayDelayMs: hop
      ? { p50: +(depth * hop.p50).toFixed(2), p99: +(depth * hop.p99).toFixed(2), note: 'one hop measured on loopback (relay-hop.json) times the depth; a LAN adds its own propagation' }
      : null,
    lossOfOneNode: { viewers: viewersPerCore * CORES_PER_NODE, shareOfMeetingPct: +((100 * viewersPerCore * CORES_PER_NODE) / TEACHERS).toFixed(2) },
  };
}

const fanout = read<Fanout>('fanout');
const cost = read<ViewerCost>('viewer-cost');
if (!cost) throw new Error('run load-tests/viewerCost.ts first');
const hopRun = read<RelayHop>('relay-hop');
const hop = hopRun?.steady.oneHopAddsMs ?? null;
const join = read<JoinRate>('join-rate');

const profiles = [];
if (fanout) profiles.push(plan('plain SRTP sinks, upstream worker, 550 kbps (fanout.json, earlier run)', fanout.fit.cpuPctPerViewer, hop));
for (const row of cost.table) {
  profiles.push(plan(`${row.viewerKind}, ${row.worker} worker, ${row.profile} (viewer-cost.json)`, row.marginalCpuPerViewerPct, hop));
}
const ab = read<ViewerCostAb>('viewer-cost-ab');
const abRatios: Record<string, number> = {};
if (ab) {
  for (const row of ab.table.filter((r) => r.worker === 'patched')) {
    const before = ab.table.find((r) => r.worker === 'baseline' && r.profile === row.profile);
    if (!before) continue;
    const ratio = row.marginalCpuPerViewerPct / before.marginalCpuPerViewerPct;
    abRatios[row.profile] = +ratio.toFixed(3);
    const base = cost.table.find((r) => r.viewerKind === 'WebRTC bot' && r.worker === 'patched' && r.profile === row.profile);
    if (base) {
      profiles.push(plan(`WebRTC bot, patched worker + per-packet patches (×${ratio.toFixed(3)}, viewer-cost-ab.json), ${row.profile}`, +(base.marginalCpuPerViewerPct * ratio).toFixed(4), hop));
    }
  }
}
const massRow =
  profiles.find((p) => p.label.startsWith('WebRTC bot, patched worker + per-packet patches') && p.label.includes('mass')) ??
  profiles.find((p) => p.label.startsWith('WebRTC bot, patched worker, mass'));
interface PlanRun { table: { profile: string; marginalCpuPerViewerPct: number }[] }
const noBweRun = read<PlanRun>('viewer-cost-mass-massNoBwe');
let noBweRatio: number | null = null;
if (noBweRun && massRow) {
  const remb = noBweRun.table.find((r) => r.profile === 'mass audience (all three)');
  const none = noBweRun.table.find((r) => r.profile === 'mass audience, no bandwidth feedback');
  if (remb && none) {
    noBweRatio = +(none.marginalCpuPerViewerPct / remb.marginalCpuPerViewerPct).toFixed(3);
    profiles.push(plan(`${massRow.label}, no bandwidth estimation (×${noBweRatio}, viewer-cost-mass-massNoBwe.json), derived`, +(massRow.cpuPerViewerPct * noBweRatio).toFixed(4), hop));
  }
}
interface DeployedRun { table: { profile: string; profileKey?: string; rps?: boolean; marginalCpuPerViewerPct: number }[] }
const deployedRun = read<DeployedRun>('viewer-cost-today-massNoBwe20-rps');
for (const row of deployedRun?.table ?? []) {
  const where = row.rps ? 'receive side off the worker\'s core (RPS)' : 'receive side on the worker\'s core (loopback)';
  const deployed = row.profileKey === 'massNoBwe20' ? ', the deployed mass-audience profile' : '';
  profiles.push(plan(`WebRTC bot, patched worker, ${row.profile}${deployed}, ${where} (viewer-cost-today-massNoBwe20-rps.json, measured)`, row.marginalCpuPerViewerPct, hop));
}
const headline =
  profiles.find((p) => p.label.includes('the deployed mass-audience profile, receive side on')) ??
  profiles.find((p) => p.label.endsWith(', derived')) ??
  massRow ??
  profiles.find((p) => p.label.startsWith('WebRTC bot, patched worker, mass')) ??
  profiles[profiles.length - 1];
const joinsPerNode = join?.results[0]?.joinsPerSecond ?? null;
const egressGbps = Object.fromEntries(
  Object.entries(LAYERS_KBPS).map(([layer, kbps]) => [layer, +(((kbps + AUDIO_KBPS) * TEACHERS) / 1e6).toFixed(1)]),
);
const signalingProcesses = Math.ceil(TEACHERS / SIGNALING.socketsPerProcess);
const joinMinutes = +(TEACHERS / CLUSTER_JOIN_RATE / 60).toFixed(1);
const result = {
  benchmark: 'nation',
  when: new Date().toISOString(),
  command: `node --import tsx load-tests/nation.ts ${TEACHERS} ${CORES_PER_NODE} ${CLUSTER_JOIN_RATE}`,
  teachers: TEACHERS,
  provinces: provinces.length,
  assumptions: {
    coresPerNode: CORES_PER_NODE,
    headroom: HEADROOM,
    relayFanout: RELAY_FANOUT,
    clusterJoinRate: CLUSTER_JOIN_RATE,
    socketsPerSignalingProcess: SIGNALING.socketsPerProcess,
    teachersPerProvince: 'equal shares',
    audioMassKbps: AUDIO_MASS_KBPS,
  },
  udpCeilingPacketsPerCoreS: cost.udpCeiling.packetsPerCoreSecond,
  relayHopMs: hop,
  egressGbpsByLayer: egressGbps,
  egressGbpsMassProfile: +(((LAYERS_KBPS.massMiddle + AUDIO_MASS_KBPS) * TEACHERS) / 1e6).toFixed(1),
  audioOnlyEgressGbps: +((AUDIO_KBPS * TEACHERS) / 1e6).toFixed(1),
  signaling: {
    processes: signalingProcesses,
    memoryGiBPerProcess: +((SIGNALING.processBaseMiB + (SIGNALING.kibPerIdleSocket * SIGNALING.socketsPerProcess) / 1024) / 1024).toFixed(2),
    redisCommandsPerSWhileJoining: Math.round(CLUSTER_JOIN_RATE * SIGNALING.redisCommandsPerJoin),
    redisScriptCallsPerSWhileJoining: Math.round(CLUSTER_JOIN_RATE * SIGNALING.redisScriptCallsPerJoin),
    redisCommandsPerSFor1000HandTogglesPerS: Math.round(1000 * SIGNALING.redisCommandsPerHandToggle),
    databaseRowsPerSWhileJoining: CLUSTER_JOIN_RATE,
    databaseNote: `attendance rows are batched; PostgreSQL absorbed ${SIGNALING.attendanceRowsPerSMeasured} joins/s here with 0 dropped`,
  },
  join: {
    clusterJoinRateAssumed: CLUSTER_JOIN_RATE,
    measuredJoinsPerSecondOneNode: joinsPerNode,
    signalingNodesForThatRate: joinsPerNode ? Math.ceil(CLUSTER_JOIN_RATE / joinsPerNode) : null,
    minutesToJoinAll: joinMinutes,
  },
  perPacketPatchRatios: abRatios,
  /** CPU per viewer with no bandwidth estimation against REMB, mass-audience profile, one paired run. */
  noBandwidthEstimationRatio: noBweRatio,
  profiles: profiles.map(({ perProvince: _, ...p }) => p),
  /** Per province, for the headline profile: WebRTC viewers, patched worker, mass-audience profile as deployed by default. */
  headline: headline?.label ?? null,
  perProvince: headline?.perProvince ?? [],
};
const file = writeResult('nation', result);
for (const p of profiles) {
  console.log(`${p.label}: ${p.cpuPerViewerPct}% of a core per viewer → ${p.viewersPerCore} viewers/core, ${p.sfuCores} SFU cores, ${p.sfuNodes} nodes of ${CORES_PER_NODE} cores (${p.nodesPerProvince} per province), relay depth ${p.relayDepth}${p.relayDelayMs ? ` (+${p.relayDelayMs.p50} ms p50, +${p.relayDelayMs.p99} ms p99)` : ''}; one node lost = ${p.lossOfOneNode.viewers} teachers (${p.lossOfOneNode.shareOfMeetingPct}%)`);
}
console.log('egress Gbps by layer (video + audio):', egressGbps, '; mass profile:', result.egressGbpsMassProfile, '; audio only:', result.audioOnlyEgressGbps);
console.log(`signaling: ${signalingProcesses} processes of ${SIGNALING.socketsPerProcess} sockets (~${result.signaling.memoryGiBPerProcess} GiB each); joining at ${CLUSTER_JOIN_RATE}/s (assumed): ${joinMinutes} min, ${result.signaling.redisCommandsPerSWhileJoining} Redis commands/s, ${CLUSTER_JOIN_RATE} attendance rows/s`);
console.log(`nation: wrote ${file}`);
