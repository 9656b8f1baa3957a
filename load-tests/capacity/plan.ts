/**
 * The capacity plan of one national meeting, computed from the measured inputs and the assumed
 * list (./inputs.ts) only: no figure here is typed in. Pure: the same inputs give the same plan.
 */
import provinces from '../../signaling/data/provinces.json' with { type: 'json' };
import { ASSUMED, type Measured, type MeasuredInputs } from './inputs';

const A = Object.fromEntries(Object.entries(ASSUMED).map(([k, v]) => [k, v.value])) as { [K in keyof typeof ASSUMED]: (typeof ASSUMED)[K]['value'] };
const LAYERS_KBPS = { low: 150, middle: 500, massMiddle: 350, top: 1200 };

const round = (x: number, digits = 0): number => Math.round(x * 10 ** digits) / 10 ** digits;
/** Cores to keep `cpuSecondsPerSecond` of work at the planned headroom. */
const coresFor = (cpuSecondsPerSecond: number): number => Math.ceil(cpuSecondsPerSecond / A.headroom);

function relayDepth(nodes: number): number {
  let depth = 0;
  for (let reach = 1, level = 1; reach < nodes; depth++) {
    level *= A.relayFanout;
    reach += level;
  }
  return depth;
}

function viewing(label: string, cpuPerViewerPct: number, hop: MeasuredInputs['relayHopMs']) {
  const viewersPerCore = Math.floor((A.headroom * 100) / cpuPerViewerPct);
  const cores = Math.ceil(A.teachers / viewersPerCore);
  const nodes = Math.ceil(cores / A.coresPerSfuNode);
  const perProvinceTeachers = Math.ceil(A.teachers / provinces.length);
  const perProvinceCores = Math.ceil(perProvinceTeachers / viewersPerCore);
  const depth = relayDepth(nodes);
  return {
    label,
    cpuPerViewerPct,
    viewersPerCore,
    sfuCores: cores,
    sfuNodes: nodes,
    nodesPerProvince: Math.ceil(perProvinceCores / A.coresPerSfuNode),
    relayDepth: depth,
    relayDelayMs: hop ? { p50: round(depth * hop.p50.value, 2), p99: round(depth * hop.p99.value, 2) } : null,
    oneNodeLost: { teachers: viewersPerCore * A.coresPerSfuNode, shareOfMeetingPct: round((100 * viewersPerCore * A.coresPerSfuNode) / A.teachers, 2) },
  };
}

export type Plan = ReturnType<typeof computePlan>;

export function computePlan(m: MeasuredInputs) {
  const joinsPerS = A.teachers / (A.admissionMinutes * 60);
  const profiles = m.viewerProfiles.map((p) => ({ ...viewing(p.label, p.cpuPerViewerPct.value, m.relayHopMs), source: p.cpuPerViewerPct, headline: p.headline }));
  const headline = profiles.find((p) => p.headline) ?? null;

  const j = m.perJoin;
  const cpuCores = (perJoin: Measured | undefined, unitsPerSecond: number) => (perJoin ? { cpuPerJoin: perJoin.value, upperBound: perJoin.upperBound === true, cores: coresFor((joinsPerS * perJoin.value) / unitsPerSecond) } : null);
  const admission = {
    joinsPerS,
    signaling: cpuCores(j?.signalingCpuMs, 1000),
    sfuWorkers: cpuCores(j?.sfuWorkerCpuMs, 1000),
    sfuNodeProcesses: cpuCores(j?.sfuNodeCpuMs, 1000),
    postgres: cpuCores(j?.postgresCpuMs, 1000),
    postgresRowsPerS: j ? Math.round(joinsPerS * j.postgresRows.value) : null,
    redis: j
      ? (() => {
          // Redis runs commands on one thread: the share of one core it needs is the whole question.
          const coreShare = (joinsPerS * j.redisCpuUs.value) / 1e6;
          const usPerCommand = j.redisCpuUs.value / j.redisCommands.value;
          return {
            commandsPerJoin: j.redisCommands.value,
            cpuUsPerJoin: j.redisCpuUs.value,
            commandsPerS: Math.round(joinsPerS * j.redisCommands.value),
            /** Share of Redis's one command thread the admission needs (1 = a whole core). */
            coreShare: round(coreShare, 2),
            /** Commands/s one Redis core runs at the headroom, in the join's own mix of commands. */
            commandsPerSAtHeadroomInJoinMix: Math.round((A.headroom * 1e6) / usPerCommand),
            oneRedisHolds: coreShare <= A.headroom,
            /** Redis shards (primaries) so that each keeps to the headroom, if split evenly. */
            shardsNeeded: Math.max(1, Math.ceil(coreShare / A.headroom)),
            /** Joins/s one primary admits at the headroom, and the minutes that takes for everyone. */
            joinsPerSOnePrimary: Math.floor((A.headroom * 1e6) / j.redisCpuUs.value),
            minutesOnOnePrimary: round(A.teachers / ((A.headroom * 1e6) / j.redisCpuUs.value) / 60, 1),
          };
        })()
      : null,
  };

  const sockets = m.signalingSocketsPerProcess?.value ?? null;
  const processesForSockets = sockets ? Math.ceil(A.teachers / sockets) : null;
  const signaling = {
    socketsPerProcess: sockets,
    processesForSockets,
    processesForAdmission: admission.signaling ? admission.signaling.cores * A.signalingProcessesPerCore : null,
    rssGiBPerProcess: m.signalingRssMiBAtThoseSockets ? round(m.signalingRssMiBAtThoseSockets.value / 1024, 2) : null,
  };

  const egressGbpsByLayer = Object.fromEntries(Object.entries(LAYERS_KBPS).map(([layer, kbps]) => [layer, round(((kbps + A.audioKbps) * A.teachers) / 1e6)]));
  return {
    teachers: A.teachers,
    provinces: provinces.length,
    admission,
    signaling,
    redis: {
      handToggleCommands: m.redisCommandsPerHandToggle?.value ?? null,
      peakSeenCommandsPerS: m.redisPeakSeen?.value ?? null,
      benchmark: m.redisBenchmark ? { getPerS: m.redisBenchmark.getPerS.value, setPerS: m.redisBenchmark.setPerS.value, evalshaPerS: m.redisBenchmark.evalshaPerS.value } : null,
    },
    attendance: m.attendanceRatePerS ? { offeredPerS: m.attendanceRatePerS.value, dropped: m.attendanceDropped?.value ?? null } : null,
    udpCeilingPacketsPerCoreS: m.udpCeilingPacketsPerCoreS?.value ?? null,
    egressGbpsByLayer,
    egressGbpsMassProfile: round(((LAYERS_KBPS.massMiddle + A.audioMassKbps) * A.teachers) / 1e6),
    audioOnlyEgressGbps: round((A.audioKbps * A.teachers) / 1e6),
    profiles,
    headline,
  };
}
