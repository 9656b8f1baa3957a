/**
 * HLS requests per second one signaling node serves for one meeting: the playlist (a live
 * playlist is fetched by every player every segment) and 2-second segments, each request with
 * its Bearer token verified and the meeting's audience checked, over keep-alive connections.
 *
 * The node runs in its own process (signaling/main.ts) with a recording folder prepared by
 * ffmpeg (testsrc2 H.264 ~1 Mbps + AAC, 2 s MPEG-TS segments, the recorder's own settings);
 * this process is the load generator (Node's http client), and shares the 2 cores with it.
 *
 * Usage: node --import tsx load-tests/hlsServe.ts [seconds=8] [concurrency=64]
 * Writes load-tests/results/hls-serve.json.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { BENCH_SECRET, botToken, cpuSeconds, machine, percentile, runBenchmark, startNode, writeResult } from './lib';

const SECONDS = Number(process.argv[2] ?? 8);
const CONCURRENCY = Number(process.argv[3] ?? 64);
const MEETING = 'bench-hls';
const RECORDING = '20260101T000000-main-0123456789abcdef01234567';

function prepare(dir: string): void {
  const rec = path.join(dir, MEETING, RECORDING);
  fs.mkdirSync(rec, { recursive: true });
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '20',
    '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '1000k', '-force_key_frames', 'expr:gte(t,n_forced*2)',
    '-c:a', 'aac', '-b:a', '96k',
    '-f', 'hls', '-hls_time', '2', '-hls_list_size', '0', '-hls_playlist_type', 'event', '-hls_segment_filename', 'r0-%05d.ts', 'index.m3u8',
  ], { cwd: rec });
  fs.writeFileSync(path.join(rec, 'recording.json'), JSON.stringify({ id: RECORDING, meetingId: MEETING, sessionKey: 'main', startedBy: 'bench', startedAt: Date.now() - 30_000, endedAt: Date.now(), stopReason: 'host', durationS: 20, gaps: [] }));
}

interface Run {
  requests: number;
  perSecond: number;
  mbytesPerSecond: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  nodeCpuPctOfCore: number;
}

async function hammer(base: string, file: string, token: string, pid: number): Promise<Run> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const url = new URL(`${base}/api/meetings/${MEETING}/recordings/${RECORDING}/${file}`);
  let requests = 0;
  let errors = 0;
  let bytes = 0;
  const latencies: number[] = [];
  const end = Date.now() + SECONDS * 1000;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const req = http.get(url, { agent, headers: { Authorization: `Bearer ${token}` } }, (res) => {
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => {
          if (res.statusCode === 200) requests += 1;
          else errors += 1;
          latencies.push(performance.now() - t0);
          resolve();
        });
      });
      req.on('error', () => {
        errors += 1;
        resolve();
      });
    });
  const c0 = cpuSeconds(pid);
  const t0 = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < end) await one();
  }));
  const elapsed = (Date.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - c0;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests,
    perSecond: Math.round(requests / elapsed),
    mbytesPerSecond: +(bytes / elapsed / 1e6).toFixed(1),
    errors,
    p50Ms: +percentile(latencies, 50).toFixed(1),
    p99Ms: +percentile(latencies, 99).toFixed(1),
    nodeCpuPctOfCore: +((100 * cpu) / elapsed).toFixed(0),
  };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-bench-hls-'));
  prepare(dir);
  const node = await startNode({
    HOINGHI_PORT: '0', HOINGHI_WORKERS: '1', HOINGHI_RTC_BASE_PORT: '0', HOINGHI_JWT_SECRET: BENCH_SECRET,
    HOINGHI_RECORDINGS_DIR: dir, HOINGHI_RECORDING_MIN_FREE_MB: '1',
  });
  try {
    const token = botToken(MEETING, 'bench-viewer', 'teacher', null);
    const playlist = await hammer(node.url, 'index.m3u8', token, node.child.pid!);
    console.log(`hls-serve: playlist: ${playlist.perSecond} req/s (p50 ${playlist.p50Ms} ms, p99 ${playlist.p99Ms} ms), node ${playlist.nodeCpuPctOfCore}% of a core, ${playlist.errors} errors`);
    const segment = fs.readdirSync(path.join(dir, MEETING, RECORDING)).find((f) => f.endsWith('.ts'))!;
    const seg = await hammer(node.url, segment, token, node.child.pid!);
    console.log(`hls-serve: 2 s segment (${(fs.statSync(path.join(dir, MEETING, RECORDING, segment)).size / 1024).toFixed(0)} KiB): ${seg.perSecond} req/s, ${seg.mbytesPerSecond} MB/s (p50 ${seg.p50Ms} ms, p99 ${seg.p99Ms} ms), node ${seg.nodeCpuPctOfCore}% of a core, ${seg.errors} errors`);
    // Viewers one node carries from origin (no CDN): each fetches one playlist and one segment per 2 s.
    const viewers = Math.round(1 / (0.5 / playlist.perSecond + 0.5 / seg.perSecond));
    console.log(`hls-serve: ≈ ${viewers} live viewers per node without a CDN (1 playlist + 1 segment per viewer per 2 s)`);
    const file = writeResult('hls-serve', {
      at: new Date().toISOString(),
      machine: machine(),
      seconds: SECONDS,
      concurrency: CONCURRENCY,
      playlist,
      segment: { file: segment, bytes: fs.statSync(path.join(dir, MEETING, RECORDING, segment)).size, ...seg },
      liveViewersPerNodeWithoutCdn: viewers,
    });
    console.log(`hls-serve: wrote ${file}`);
  } finally {
    await node.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

runBenchmark(main);
