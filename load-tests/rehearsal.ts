/**
 * The rehearsal: a scripted national meeting (rehearsal/script.ts) played for N minutes on the
 * shapes people run, with every action of a meeting in combination, and a signaling process and
 * an SFU node (a mediasoup worker on the single node) killed in the middle.
 *
 * People: the national host, two province hosts (Hà Nội, TP.HCM) and a teacher who speaks, in
 * Chromium (fake camera and microphone), acting through their pages; and BOTS teachers as real
 * WebRTC receivers (node-datachannel, bots/webrtcViewer.ts following the meeting) spread over
 * provinces (35 % Hà Nội, 35 % TP.HCM, the rest Đà Nẵng, Cà Mau and Lào Cai, whose breakouts have
 * no host on air and show the national session), in BOT_PROCESSES client processes.
 *
 * Measured, and written to load-tests/results/rehearsal-<shape>.json (+ .svg charts):
 * - every acknowledgement (pages: from their WebSocket frames; teachers: their requests), by
 *   event, against ACK_BOUND_MS;
 * - every SAMPLE_S seconds, each teacher's session as the server's store has it against the
 *   producers it receives RTP from (rehearsal/expectedMedia.ts says what a session offers);
 * - after each kill, the time until every affected teacher receives media again;
 * - join latencies (join acknowledged, first media);
 * - stuck queues: `hoinghi_queue_stalls_total` of every signaling process. The run fails (exit 1)
 *   unless it is 0 everywhere, or (exit 2) when the metric cannot be read.
 *
 *   MINUTES=10 BOTS=150 node --import tsx load-tests/rehearsal.ts [single|cluster|both]
 *   MINUTES=1 … is the short check (about four minutes: the kills' recovery windows and the
 *   one-minute timed breakouts do not shrink).
 * Other settings: BOT_PROCESSES (3), ACK_BOUND_MS (5000), SAMPLE_S (10), KILL_SFU (edge | origin),
 * RESTART_AFTER_MS (5000: a supervisor starting a killed cluster process again),
 * MASS_AUDIENCE_VIEWERS (50: from then on the meeting runs the mass-audience profile, as a
 * national meeting does).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import type { Browser, BrowserContext } from 'playwright-core';
import { closeAll, launchChromium } from '../harness/browser';
import { lineChart } from './chart';
import { machine, runBenchmark, writeResult } from './lib';
import { TeacherBots } from './rehearsal/botPool';
import { ackSummary, ConsumptionCheck, recovery, spread, type ConsumptionSample } from './rehearsal/measures';
import { MeetingPage, PageAcks } from './rehearsal/pages';
import { runScript, type StepResult } from './rehearsal/script';
import { clusterShape, singleShape, STALL_METRIC, type Shape, type StallReading } from './rehearsal/shapes';
import type { AckRecord, BotSpec, JoinOutcome, SpeakEvent } from './rehearsal/teacherBots';
import { setTimeout as sleep } from 'node:timers/promises';

const env = (name: string, fallback: number): number => (process.env[name] ? Number(process.env[name]) : fallback);
const MINUTES = env('MINUTES', 10);
const BOTS = env('BOTS', 150);
const BOT_PROCESSES = env('BOT_PROCESSES', 3);
const ACK_BOUND_MS = env('ACK_BOUND_MS', 5_000);
const SAMPLE_S = env('SAMPLE_S', 10);
const RESTART_AFTER_MS = env('RESTART_AFTER_MS', 5_000);
const SFU_VICTIM = process.env.KILL_SFU === 'origin' ? 'origin' : 'edge';
const SHAPES = (process.argv[2] ?? 'both') === 'both' ? (['single', 'cluster'] as const) : ([process.argv[2]] as ('single' | 'cluster')[]);
const MEETING = 'rehearsal';
/** How long a kill's recovery is waited for at most. */
const RECOVERY_WINDOW_MS = 90_000;
const SPREAD: [string, number][] = [['01', 0.35], ['79', 0.35], ['48', 0.1], ['96', 0.1], ['15', 0.1]];


function teachers(): BotSpec[] {
  const out: BotSpec[] = [];
  let i = 0;
  for (const [province, share] of SPREAD) {
    const n = province === SPREAD[SPREAD.length - 1]![0] ? BOTS - out.length : Math.round(BOTS * share);
    for (let k = 0; k < n; k++) out.push({ userId: `gv-bot-${String(i++).padStart(3, '0')}`, province });
  }
  // In province order: the script's waves take every fourth, so that every wave brings every province.
  return out;
}

/** Busy share of the machine's CPUs between two readings of /proc/stat. */
function cpuTimes(): { busy: number; total: number } {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - (f[4] ?? 0), total };
}

function topProcesses(): string[] {
  try {
    return execFileSync('ps', ['-eo', 'pcpu,rss,comm', '--sort=-pcpu'], { encoding: 'utf8' }).split('\n').slice(1, 11).map((l) => l.trim()).filter(Boolean);
  } catch {
    return [];
  }
}

interface RunOutcome {
  shape: string;
  stalls: StallReading;
  file: string;
}

async function rehearse(shapeName: 'single' | 'cluster'): Promise<RunOutcome> {
  const started = new Date();
  const othersBefore = topProcesses();
  const load0 = os.loadavg();
  // Viewers per worker (single) or per SFU node (cluster): three quarters of the audience, so that
  // a second worker or node takes viewers (and its kill matters), and the capacity left after a
  // signaling process dies covers its teachers twice while their orphaned transports await the SFU
  // nodes' grace (at 0.6 the rejoins waited ~30 s on `unavailable`).
  const viewersPerWorker = Math.ceil((BOTS + 5) * 0.75);
  const shape: Shape =
    shapeName === 'single'
      ? await singleShape({ meetingId: MEETING, viewersPerWorker })
      : await clusterShape({ meetingId: MEETING, viewersPerWorker, sfuVictim: SFU_VICTIM, restartAfterMs: RESTART_AFTER_MS });
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const pageAcks = new PageAcks();
  const pool = TeacherBots.start(BOT_PROCESSES);
  const acks: { pages: AckRecord[]; teachers: AckRecord[] } = { pages: [], teachers: [] };
  const steps: StepResult[] = [];
  const samples: ConsumptionSample[] = [];
  const speak: SpeakEvent[] = [];
  const joins: JoinOutcome[] = [];
  const kills: unknown[] = [];
  const stallSeries: [number, number][] = [];
  const load: { t: number; load1: number; cpuBusyPct: number; loopLagMaxMs?: Record<string, number> }[] = [];
  const windows: { t: number; acks: number; overBound: number; maxMs: number }[] = [];
  const joined = new Set<string>();
  let t0 = Date.now();
  const now = () => (Date.now() - t0) / 1000;
  let recoveringUntil = 0;
  let stalls: StallReading = { present: false, total: 0, byQueue: {}, byProcess: {}, selfWaits: {}, loopLagMaxMs: {} };
  const check = new ConsumptionCheck();
  let sampling = true;

  /** The Chromium people, and how many packets each had sent at the last sample (is a silent source really silent?). */
  const people = new Map<string, MeetingPage>();
  const sentBefore = new Map<string, { audio: number; video: number }>();
  const sendingNow = async (): Promise<Map<string, { audio: boolean; video: boolean }>> => {
    const out = new Map<string, { audio: boolean; video: boolean }>();
    await Promise.all(
      [...people].map(async ([who, page]) => {
        const sent = await page.packetsSent().catch(() => null);
        if (!sent) return;
        const before = sentBefore.get(who);
        if (before) out.set(who, { audio: sent.audio > before.audio, video: sent.video > before.video });
        sentBefore.set(who, sent);
      }),
    );
    return out;
  };
  const sampleOnce = async (): Promise<void> => {
    const cpu0 = cpuTimes();
    const sending = await sendingNow();
    const s = await pool.sample();
    acks.teachers.push(...s.acks);
    const fromPages = pageAcks.drain();
    acks.pages.push(...fromPages);
    speak.push(...s.speak);
    const view = await shape.view();
    const t = Math.round(now());
    const c = check.check(t, Date.now() < recoveringUntil, view, s.bots, Date.now());
    for (const x of c.silentSources) {
      const s = sending.get(x.peer);
      x.publisherSending = s ? (x.source === 'mic' ? s.audio : s.video) : null;
    }
    // The server's side of the first few teachers not consuming, where it can be seen.
    for (const x of c.notConsuming.slice(0, 3)) x.server = await shape.inspect(x.userId).catch((e: unknown) => String(e));
    samples.push(c);
    stalls = await shape.stalls();
    stallSeries.push([t, stalls.total]);
    const window = [...s.acks, ...fromPages];
    const over = window.filter((a) => a.ms > ACK_BOUND_MS || a.outcome === 'timeout' || a.outcome === 'no_answer').length;
    windows.push({ t, acks: window.length, overBound: over, maxMs: Math.max(0, ...window.map((a) => a.ms)) });
    const name = (id: string) => {
      const p = view.producers.find((x) => x.id === id);
      return p ? `${p.peerId}/${p.source}` : id.slice(0, 8);
    };
    const example = c.notConsuming[0];
    const cpu1 = cpuTimes();
    load.push({ t, load1: os.loadavg()[0]!, cpuBusyPct: Math.round((100 * (cpu1.busy - cpu0.busy)) / Math.max(1, cpu1.total - cpu0.total)), loopLagMaxMs: stalls.loopLagMaxMs });
    console.log(
      `rehearsal[${shapeName}] t=${t}s joined ${c.joined}/${c.teachers} consuming ${c.consuming} not ${c.notConsuming.length}${example ? ` (e.g. ${example.userId} in ${example.session} misses ${example.missing.map((p) => `${name(p)}${example.unoffered.includes(p) ? ' [no consumer]' : ''}`).join(', ')})` : ''} extra ${c.extra.length}` +
        `${c.misplaced.length ? ` misplaced ${c.misplaced.length} (e.g. ${c.misplaced[0]!.userId} in ${c.misplaced[0]!.session}, belongs in ${c.misplaced[0]!.belongs})` : ''}` +
        `${c.notJoined.length ? ` (not joined: ${c.notJoined.filter((x) => !x.inRoster).length} out of the roster, ${c.notJoined.filter((x) => !x.connected).length} disconnected)` : ''}` +
        `${c.silentSources.length ? ` silent sources ${c.silentSources.map((x) => `${x.peer}/${x.source}${x.publisherSending ? ' (its page sends!)' : ''}`).join(',')}` : ''}${c.recovering ? ' (recovering)' : ''}` +
        ` | acks ${window.length} over ${ACK_BOUND_MS} ms: ${over} | stalls ${stalls.present ? stalls.total : 'n/a'} | loop lag max ${Math.max(0, ...Object.values(stalls.loopLagMaxMs))} ms | load ${os.loadavg()[0]!.toFixed(1)}`,
    );
  };
  let sampler: Promise<void> = Promise.resolve();
  const startSampling = (): void => {
    sampler = (async () => {
      while (sampling) {
        await sleep(SAMPLE_S * 1000);
        if (!sampling) break;
        await sampleOnce().catch((e: unknown) => console.error(`rehearsal[${shapeName}]: sample failed:`, e instanceof Error ? e.message : e));
      }
    })();
  };

  const kill = async (k: number) => {
    const plan = shape.kills[k]!;
    const killAt = Date.now();
    recoveringUntil = killAt + RECOVERY_WINDOW_MS;
    const info = await plan.run();
    console.log(`rehearsal[${shapeName}] t=${Math.round(now())}s killed ${plan.what}: ${JSON.stringify(info)}`);
    let r = recovery({}, killAt, RECOVERY_WINDOW_MS, Date.now());
    await sleep(10_000);
    for (;;) {
      r = recovery(await pool.timelines(), killAt, RECOVERY_WINDOW_MS, Date.now());
      if ((r.unrecovered === 0 && Date.now() - killAt >= 15_000) || Date.now() - killAt >= RECOVERY_WINDOW_MS) break;
      await sleep(2_000);
    }
    recoveringUntil = Date.now() + SAMPLE_S * 1000;
    const out = { what: plan.what, at: Math.round((killAt - t0) / 1000), ...info, ...r, waitedMs: Date.now() - killAt };
    kills.push(out);
    console.log(`rehearsal[${shapeName}] recovery after ${plan.what}: ${r.affected} affected, ${r.recovered} back (p50 ${r.recoveryMs.p50} ms, max ${r.recoveryMs.max} ms), ${r.unrecovered} not`);
    return out;
  };

  try {
    browser = await launchChromium();
    const national = await MeetingPage.open(browser, contexts, shape.url, 'bo-truong', pageAcks);
    const cam = await national.ensureOn('camera');
    const mic = await national.ensureOn('mic');
    if (cam.outcome !== 'ok' || mic.outcome !== 'ok') throw new Error(`the national host could not go on air: camera ${cam.outcome}, mic ${mic.outcome}`);
    const provinceHosts = [
      { page: await MeetingPage.open(browser, contexts, shape.url, 'so-ha-noi', pageAcks), province: '01' },
      { page: await MeetingPage.open(browser, contexts, shape.url, 'so-hcm', pageAcks), province: '79' },
    ];
    const speaker = await MeetingPage.open(browser, contexts, shape.url, 'gv-hn-1', pageAcks);
    for (const p of [national, ...provinceHosts.map((h) => h.page), speaker]) people.set(p.who, p);
    const all = teachers();
    t0 = Date.now();
    startSampling();
    console.log(`rehearsal[${shapeName}] ${all.length} teachers, ${MINUTES} min, on ${shape.url}`);
    await runScript({
      national,
      provinceHosts,
      speaker,
      bots: pool,
      teachers: all,
      joinWave: async (wave) => {
        const results = await pool.join({ url: shape.url, meetingId: MEETING, bots: wave, concurrency: 24, invite: { reply: 'accept', speakMs: 20_000 * Math.max(0.25, MINUTES / 10) }, timeoutMs: 120_000 });
        joins.push(...results);
        for (const r of results) if (r.joinedAt !== null) joined.add(r.userId);
      },
      joined: () => [...joined],
      kill,
      kills: shape.kills.length,
      record: (r) => {
        steps.push(r);
        const detail = r.detail !== undefined ? ` ${JSON.stringify(r.detail)}` : '';
        console.log(`rehearsal[${shapeName}] t=${Math.round(r.t)}s ${r.step}: ${r.outcome}${r.ms !== undefined ? ` (${r.ms} ms)` : ''}${detail}`);
      },
      now,
      scale: MINUTES / 10,
    });
    // The last sample, after things settle.
    await sleep(SAMPLE_S * 1000);
  } finally {
    sampling = false;
    await sampler;
    await sampleOnce().catch(() => undefined);
  }

  const unanswered = pageAcks.waiting(ACK_BOUND_MS);
  const timelines = await pool.timelines().catch(() => ({}) as Awaited<ReturnType<TeacherBots['timelines']>>);
  const last = samples[samples.length - 1];
  const notJoinedAtEnd = (last?.notJoined ?? []).map((x) => {
    const tl = timelines[x.userId];
    return { ...x, drops: tl?.drops.slice(-3), flows: tl?.flows.slice(-2), lastRtpAgoMs: tl?.lastRtpAt ? Date.now() - tl.lastRtpAt : null };
  });
  const teacherSummary = ackSummary(acks.teachers, ACK_BOUND_MS);
  const pageSummary = ackSummary(acks.pages, ACK_BOUND_MS);
  const everything = ackSummary([...acks.teachers, ...acks.pages], ACK_BOUND_MS);
  const joinAcks = acks.teachers.filter((a) => a.event === 'join' && a.outcome === 'ok').map((a) => a.ms);
  const firstJoins = joins.filter((j) => j.joinedAt !== null);
  const normal = samples.filter((s) => !s.recovering);
  const recovering = samples.filter((s) => s.recovering);
  const tally = (ss: ConsumptionSample[]) => ({
    samples: ss.length,
    teacherSamples: ss.reduce((n, s) => n + s.joined, 0),
    notConsuming: ss.reduce((n, s) => n + s.notConsuming.length, 0),
    worstSample: ss.reduce((w, s) => Math.max(w, s.notConsuming.length), 0),
    extra: ss.reduce((n, s) => n + s.extra.length, 0),
    sessionMismatch: ss.reduce((n, s) => n + s.sessionMismatch, 0),
    misplaced: ss.reduce((n, s) => n + s.misplaced.length, 0),
    samplesWithSilentSources: ss.filter((s) => s.silentSources.length > 0).length,
  });
  const stepFailures = steps.filter((s) => !['ok', 'done', 'already_on', 'no_hands'].includes(s.outcome));
  const result = {
    benchmark: 'rehearsal',
    shape: shapeName,
    when: started.toISOString(),
    machine: machine(),
    command: `MINUTES=${MINUTES} BOTS=${BOTS} node --import tsx load-tests/rehearsal.ts ${shapeName}`,
    config: { minutes: MINUTES, teachers: BOTS, botProcesses: BOT_PROCESSES, ackBoundMs: ACK_BOUND_MS, sampleS: SAMPLE_S, spread: Object.fromEntries(SPREAD), chromium: ['bo-truong (national host)', 'so-ha-noi (01)', 'so-hcm (79)', 'gv-hn-1 (speaker)'], shape: shape.describe() },
    load: {
      note: 'a shared 2-core machine: other engineers ran workers, Chromium and tests meanwhile',
      loadavgAtStart: load0.map((x) => Math.round(x * 100) / 100),
      load1: spread(load.map((l) => l.load1 * 100)).p50 / 100,
      load1Max: Math.max(0, ...load.map((l) => l.load1)),
      cpuBusyPctMedian: spread(load.map((l) => l.cpuBusyPct)).p50,
      topProcessesBefore: othersBefore,
      series: load,
    },
    stuckQueues: { metric: STALL_METRIC, ...stalls },
    acks: { boundMs: ACK_BOUND_MS, overBound: everything.overBound, total: everything.total, unansweredPageRequests: unanswered, pages: pageSummary, teachers: teacherSummary },
    joins: {
      teachers: BOTS,
      joined: firstJoins.length,
      failed: joins.length - firstJoins.length,
      errors: [...new Set(joins.filter((j) => j.error).map((j) => j.error))].slice(0, 5),
      joinAckMs: spread(joinAcks),
      firstMediaMs: spread(firstJoins.filter((j) => j.firstRtpAt !== null).map((j) => j.firstRtpAt! - j.startedAt)),
      withoutMedia: firstJoins.filter((j) => j.firstRtpAt === null).length,
    },
    consumption: {
      rule: 'rehearsal/expectedMedia.ts; a producer offered at two samples in a row must have sent RTP in the last 3 s',
      outsideRecovery: tally(normal),
      duringRecovery: tally(recovering),
      cases: normal.flatMap((s) => s.notConsuming.map((x) => ({ t: s.t, ...x }))).slice(0, 30),
      extraCases: normal.flatMap((s) => s.extra.map((x) => ({ t: s.t, ...x }))).slice(0, 30),
      misplacedCases: samples.flatMap((s) => s.misplaced.map((x) => ({ t: s.t, recovering: s.recovering, ...x }))).slice(0, 30),
      silentSources: samples.flatMap((s) => s.silentSources.map((x) => ({ t: s.t, recovering: s.recovering, ...x }))),
      series: samples.map((s) => ({ t: s.t, joined: s.joined, consuming: s.consuming, notConsuming: s.notConsuming.length, extra: s.extra.length, recovering: s.recovering })),
    },
    notJoinedAtEnd,
    kills,
    serverLogs: shape.serverLogs(),
    speaking: { invited: speak.filter((e) => e.what === 'invited').length, accepted: speak.filter((e) => e.what === 'accepted' && !e.outcome).length, stopped: speak.filter((e) => e.what === 'stopped' && e.outcome === 'ok').length, failed: speak.filter((e) => e.outcome && e.outcome !== 'ok') },
    steps,
    stepFailures: stepFailures.length,
    ackWindows: windows,
  };
  const file = writeResult(`rehearsal-${shapeName}`, result);
  const marks = steps
    .filter((s) => /breakouts|recalls|kill|end by themselves|lose their connection/.test(s.step))
    .map((s) => ({ x: Math.round(s.t), label: s.step.replace(/national host |while a teacher speaks/g, '').slice(0, 40) }));
  fs.writeFileSync(
    `load-tests/results/rehearsal-${shapeName}.svg`,
    lineChart({
      title: `Rehearsal (${shapeName}): ${BOTS} teachers, ${MINUTES} min — joined, receiving all their session offers`,
      xLabel: 'seconds',
      series: [
        { name: 'teachers joined', points: samples.map((s) => [s.t, s.joined]) },
        { name: 'receiving all offered', points: samples.map((s) => [s.t, s.consuming]) },
        { name: 'acks over bound (window)', points: windows.map((w) => [w.t, w.overBound]) },
      ],
      vLines: marks,
    }),
  );
  fs.writeFileSync(
    `load-tests/results/rehearsal-${shapeName}-acks.svg`,
    lineChart({
      title: `Rehearsal (${shapeName}): slowest acknowledgement per ${SAMPLE_S} s window (ms)`,
      xLabel: 'seconds',
      series: [{ name: 'max ack (ms)', points: windows.map((w) => [w.t, w.maxMs]) }],
      hLines: [{ y: ACK_BOUND_MS, label: `bound ${ACK_BOUND_MS} ms` }],
      vLines: marks,
    }),
  );

  console.log(`\nrehearsal[${shapeName}] summary (${MINUTES} min, ${BOTS} teachers; load1 median ${result.load.load1}, CPU busy median ${result.load.cpuBusyPctMedian} %)`);
  console.log(`  stuck queues (${STALL_METRIC}): ${stalls.present ? `${stalls.total} ${JSON.stringify(stalls.byQueue)}` : 'metric not exposed'}; self-waits ${JSON.stringify(stalls.selfWaits)}`);
  console.log(`  acks over ${ACK_BOUND_MS} ms: ${everything.overBound} of ${everything.total} ${JSON.stringify(everything.overBoundByEvent)}; page requests unanswered: ${unanswered.length}`);
  console.log(`  joins: ${firstJoins.length}/${BOTS}; join ack p50 ${result.joins.joinAckMs.p50} p95 ${result.joins.joinAckMs.p95} max ${result.joins.joinAckMs.max} ms; first media p50 ${result.joins.firstMediaMs.p50} p95 ${result.joins.firstMediaMs.p95} ms`);
  const o = result.consumption.outsideRecovery;
  console.log(`  not consuming their session's media: ${o.notConsuming} of ${o.teacherSamples} teacher-samples (worst sample ${o.worstSample}); extra ${o.extra}; outside recovery windows`);
  for (const k of kills as { what: string; affected: number; recovered: number; unrecovered: number; recoveryMs: { p50: number; max: number } }[]) {
    console.log(`  kill ${k.what}: ${k.affected} affected, back p50 ${k.recoveryMs.p50} ms, max ${k.recoveryMs.max} ms, ${k.unrecovered} not back`);
  }
  console.log(`  teachers not joined at the end: ${notJoinedAtEnd.length}${notJoinedAtEnd.length ? ` ${JSON.stringify(notJoinedAtEnd.slice(0, 3))}` : ''}`);
  console.log(`  steps not ok: ${stepFailures.map((s) => `${s.step}: ${s.outcome}`).join('; ') || 'none'}`);
  console.log(`  wrote ${file}`);

  await pool.close();
  await closeAll(contexts, browser, undefined);
  await shape.close();
  return { shape: shapeName, stalls, file };
}

async function main(): Promise<void> {
  const outcomes: RunOutcome[] = [];
  for (const s of SHAPES) outcomes.push(await rehearse(s));
  const absent = outcomes.filter((o) => !o.stalls.present);
  const stuck = outcomes.filter((o) => o.stalls.present && o.stalls.total > 0);
  if (stuck.length > 0) {
    console.error(`rehearsal: stuck queues: ${stuck.map((o) => `${o.shape} ${o.stalls.total}`).join(', ')}`);
    process.exit(1);
  }
  if (absent.length > 0) {
    console.error(`rehearsal: ${STALL_METRIC} is not exposed (${absent.map((o) => o.shape).join(', ')}): 0 stuck queues cannot be shown`);
    process.exit(2);
  }
}

runBenchmark(main);
