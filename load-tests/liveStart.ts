/**
 * The delayed stream's start-up wait: how long a teacher who asks for the live HLS (`watchLive`)
 * waits until its playlist answers 200 with one segment, and with two (what hls.js needs with
 * the web client's `liveSyncDurationCount: 2` before it starts playing).
 *
 * One signaling node in this process (as test/integration/liveHls.test.ts runs it), with a host
 * on air: real media from the benchmark clip (VP8 640x360 with a keyframe every 2 s, plus Opus,
 * looped by ffmpeg into plain-RTP producers the meeting knows as the host's). Then:
 * - `on_demand` (the default): N times, a teacher asks, the playlist is polled every 50 ms until
 *   it lists two segments, nobody asks again, and the stream stops by itself after the idle time
 *   (5 s, the least allowed) before the next ask; at 2 s segments (the default) and at 1 s;
 * - `always`: the stream runs from the host's first publication; N times a teacher asks (after
 *   the stream has listed two segments once): the wait the page sees when it is already running.
 *
 * The times are the server's side: the page itself asks for the playlist when `watchLive`
 * answers and, after a failed load (503 while starting), again 3 s later (HlsPlayer.tsx). The
 * clip's source answers no keyframe request, so ffmpeg waits for the clip's next keyframe (≤ 2 s)
 * where a browser host would send one within a round trip: an upper bound for a browser host.
 *
 * Usage: node --import tsx load-tests/liveStart.ts [--reps 5] [--idle 5]
 * Writes load-tests/results/live-start.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LocalSfu } from '../sfu/LocalSfu';
import { HoinghiServer } from '../signaling/server';
import { playlistSegments } from '../signaling/recording/Recorder';
import { waitFor } from '../harness/browser';
import { publishClip, type RtpSource } from '../harness/rtpSource';
import { MEETING, call, connectClient, testConfig, tokenFor, type TestSocket } from '../harness/server';
import { machine, percentile, runBenchmark, writeResult } from './lib';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    idle: { type: 'string', default: '5' },
  },
});
const REPS = Number(values.reps);
const IDLE_S = Number(values.idle);
const POLL_MS = 50;
/** A start that takes longer than this fails the run (something is broken, not slow). */
const DEADLINE_MS = 60_000;

interface Sample {
  /** `watchLive` answered (the stream's path; on demand, after ffmpeg was started). */
  ackMs: number;
  /** The playlist answered 200 with ≥ 1 segment. */
  oneSegmentMs: number;
  /** …with ≥ 2 segments (hls.js with liveSyncDurationCount 2 can start). */
  twoSegmentsMs: number;
  /** 503 answers (starting) seen while polling. */
  starting503: number;
}

interface Variant {
  mode: 'on_demand' | 'always';
  segmentS: number;
  samples: Sample[];
  /** always: from the host's publication to the playlist's second segment (nobody asked). */
  coldStartMs?: number;
  summary: Record<string, { min: number; p50: number; max: number }>;
}

const now = (): number => performance.now();

function summarize(samples: Sample[]): Variant['summary'] {
  const out: Variant['summary'] = {};
  for (const key of ['ackMs', 'oneSegmentMs', 'twoSegmentsMs'] as const) {
    const v = samples.map((s) => s[key]).sort((a, b) => a - b);
    out[key] = { min: Math.round(v[0]!), p50: Math.round(percentile(v, 50)), max: Math.round(v.at(-1)!) };
  }
  return out;
}

/** Polls the playlist from `t0` until it lists two segments; the times at one and two. */
async function untilSegments(base: string, url: string, token: string, t0: number): Promise<Omit<Sample, 'ackMs'>> {
  let one = NaN;
  let starting503 = 0;
  for (;;) {
    if (now() - t0 > DEADLINE_MS) throw new Error(`no two segments in ${DEADLINE_MS} ms at ${url}`);
    const res = await fetch(`${base}${url}`, { headers: { Authorization: `Bearer ${token}` } });
    const text = await res.text();
    if (res.status === 503) starting503 += 1;
    else if (res.status !== 200) throw new Error(`playlist answered ${res.status}: ${text.slice(0, 200)}`);
    const n = res.status === 200 ? playlistSegments(text).length : 0;
    if (n >= 1 && Number.isNaN(one)) one = now() - t0;
    if (n >= 2) return { oneSegmentMs: one, twoSegmentsMs: now() - t0, starting503 };
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function runVariant(mode: Variant['mode'], segmentS: number): Promise<Variant> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-bench-live-start-'));
  const sfu = await LocalSfu.create(testConfig().sfu);
  const server = await HoinghiServer.create(
    testConfig({
      HOINGHI_RECORDINGS_DIR: dir,
      HOINGHI_RECORDING_MIN_FREE_MB: '1',
      HOINGHI_HLS_SEGMENT_S: String(segmentS),
      HOINGHI_LIVE_HLS: mode,
      HOINGHI_LIVE_HLS_IDLE_S: String(IDLE_S),
      LOG_LEVEL: 'warn',
    }),
    sfu,
  );
  const sockets: TestSocket[] = [];
  let source: RtpSource | null = null;
  try {
    const host = await connectClient(server, tokenFor(server, { role: 'host', sub: 'bench-live-host' }));
    sockets.push(host);
    await call(host, 'join', { meetingId: MEETING });
    const teacherToken = tokenFor(server, { role: 'teacher', sub: 'bench-live-teacher', province: '01' });
    const teacher = await connectClient(server, teacherToken);
    sockets.push(teacher);
    await call(teacher, 'join', { meetingId: MEETING });

    // The host on air: the clip's media, known to the meeting as the host's camera and microphone.
    const meeting = server.sockets.registry.get(MEETING)!;
    const main = meeting.sessions.get('main')!;
    source = await publishClip(sfu, main.roomId);
    const onAir = now();
    for (const [id, kind, src] of [
      [source.videoProducerId, 'video', 'camera'],
      [source.audioProducerId, 'audio', 'mic'],
    ] as const) {
      await meeting.state.addProducer({ id, kind, source: src, peerId: 'bench-live-host', peerName: 'bench-live-host', sessionKey: 'main', roomId: main.roomId, national: true, sessionHost: true });
    }
    await waitFor(async () => meeting.published.size, (n) => n >= 2, 10_000, 'the host on air');

    const variant: Variant = { mode, segmentS, samples: [], summary: {} };
    if (mode === 'always') {
      // Nobody asks: the node starts it by itself; it is ready once its playlist lists two segments.
      await waitFor(async () => server.live.stats().active, (n) => n === 1, 30_000, 'the always-on stream started');
      const warm = await call(teacher, 'watchLive', {});
      await untilSegments(server.url, warm.path, teacherToken, onAir);
      variant.coldStartMs = Math.round(now() - onAir);
    }

    for (let rep = 0; rep < REPS; rep++) {
      if (mode === 'on_demand') {
        // The previous stream stopped by itself (nobody asked for the idle time).
        await waitFor(async () => server.live.stats().active, (n) => n === 0, IDLE_S * 1000 + 30_000, 'the idle stream stopped');
      } else {
        await new Promise((r) => setTimeout(r, 1_000));
      }
      const t0 = now();
      const watch = await call(teacher, 'watchLive', {});
      const ackMs = now() - t0;
      const rest = await untilSegments(server.url, watch.path, teacherToken, t0);
      const sample: Sample = { ackMs: +ackMs.toFixed(1), oneSegmentMs: Math.round(rest.oneSegmentMs), twoSegmentsMs: Math.round(rest.twoSegmentsMs), starting503: rest.starting503 };
      variant.samples.push(sample);
      console.log(
        `live-start: ${mode}, ${segmentS} s segments, #${rep + 1}: watchLive answered in ${sample.ackMs} ms; ` +
          `playlist with 1 segment at ${sample.oneSegmentMs} ms, 2 segments at ${sample.twoSegmentsMs} ms (${sample.starting503} × 503 while starting)`,
      );
    }
    if (mode === 'on_demand' && server.live.stats().active !== 1) throw new Error('expected one stream running after the last ask');
    variant.summary = summarize(variant.samples);
    return variant;
  } finally {
    for (const s of sockets) s.close();
    source?.stop();
    await server.close().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const variants: Variant[] = [];
  for (const [mode, seg] of [
    ['on_demand', 2],
    ['on_demand', 1],
    ['always', 2],
    ['always', 1],
  ] as const) {
    variants.push(await runVariant(mode, seg));
  }
  console.log('\nlive-start: summary (ms: min / p50 / max)');
  for (const v of variants) {
    const s = v.summary;
    console.log(
      `  ${v.mode.padEnd(9)} ${v.segmentS} s segments: watchLive ${s.ackMs!.min}/${s.ackMs!.p50}/${s.ackMs!.max}; ` +
        `1 segment ${s.oneSegmentMs!.min}/${s.oneSegmentMs!.p50}/${s.oneSegmentMs!.max}; 2 segments ${s.twoSegmentsMs!.min}/${s.twoSegmentsMs!.p50}/${s.twoSegmentsMs!.max}` +
        (v.coldStartMs === undefined ? '' : ` (host on air → 2 segments, nobody asking: ${v.coldStartMs})`),
    );
  }
  const file = writeResult('live-start', {
    at: new Date().toISOString(),
    machine: machine(),
    command: `node --import tsx load-tests/liveStart.ts --reps ${REPS} --idle ${IDLE_S}`,
    reps: REPS,
    idleS: IDLE_S,
    pollMs: POLL_MS,
    source: 'benchmark clip (VP8 640x360, keyframe every 2 s, Opus) looped by ffmpeg into plain-RTP producers; it answers no keyframe request',
    variants,
  });
  console.log(`live-start: wrote ${file}`);
}

runBenchmark(main);
