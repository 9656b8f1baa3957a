/**
 * The 1.5 M plan: what one national meeting of 1.5 million receive-only teachers needs, computed
 * from the unit costs measured on this machine (load-tests/results/*.json), with every input that
 * is an assumption marked as such. No measurement runs here; run the benchmarks first.
 *
 * Inputs (measured): CPU per viewer of one worker (fanout.json: plain SRTP sinks; fanout-bots.json:
 * node-datachannel viewers, batched and unbatched, when present), the loopback UDP ceiling
 * (fanout.json), the join rate (join-rate.json).
 * Inputs (assumed, overridable by flags): cores per SFU node, CPU headroom, relay fan-out, the
 * per-hop delay, the distribution of teachers over provinces (by population weight ≈ equal here),
 * layer mix of the audience, admission rate.
 *
 * Usage: node --import tsx load-tests/nation.ts [teachers=1500000] [coresPerNode=16]
 * Writes load-tests/results/nation.json; docs/capacity.md explains it.
 */
import fs from 'node:fs';
import { writeResult } from './lib';
import provinces from '../signaling/data/provinces.json' with { type: 'json' };

const TEACHERS = Number(process.argv[2] ?? 1_500_000);
const CORES_PER_NODE = Number(process.argv[3] ?? 16);
/** Assumption: run workers at 80% of a core, as the benchmarks' "viewers per core" figure. */
const HEADROOM = 0.8;
/** Assumption: relay fan-out per SFU node (HOINGHI_SFU_FANOUT default). */
const RELAY_FANOUT = 8;
/** Assumption until measured across machines: one relay hop (pipe transport, same LAN). */
const HOP_DELAY_MS = { assumed: 2 };
/** Layer bitrates (web/src/client/MeetingClient.ts CAMERA_ENCODINGS) and Opus. */
const LAYERS_KBPS = { low: 150, mid: 500, high: 1200 };
const AUDIO_KBPS = 48;
/** Assumption: admission rate of the whole signaling cluster, joins/s (per-node figure × nodes). */
const SIGNALING_NODES = { assumed: 16 };

function read<T>(name: string): T | null {
  const p = `load-tests/results/${name}.json`;
  return fs.existsSync(p) ? (JSON.parse(fs.readFileSync(p, 'utf8')) as T) : null;
}

interface Fanout { fit: { cpuPctPerViewer: number }; viewersPerCore: { fittedAt80PctCpu: number }; udpCeiling: { packetsPerCoreSecond: number } }
interface Bots { summary: Record<string, Record<string, { cpuPerViewerPct: number }>> }
interface JoinRate { results: { label: string; joinsPerSecond: number }[] }

function plan(label: string, cpuPerViewerPct: number) {
  const viewersPerCore = Math.floor((HEADROOM * 100) / cpuPerViewerPct);
  const cores = Math.ceil(TEACHERS / viewersPerCore);
  const nodes = Math.ceil(cores / CORES_PER_NODE);
  const perProvince = provinces.map((p) => {
    const teachers = Math.ceil(TEACHERS / provinces.length);
    const c = Math.ceil(teachers / viewersPerCore);
    return { code: p.code, name: p.name, teachers, cores: c, nodes: Math.ceil(c / CORES_PER_NODE) };
  });
  // Relay tree over all nodes: depth = levels below the origin.
  let depth = 0;
  for (let reach = 1, level = 1; reach < nodes; depth++) {
    level *= RELAY_FANOUT;
    reach += level;
  }
  return {
    label,
    cpuPerViewerPct,
    viewersPerCore,
    sfuCores: cores,
    sfuNodes: nodes,
    perProvince,
    relayDepth: depth,
    relayDelayMs: { value: depth * HOP_DELAY_MS.assumed, assumption: `${HOP_DELAY_MS.assumed} ms per hop (not measured across machines here)` },
    lossOfOneNode: { viewers: viewersPerCore * CORES_PER_NODE, shareOfMeetingPct: +((100 * viewersPerCore * CORES_PER_NODE) / TEACHERS).toFixed(2) },
  };
}

const fanout = read<Fanout>('fanout');
if (!fanout) throw new Error('run load-tests/fanout.ts first');
const bots = read<Bots>('fanout-bots');
const join = read<JoinRate>('join-rate');

const profiles = [plan('plain SRTP sinks (fanout.json), today\'s build', fanout.fit.cpuPctPerViewer)];
if (bots) {
  for (const [variant, steps] of Object.entries(bots.summary)) {
    const values = Object.values(steps).map((s) => s.cpuPerViewerPct).filter((x) => x > 0);
    if (values.length) profiles.push(plan(`node-datachannel viewers, ${variant} worker (fanout-bots.json, largest step)`, values[values.length - 1]!));
  }
}
const joinsPerNode = join?.results[0]?.joinsPerSecond ?? null;
const egressGbps = Object.fromEntries(
  Object.entries(LAYERS_KBPS).map(([layer, kbps]) => [layer, +(((kbps + AUDIO_KBPS) * TEACHERS) / 1e6).toFixed(1)]),
);
const result = {
  benchmark: 'nation',
  when: new Date().toISOString(),
  command: `node --import tsx load-tests/nation.ts ${TEACHERS} ${CORES_PER_NODE}`,
  teachers: TEACHERS,
  provinces: provinces.length,
  assumptions: { coresPerNode: CORES_PER_NODE, headroom: HEADROOM, relayFanout: RELAY_FANOUT, hopDelayMs: HOP_DELAY_MS.assumed, signalingNodes: SIGNALING_NODES.assumed },
  udpCeilingPacketsPerCoreS: fanout.udpCeiling.packetsPerCoreSecond,
  egressGbpsByLayer: egressGbps,
  audioOnlyEgressGbps: +((AUDIO_KBPS * TEACHERS) / 1e6).toFixed(1),
  join: joinsPerNode
    ? { measuredJoinsPerSecondOneNode: joinsPerNode, assumedSignalingNodes: SIGNALING_NODES.assumed, minutesToJoinAll: +(TEACHERS / (joinsPerNode * SIGNALING_NODES.assumed) / 60).toFixed(1) }
    : null,
  profiles,
};
const file = writeResult('nation', result);
for (const p of profiles) {
  console.log(`${p.label}: ${p.cpuPerViewerPct}% of a core per viewer → ${p.viewersPerCore} viewers/core, ${p.sfuCores} SFU cores, ${p.sfuNodes} nodes of ${CORES_PER_NODE} cores, relay depth ${p.relayDepth}; one node lost = ${p.lossOfOneNode.viewers} teachers (${p.lossOfOneNode.shareOfMeetingPct}%)`);
}
console.log('egress Gbps by layer (video + audio):', egressGbps, '; audio only:', result.audioOnlyEgressGbps);
if (result.join) console.log(`joining 1.5 M at ${joinsPerNode} joins/s per node × ${SIGNALING_NODES.assumed} nodes (assumed): ${result.join.minutesToJoinAll} min`);
console.log(`nation: wrote ${file}`);
