/**
 * The plan as Markdown: the generated block of docs/capacity.md (headline, per-join costs, viewing,
 * every input with its file and field, the assumed list) and the README's headline, each between
 * markers, so that the numbers are written in one place (load-tests/nation.ts --docs) and checked
 * in one place (load-tests/nation.ts --check, run by test/unit/capacityDoc.test.ts).
 */
import { ASSUMED, type Measured, type MeasuredInputs } from './inputs';
import type { Plan } from './plan';

export const CAPACITY_DOC = 'docs/capacity.md';
export const README = 'README.md';
export const PLAN_BLOCK = 'capacity-plan';
export const HEADLINE_BLOCK = 'capacity-headline';

const n = (x: number, digits = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
const src = (m: Measured | null | undefined): string => (m ? `\`${m.file}\` \`${m.field}\`${m.upperBound ? ' (an upper bound: the viewers\' media included)' : ''}` : 'not measured');
const NOT_RUN = 'not measured (run `node --import tsx load-tests/joinCost.ts`)';

function admissionRows(plan: Plan, m: MeasuredInputs): string[] {
  const a = plan.admission;
  const j = m.perJoin;
  const row = (part: string, perJoin: string, cores: string, from: string) => `| ${part} | ${perJoin} | ${cores} | ${from} |`;
  if (!j) return [row('every part', NOT_RUN, '', '')];
  const r = a.redis!;
  return [
    row('signaling processes', `${n(j.signalingCpuMs.value, 2)} CPU-ms`, `**${n(a.signaling!.cores)}**`, src(j.signalingCpuMs)),
    row('SFU workers (mediasoup-worker)', `${n(j.sfuWorkerCpuMs.value, 2)} CPU-ms`, `**${n(a.sfuWorkers!.cores)}**`, src(j.sfuWorkerCpuMs)),
    row('SFU node processes (Node.js control)', `${n(j.sfuNodeCpuMs.value, 2)} CPU-ms`, `**${n(a.sfuNodeProcesses!.cores)}**`, src(j.sfuNodeCpuMs)),
    row('Redis', `${n(j.redisCpuUs.value)} CPU-µs, ${n(j.redisCommands.value, 1)} commands`, `**${n(r.coreShare, 2)} of its one command thread** (${n(r.commandsPerS)} commands/s)`, `${src(j.redisCpuUs)}, ${src(j.redisCommands)}`),
    row('PostgreSQL', `${n(j.postgresCpuMs.value, 2)} CPU-ms, ${n(j.postgresRows.value, 2)} row${j.postgresRows.value === 1 ? '' : 's'}`, `**${n(a.postgres!.cores)}** (${n(a.postgresRowsPerS!)} rows/s)`, `${src(j.postgresCpuMs)}, ${src(j.postgresRows)}`),
  ];
}

function redisVerdict(plan: Plan, m: MeasuredInputs): string {
  const r = plan.admission.redis;
  if (!r) return `Whether one Redis holds the admission: ${NOT_RUN}.`;
  const bench = plan.redis.benchmark;
  const benchText = bench
    ? ` For comparison, \`redis-benchmark\` on this machine (one redis-server, 50 clients, no pipelining; ${src(m.redisBenchmark!.getPerS)}) ran ${n(bench.getPerS)} GET/s, ${n(bench.setPerS)} SET/s and ${n(bench.evalshaPerS)} EVALSHA/s (a one-key Lua script).`
    : ' (`redis-benchmark`: not run, `node --import tsx load-tests/redisCapacity.ts`.)';
  const peak = plan.redis.peakSeenCommandsPerS;
  const peakText = peak ? ` The highest rate any cluster run here has seen is ${n(peak)} commands/s (${src(m.redisPeakSeen)}): a rate seen, not a limit found.` : '';
  const verdict = r.oneRedisHolds
    ? `**One Redis primary holds it**: ${n(plan.admission.joinsPerS)} joins/s × ${n(r.cpuUsPerJoin)} µs = ${n(r.coreShare, 2)} of a core, within the planned ${n(ASSUMED.headroom.value * 100)}%.`
    : `**One Redis primary does not hold it**: ${n(plan.admission.joinsPerS)} joins/s × ${n(r.cpuUsPerJoin)} µs = ${n(r.coreShare, 2)} cores of work for a server that runs commands on one thread; a Sentinel group does not help (one primary takes every write). It needs **${n(r.shardsNeeded)} primaries** at ${n(ASSUMED.headroom.value * 100)}% each if the load splits evenly (see "Sharding Redis" below). One primary admits ${n(r.joinsPerSOnePrimary)} joins/s at ${n(ASSUMED.headroom.value * 100)}%: everyone in **${n(r.minutesOnOnePrimary, 1)} minutes**.`;
  return `${verdict} In the join's own mix of commands one Redis core runs ~${n(r.commandsPerSAtHeadroomInJoinMix)} commands/s at ${n(ASSUMED.headroom.value * 100)}% (its measured CPU-µs per command).${benchText}${peakText}`;
}

export function renderPlanBlock(plan: Plan, m: MeasuredInputs): string {
  const h = plan.headline;
  const s = plan.signaling;
  const out: string[] = [];
  out.push(`### Admitting ${n(plan.teachers)} teachers in ${ASSUMED.admissionMinutes.value} minutes: ${n(plan.admission.joinsPerS)} joins/s`, '');
  out.push('Cost per join with real DTLS handshakes (node-datachannel viewers in their own process), idle baseline subtracted; cores at the planned headroom:', '');
  if (m.perJoin) out.push(`Measured with \`${m.perJoin.command}\`, in ${m.perJoin.topology}.`, '');
  out.push('| part | per join (measured) | cores at that rate | from |', '|---|---|---|---|', ...admissionRows(plan, m), '');
  out.push(redisVerdict(plan, m), '');
  out.push('### Holding them', '');
  out.push('| | figure | from |', '|---|---|---|');
  out.push(`| sockets per signaling process | ${s.socketsPerProcess ? n(s.socketsPerProcess) : 'not measured'} (cluster mode, the largest step with none failed) | ${src(m.signalingSocketsPerProcess)} |`);
  out.push(`| memory per signaling process at that | ${s.rssGiBPerProcess !== null ? `${n(s.rssGiBPerProcess, 2)} GiB RSS` : 'not measured'} (idle joined sockets, no transports) | ${src(m.signalingRssMiBAtThoseSockets)} |`);
  out.push(`| signaling processes | **${s.processesForSockets !== null ? n(s.processesForSockets) : '?'}** for the sockets${s.processesForAdmission !== null ? `; ${n(s.processesForAdmission)} for the admission's CPU` : ''} | arithmetic |`);
  if (h) {
    out.push(`| SFU cores, viewing (headline profile) | **${n(h.sfuCores)}** (${n(h.viewersPerCore)} viewers per core, ${n(h.cpuPerViewerPct, 4)}% of a core each) | ${src(h.source)} |`);
    out.push(`| SFU nodes of ${ASSUMED.coresPerSfuNode.value} cores | **${n(h.sfuNodes)}** (${n(h.nodesPerProvince)} per province), relay depth ${h.relayDepth}${h.relayDelayMs ? ` (+${h.relayDelayMs.p50} ms p50, +${h.relayDelayMs.p99} ms p99 on loopback)` : ''} | ${src(m.relayHopMs?.p50)} |`);
    out.push(`| one SFU node lost | ${n(h.oneNodeLost.teachers)} teachers (${h.oneNodeLost.shareOfMeetingPct}%) re-homed | arithmetic |`);
  }
  out.push(`| egress | ${n(plan.egressGbpsMassProfile)} Gbps (mass-audience middle layer + audio); today's top layer ${n(plan.egressGbpsByLayer.top!)} Gbps; audio only ${n(plan.audioOnlyEgressGbps)} Gbps | arithmetic over the assumed bitrates |`);
  if (plan.redis.handToggleCommands !== null) out.push(`| Redis per hand toggle | ${n(plan.redis.handToggleCommands, 2)} commands | ${src(m.redisCommandsPerHandToggle)} |`);
  if (plan.attendance) out.push(`| attendance writes | ${n(plan.attendance.offeredPerS)} joins/s offered to PostgreSQL, ${n(plan.attendance.dropped ?? NaN)} dropped (a rate absorbed, not a limit found) | ${src(m.attendanceRatePerS)} |`);
  out.push('');
  out.push('### CPU per viewer by profile', '');
  out.push('| profile | CPU per viewer | viewers per core | SFU cores | nodes | from |', '|---|---|---|---|---|---|');
  for (const p of plan.profiles) out.push(`| ${p.headline ? `**${p.label}** (headline)` : p.label} | ${n(p.cpuPerViewerPct, 4)}% | ${n(p.viewersPerCore)} | ${n(p.sfuCores)} | ${n(p.sfuNodes)} | ${src(p.source)} |`);
  out.push('');
  out.push('### Assumed (not measured)', '');
  out.push('| assumption | value | why |', '|---|---|---|');
  for (const a of Object.values(ASSUMED)) out.push(`| ${a.what} | ${typeof a.value === 'number' ? n(a.value, 2) : a.value} | ${a.why} |`);
  out.push('');
  out.push('Every other figure above is read from the results file and field named beside it (`load-tests/results/`).');
  return out.join('\n');
}

export function renderHeadline(plan: Plan): string {
  const a = plan.admission;
  const h = plan.headline;
  const parts: string[] = [];
  if (a.signaling && a.sfuWorkers && a.redis && a.postgres) {
    parts.push(
      `admitting them in ${ASSUMED.admissionMinutes.value} minutes (${n(a.joinsPerS)} joins/s) takes ${n(a.signaling.cores)} signaling cores, ${a.sfuWorkers.upperBound ? 'at most ' : ''}${n(a.sfuWorkers.cores)} SFU worker cores, ${n(a.postgres.cores)} PostgreSQL cores and ${n(a.redis.coreShare, 2)} of a Redis core (${a.redis.oneRedisHolds ? 'one Redis primary holds it' : `${n(a.redis.shardsNeeded)} Redis primaries`})`,
    );
  }
  if (plan.signaling.processesForSockets !== null) parts.push(`holding them takes ${n(plan.signaling.processesForSockets)} signaling processes (${n(plan.signaling.rssGiBPerProcess ?? NaN, 2)} GiB each)`);
  if (h) parts.push(`and ${n(h.sfuCores)} SFU cores (${n(h.sfuNodes)} nodes of ${ASSUMED.coresPerSfuNode.value}) to send them the mass-audience profile`);
  return `For ${n(plan.teachers)} teachers in one meeting, measured per join and per viewer on this machine: ${parts.join('; ')}. See [capacity](docs/capacity.md).`;
}

/** `text` with the block `name` replaced by `body` (the markers must be there already). */
export function replaceBlock(text: string, name: string, body: string): string {
  const begin = `<!-- ${name}:begin (generated by npm run capacity-doc from load-tests/results; do not edit) -->`;
  const end = `<!-- ${name}:end -->`;
  const re = new RegExp(`<!-- ${name}:begin[^>]*-->[\\s\\S]*?<!-- ${name}:end -->`);
  if (!re.test(text)) throw new Error(`no <!-- ${name}:begin --> … <!-- ${name}:end --> markers`);
  return text.replace(re, () => `${begin}\n${body}\n${end}`);
}
