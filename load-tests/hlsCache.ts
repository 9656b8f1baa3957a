/**
 * The HLS cache tier under live viewers: how many viewers one cache node carries, and what the
 * origin still sees, with N = 1 and 2 caches (the shipped deploy/nginx/hls-cache.conf, Debian's
 * nginx, one worker each) in front of one origin (a signaling node in its own process, over
 * Redis, as hlsServe.ts runs it).
 *
 * The stream is live as a cache sees one: this process plays ffmpeg's part in the origin's folder,
 * adding a 2 s segment (H.264 ~1 Mbps + AAC, written once by ffmpeg, `harness/hlsRecording.ts`)
 * every 2 s and rewriting a sliding 6-segment playlist, atomically, as the recorder's ffmpeg does.
 * Viewers are HTTP clients at a real viewer's pace, as hls.js plays a live stream with the web
 * client's settings: each has its own signed link (its own expiry, so its own signature), starts
 * two segments from the live edge, reloads the playlist every target duration (2 s, each at its
 * own phase), and fetches each new segment once. Viewers are spread evenly over the caches.
 *
 * Reported per N: per cache node CPU (% of a core, all its processes) and egress, hence viewers per
 * cache core and per 10 Gbit/s of egress; at the origin, requests/s (from the caches' logs: every
 * request a cache passed on) and CPU; viewers' errors and late segments. Loopback only unless the
 * namespaces topology is used (see docs/measurements.md): the viewers' CPU (this process) shares
 * the 2 cores with the caches and the origin.
 *
 * Usage: node --import tsx load-tests/hlsCache.ts [viewers=1500] [seconds=30]
 * Writes load-tests/results/hls-cache.json.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startRedis } from '../harness/cluster';
import { startSignalingNode } from '../harness/signaling';
import { startHlsCache, type HlsCacheProcess } from '../harness/hlsCache';
import { writeRecording } from '../harness/hlsRecording';
import { HlsLinks } from '../signaling/recording/hlsLinks';
import { BENCH_SECRET, cpuSeconds, machine, percentile, runBenchmark, writeResult } from './lib';

const VIEWERS = Number(process.argv[2] ?? 1500);
const SECONDS = Number(process.argv[3] ?? 30);
const WARMUP_S = 6;
const MEETING = 'bench-hls-cache';
const REC = '20260101T000000-main-0123456789abcdef01234567';
const SECRET = 'bench-hls-link-secret-0123456789abcdef';
const SEGMENT_S = 2;
const WINDOW = 6;

/** ffmpeg's part: a live folder that gains a segment every SEGMENT_S, with a sliding playlist. */
class FakeLive {
  #seq = 0;
  readonly #pool: Buffer[];
  readonly #dir: string;
  readonly #timer: NodeJS.Timeout;

  constructor(dir: string, pool: Buffer[]) {
    this.#dir = dir;
    this.#pool = pool;
    for (let i = 0; i < WINDOW; i++) this.#add();
    this.#timer = setInterval(() => this.#add(), SEGMENT_S * 1000);
  }

  #name(seq: number): string {
    return `r0-${String(seq).padStart(5, '0')}.ts`;
  }

  #add(): void {
    const seq = this.#seq++;
    const file = path.join(this.#dir, this.#name(seq));
    fs.writeFileSync(`${file}.tmp`, this.#pool[seq % this.#pool.length]!);
    fs.renameSync(`${file}.tmp`, file);
    const first = Math.max(0, this.#seq - WINDOW);
    const lines = ['#EXTM3U', '#EXT-X-VERSION:6', `#EXT-X-TARGETDURATION:${SEGMENT_S}`, `#EXT-X-MEDIA-SEQUENCE:${first}`, '#EXT-X-INDEPENDENT-SEGMENTS'];
    for (let s = first; s < this.#seq; s++) lines.push(`#EXTINF:${SEGMENT_S.toFixed(6)},`, this.#name(s));
    const playlist = path.join(this.#dir, 'index.m3u8');
    fs.writeFileSync(`${playlist}.tmp`, lines.join('\n') + '\n');
    fs.renameSync(`${playlist}.tmp`, playlist);
    // Segments leave the folder a while after they leave the playlist (ffmpeg's delete_segments).
    const old = path.join(this.#dir, this.#name(seq - WINDOW - 4));
    if (seq - WINDOW - 4 >= 0) fs.rmSync(old, { force: true });
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

interface ViewerStats {
  playlists: number;
  segments: number;
  bytes: number;
  errors: number;
  /** Segments that arrived after the viewer's next reload was due (a stall risk). */
  late: number;
  segmentMs: number[];
}

/** One viewer: hls.js's live loop, without the decoder. */
async function viewer(agent: http.Agent, playlistUrl: URL, until: number, counting: () => boolean, stats: ViewerStats): Promise<void> {
  const get = (url: URL): Promise<{ status: number; body: Buffer }> =>
    new Promise((resolve) => {
      const req = http.get(url, { agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', () => resolve({ status: 0, body: Buffer.alloc(0) }));
      });
      req.on('error', () => resolve({ status: 0, body: Buffer.alloc(0) }));
    });
  const seen = new Set<string>();
  let first = true;
  // Each viewer joined at its own moment: its reloads have their own phase.
  await new Promise((r) => setTimeout(r, Math.random() * SEGMENT_S * 1000));
  while (Date.now() < until) {
    const due = Date.now() + SEGMENT_S * 1000;
    const p = await get(playlistUrl);
    const count = counting();
    if (count) stats.playlists += 1;
    if (p.status !== 200) {
      if (count) stats.errors += 1;
    } else {
      const names = p.body.toString().split('\n').filter((l) => l.endsWith('.ts'));
      // Start two segments from the live edge (liveSyncDurationCount 2), then every new one.
      const wanted = first ? names.slice(-2) : names.filter((n) => !seen.has(n));
      first = false;
      for (const n of names) seen.add(n);
      for (const name of wanted) {
        const t0 = performance.now();
        const s = await get(new URL(name, playlistUrl));
        if (!count) continue;
        stats.segments += 1;
        stats.bytes += s.body.length;
        stats.segmentMs.push(performance.now() - t0);
        if (s.status !== 200) stats.errors += 1;
      }
      if (count && Date.now() > due) stats.late += 1;
    }
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
  }
}

/** CPU seconds of a process and its children (nginx's master and workers). */
function treeCpuSeconds(pid: number): number {
  let total = cpuSeconds(pid);
  for (const name of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    try {
      const fields = fs.readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]!.split(' ');
      if (Number(fields[1]) === pid) total += cpuSeconds(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return total;
}

interface Scenario {
  caches: number;
  viewers: number;
  seconds: number;
  perCache: Array<{ viewers: number; cpuPctOfCore: number; egressMbitPerS: number; hitRatio: number }>;
  /** Viewers kept up, from the segments fetched (segments/s × segment length). */
  viewersServed: number;
  viewersPerCacheCore: number;
  viewerMbitPerS: number;
  viewersPer10GbitEgress: number;
  origin: { requestsPerS: number; playlistRequestsPerS: number; segmentRequestsPerS: number; cpuPctOfCore: number };
  viewersSeen: { playlistsPerS: number; segmentsPerS: number; errors: number; lateReloads: number; segmentP50Ms: number; segmentP99Ms: number };
  loadGeneratorCpuPctOfCore: number;
}

async function scenario(originHost: string, originPid: number, siteOrigin: string, caches: number, segmentBytes: number): Promise<Scenario> {
  const nodes: HlsCacheProcess[] = [];
  for (let i = 0; i < caches; i++) nodes.push(await startHlsCache({ origins: [originHost], secret: SECRET, siteOrigin, workers: 1 }));
  try {
    const agent = new http.Agent({ keepAlive: true, maxSockets: VIEWERS * 2 });
    const stats: ViewerStats = { playlists: 0, segments: 0, bytes: 0, errors: 0, late: 0, segmentMs: [] };
    const start = Date.now();
    const measureFrom = start + WARMUP_S * 1000;
    const until = measureFrom + SECONDS * 1000;
    const counting = (): boolean => Date.now() >= measureFrom;
    let before: { cache: number[]; origin: number; gen: NodeJS.CpuUsage; logLines: number[] } | null = null;
    const sampler = setTimeout(() => {
      before = { cache: nodes.map((n) => treeCpuSeconds(n.pid)), origin: cpuSeconds(originPid), gen: process.cpuUsage(), logLines: nodes.map((n) => n.log().length) };
    }, WARMUP_S * 1000);
    await Promise.all(
      Array.from({ length: VIEWERS }, (_, i) => {
        const node = nodes[i % caches]!;
        const links = new HlsLinks({ secret: SECRET, ttlS: 900, baseUrl: node.url });
        return viewer(agent, new URL(links.url(MEETING, { kind: 'rec', recordingId: REC }, 'index.m3u8', start + i * 1000)), until, counting, stats);
      }),
    );
    clearTimeout(sampler);
    const elapsed = (Date.now() - measureFrom) / 1000;
    const b = before!;
    const cacheCpu = nodes.map((n, i) => treeCpuSeconds(n.pid) - b.cache[i]!);
    const originCpu = cpuSeconds(originPid) - b.origin;
    const gen = process.cpuUsage(b.gen);
    agent.destroy();
    const lines = nodes.map((n, i) => n.log().slice(b.logLines[i]!));
    const toOrigin = lines.flat().filter((l) => l.origin !== '-');
    const perCache = nodes.map((_, i) => {
      const served = lines[i]!;
      const bytesOut = stats.bytes / caches;
      return {
        viewers: Math.round(VIEWERS / caches),
        cpuPctOfCore: +((100 * cacheCpu[i]!) / elapsed).toFixed(1),
        egressMbitPerS: +((bytesOut * 8) / elapsed / 1e6).toFixed(1),
        hitRatio: +(served.filter((l) => l.cache === 'HIT' || l.cache === 'UPDATING' || l.cache === 'STALE').length / Math.max(1, served.length)).toFixed(4),
      };
    });
    // Viewers served, counted by what they fetched (a viewer that fell behind fetched fewer):
    // one segment per viewer per segment length.
    const served = (stats.segments / elapsed) * SEGMENT_S;
    const cpuPerViewer = perCache.reduce((s, c) => s + c.cpuPctOfCore, 0) / 100 / served;
    // The stream's own rate (segments' bytes over their length), what a viewer who keeps up draws.
    const viewerMbit = (segmentBytes * 8) / SEGMENT_S / 1e6;
    stats.segmentMs.sort((x, y) => x - y);
    return {
      caches,
      viewers: VIEWERS,
      seconds: +elapsed.toFixed(1),
      perCache,
      viewersServed: Math.round(served),
      viewersPerCacheCore: Math.round(1 / cpuPerViewer),
      viewerMbitPerS: +viewerMbit.toFixed(3),
      viewersPer10GbitEgress: Math.round(10_000 / viewerMbit),
      origin: {
        requestsPerS: +(toOrigin.length / elapsed).toFixed(2),
        playlistRequestsPerS: +(toOrigin.filter((l) => l.path.endsWith('.m3u8')).length / elapsed).toFixed(2),
        segmentRequestsPerS: +(toOrigin.filter((l) => l.path.endsWith('.ts')).length / elapsed).toFixed(2),
        cpuPctOfCore: +((100 * originCpu) / elapsed).toFixed(1),
      },
      viewersSeen: {
        playlistsPerS: Math.round(stats.playlists / elapsed),
        segmentsPerS: Math.round(stats.segments / elapsed),
        errors: stats.errors,
        lateReloads: stats.late,
        segmentP50Ms: +percentile(stats.segmentMs, 50).toFixed(1),
        segmentP99Ms: +percentile(stats.segmentMs, 99).toFixed(1),
      },
      loadGeneratorCpuPctOfCore: +((100 * (gen.user + gen.system)) / 1e6 / elapsed).toFixed(0),
    };
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-bench-hlscache-'));
  const poolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-bench-hlscache-pool-'));
  writeRecording(poolDir, MEETING, REC, 20);
  const poolFolder = path.join(poolDir, MEETING, REC);
  const pool = fs.readdirSync(poolFolder).filter((f) => f.endsWith('.ts')).sort().map((f) => fs.readFileSync(path.join(poolFolder, f)));
  const folder = path.join(dir, MEETING, REC);
  fs.mkdirSync(folder, { recursive: true });
  fs.copyFileSync(path.join(poolFolder, 'recording.json'), path.join(folder, 'recording.json'));
  const live = new FakeLive(folder, pool);
  const segmentBytes = Math.round(pool.reduce((s, b) => s + b.length, 0) / pool.length);
  const redis = await startRedis();
  const origin = await startSignalingNode(redis.url, 'hls-cache-origin', {
    HOINGHI_SFU: 'local', HOINGHI_WORKERS: '1', HOINGHI_RTC_BASE_PORT: '0', HOINGHI_JWT_SECRET: BENCH_SECRET,
    HOINGHI_RECORDING_MIN_FREE_MB: '1', HOINGHI_LIVE_HLS: 'off', HOINGHI_RECORDINGS_DIR: dir, HOINGHI_HLS_LINK_SECRET: SECRET,
  });
  try {
    const results: Scenario[] = [];
    for (const caches of [1, 2]) {
      const r = await scenario(new URL(origin.url).host, origin.child.pid!, origin.url, caches, segmentBytes);
      results.push(r);
      const c = r.perCache.map((p) => `${p.cpuPctOfCore}% of a core, ${p.egressMbitPerS} Mbit/s, hits ${(100 * p.hitRatio).toFixed(1)}%`).join('; ');
      console.log(`hls-cache: ${caches} cache(s), ${r.viewers} live viewers over ${r.seconds} s: per cache ${c}`);
      console.log(`hls-cache:   ${r.viewersServed} viewers kept up; ≈ ${r.viewersPerCacheCore} viewers per cache core; the stream is ${r.viewerMbitPerS} Mbit/s ⇒ ≈ ${r.viewersPer10GbitEgress} viewers per 10 Gbit/s of egress`);
      console.log(`hls-cache:   origin ${r.origin.requestsPerS} req/s (playlist ${r.origin.playlistRequestsPerS}, segments ${r.origin.segmentRequestsPerS}), ${r.origin.cpuPctOfCore}% of a core`);
      console.log(`hls-cache:   viewers saw ${r.viewersSeen.playlistsPerS} playlists/s, ${r.viewersSeen.segmentsPerS} segments/s, ${r.viewersSeen.errors} errors, ${r.viewersSeen.lateReloads} late reloads, segment p50 ${r.viewersSeen.segmentP50Ms} ms p99 ${r.viewersSeen.segmentP99Ms} ms; load generator ${r.loadGeneratorCpuPctOfCore}% of a core`);
    }
    const file = writeResult('hls-cache', {
      at: new Date().toISOString(),
      machine: machine(),
      command: `node --import tsx load-tests/hlsCache.ts ${VIEWERS} ${SECONDS}`,
      setup:
        'one origin (signaling node, own process, over Redis) with a live-like folder (a 2 s segment added every 2 s, sliding 6-segment playlist); ' +
        'N nginx caches (deploy/nginx/hls-cache.conf, 1 worker each) on loopback; viewers are HTTP clients in this process at hls.js live pace; all on the same 2 shared cores',
      network: 'loopback (harness/netns.ts was not on main when this ran)',
      segmentBytes,
      scenarios: results,
    });
    console.log(`hls-cache: wrote ${file}`);
  } finally {
    live.stop();
    await origin.stop();
    await redis.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(poolDir, { recursive: true, force: true });
  }
}

runBenchmark(main);
