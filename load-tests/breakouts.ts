/**
 * Breakout benchmark: N teachers (default 2,000, across the 34 provinces) and 34 province hosts
 * in one meeting on one node, as socket clients with real receive transports and real consumers
 * on the node's mediasoup workers (no media decoding). Measures, per teacher, the time from the
 * national host's "start breakouts" until the teacher holds a consumer of their own province
 * host's video (province hosts publish as soon as their breakout opens, as the web client does),
 * and from "recall" until the teacher holds a consumer of the national video again.
 *
 *   node --import tsx load-tests/breakouts.ts [--teachers 2000]
 * Loopback only; stops by itself. Writes load-tests/results/breakouts.json.
 */
import { parseArgs } from 'node:util';
import os from 'node:os';
import type { Socket } from 'socket.io-client';
import { PROVINCES } from '../signaling/data/provinces';
import type { ConsumerInfo, JoinResult, SessionInfo, TransportInfo } from '../signaling/protocol/events';
import { audioRtpParameters, dtlsParameters, videoRtpParameters } from '../harness/media';
import { BENCH_SECRET, botToken, connectBot, cpuSeconds, emitAck, machine, percentile, runBenchmark, startNode, writeResult } from './lib';

const { values } = parseArgs({ options: { teachers: { type: 'string', default: '2000' } } });
const TEACHERS = Number(values.teachers);
const MEETING = 'bench-breakouts';
const token = (sub: string, role: string, province: string | null): string => botToken(MEETING, sub, role, province);
const connect = connectBot;
const emit = emitAck;




/** Joins and sets up receiving; resolves with the socket. */
async function viewer(url: string, tok: string, onConsumer: (c: ConsumerInfo) => void): Promise<Socket> {
  const s = await connect(url, tok);
  s.on('newConsumer', (c: ConsumerInfo) => {
    onConsumer(c);
    void emit(s, 'resumeConsumer', { consumerId: c.id }).catch(() => undefined);
  });
  const join = await emit<JoinResult>(s, 'join', { meetingId: MEETING });
  const t = await emit<TransportInfo>(s, 'createTransport', { direction: 'recv' });
  await emit(s, 'connectTransport', { transportId: t.id, dtlsParameters });
  const { consumers } = await emit<{ consumers: ConsumerInfo[] }>(s, 'startConsuming', { rtpCapabilities: join.routerRtpCapabilities });
  for (const c of consumers) onConsumer(c);
  return s;
}

async function publish(s: Socket): Promise<void> {
  const t = await emit<TransportInfo>(s, 'createTransport', { direction: 'send' });
  await emit(s, 'connectTransport', { transportId: t.id, dtlsParameters });
  await emit(s, 'produce', { transportId: t.id, kind: 'video', source: 'camera', rtpParameters: videoRtpParameters() });
  await emit(s, 'produce', { transportId: t.id, kind: 'audio', source: 'mic', rtpParameters: audioRtpParameters() });
}

async function main(): Promise<void> {
  const node = await startNode({
    HOINGHI_PORT: '0',
    HOINGHI_JWT_SECRET: BENCH_SECRET,
    HOINGHI_WORKERS: String(os.availableParallelism()),
    HOINGHI_RTC_BASE_PORT: '0',
    HOINGHI_JOIN_RATE: '100000',
    HOINGHI_JOIN_BURST: '100000',
    // Every bot connects from 127.0.0.1: lift the per-IP socket caps.
    HOINGHI_MAX_PENDING_PER_IP: '1000000',
    HOINGHI_MAX_SOCKETS_PER_IP: '1000000',
    // The bots carry no media: placement capacity is not what this measures.
    HOINGHI_VIEWERS_PER_WORKER: '100000',
  });
  const pid = node.child.pid!;
  const sockets: Socket[] = [];
  try {
    const national = await connect(node.url, token('national', 'host', null));
    sockets.push(national);
    await emit(national, 'join', { meetingId: MEETING });
    await publish(national);

    // Province hosts publish the moment their breakout lets them.
    for (const p of PROVINCES) {
      const s = await viewer(node.url, token(`ph-${p.code}`, 'province_host', p.code), () => undefined);
      s.on('sessionChanged', (info: SessionInfo) => {
        if (info.canSend) void publish(s).then(() => process.env.BENCH_DEBUG && console.log('published', p.code), (e: unknown) => console.error('publish failed', e));
        else if (process.env.BENCH_DEBUG) console.log('sessionChanged', p.code, JSON.stringify(info));
      });
      sockets.push(s);
    }

    type Mark = { province: string; gotProvince: number | null; gotNational: number | null; phase: 'main' | 'breakout' | 'recall' };
    const marks: Mark[] = [];
    const t0 = performance.now();
    for (let i = 0; i < TEACHERS; i += 100) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(100, TEACHERS - i) }, async (_, k) => {
          const province = PROVINCES[(i + k) % PROVINCES.length]!.code;
          const mark: Mark = { province, gotProvince: null, gotNational: null, phase: 'main' };
          marks.push(mark);
          return viewer(node.url, token(`t-${i + k}`, 'teacher', province), (c) => {
            if (c.kind !== 'video') return;
            if (mark.phase === 'breakout' && c.peerId === `ph-${province}` && mark.gotProvince === null) mark.gotProvince = performance.now();
            if (mark.phase === 'recall' && c.peerId === 'national' && mark.gotNational === null) mark.gotNational = performance.now();
          });
        }),
      );
      sockets.push(...batch);
    }
    const joinSeconds = (performance.now() - t0) / 1000;
    console.log(`${TEACHERS} teachers and 34 province hosts joined in ${joinSeconds.toFixed(1)} s`);

    const cpu0 = cpuSeconds(pid);
    for (const m of marks) m.phase = 'breakout';
    const startAt = performance.now();
    await emit(national, 'startBreakouts', { nationalOverlay: false });
    const startAcked = performance.now() - startAt;
    const deadline = Date.now() + 120_000;
    while (marks.some((m) => m.gotProvince === null) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const startCpu = cpuSeconds(pid) - cpu0;

    const cpu1 = cpuSeconds(pid);
    for (const m of marks) m.phase = 'recall';
    const recallAt = performance.now();
    await emit(national, 'endBreakouts', {});
    const recallAcked = performance.now() - recallAt;
    const deadline2 = Date.now() + 120_000;
    while (marks.some((m) => m.gotNational === null) && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 50));
    const recallCpu = cpuSeconds(pid) - cpu1;

    const summarise = (times: (number | null)[], from: number) => {
      const got = times.filter((t): t is number => t !== null).map((t) => t - from).sort((a, b) => a - b);
      return {
        clients: times.length,
        received: got.length,
        p50Ms: Math.round(percentile(got, 50)),
        p99Ms: Math.round(percentile(got, 99)),
        maxMs: Math.round(got.at(-1) ?? NaN),
      };
    };
    const missing = [...new Set(marks.filter((m) => m.gotProvince === null).map((m) => m.province))];
    if (missing.length > 0) console.error(`no province video for teachers of: ${missing.join(', ')}`);
    const result = {
      benchmark: 'breakouts: start → own province video; recall → national video',
      date: new Date().toISOString(),
      machine: machine(),
      teachers: TEACHERS,
      provinces: PROVINCES.length,
      workers: os.availableParallelism(),
      joinSeconds: Math.round(joinSeconds * 10) / 10,
      start: { ...summarise(marks.map((m) => m.gotProvince), startAt), ackMs: Math.round(startAcked), serverCpuSeconds: Math.round(startCpu * 100) / 100 },
      recall: { ...summarise(marks.map((m) => m.gotNational), recallAt), ackMs: Math.round(recallAcked), serverCpuSeconds: Math.round(recallCpu * 100) / 100 },
    };
    const path = writeResult('breakouts', result);
    console.log(JSON.stringify(result, null, 2));
    console.log(`→ ${path}`);
  } finally {
    for (const s of sockets) s.close();
    await node.stop();
  }
}

runBenchmark(main);
