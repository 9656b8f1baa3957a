/**
 * HLS requests per second a signaling node serves for one meeting: the playlist (a live
 * playlist is fetched by every player every segment) and 2-second segments, each request with
 * its Bearer token verified and the meeting's audience checked, over keep-alive connections;
 * (a) from the node that has the files, and (b) through a second node that does not have them
 * and passes each request to the first (routes.ts + proxy.ts: the HLS index in Redis says which
 * node has the recording; the first node checks the audience again).
 *
 * Two signaling nodes in their own processes (signaling/main.ts) over one redis-server, each
 * with its own recording folder; node A's holds a recording prepared by ffmpeg (testsrc2 H.264
 * ~1 Mbps + AAC, 2 s MPEG-TS segments, the recorder's own settings). A node indexes a recording
 * only when it makes one (that needs a host's media), so this benchmark writes the recording's
 * entry into the index itself, exactly as RedisHlsIndex.putRecording would (`hn:hls:rec:<meeting>`).
 * This process is the load generator (Node's http client), and shares the 2 cores with both.
 *
 * Usage: node --import tsx load-tests/hlsServe.ts [seconds=8] [concurrency=64]
 * Writes load-tests/results/hls-serve.json.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import type { IndexedRecording } from '../signaling/recording/hlsIndex';
import type { RecordingInfo } from '../signaling/recording/recordingTypes';
import { startRedis } from '../harness/cluster';
import { startSignalingNode } from '../harness/signaling';
import { BENCH_SECRET, botToken, cpuSeconds, machine, percentile, runBenchmark, writeResult } from './lib';

const SECONDS = Number(process.argv[2] ?? 8);
const CONCURRENCY = Number(process.argv[3] ?? 64);
const MEETING = 'bench-hls';
const RECORDING = '20260101T000000-main-0123456789abcdef01234567';

function prepare(dir: string): RecordingInfo {
  const rec = path.join(dir, MEETING, RECORDING);
  fs.mkdirSync(rec, { recursive: true });
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '20',
    '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '1000k', '-force_key_frames', 'expr:gte(t,n_forced*2)',
    '-c:a', 'aac', '-b:a', '96k',
    '-f', 'hls', '-hls_time', '2', '-hls_list_size', '0', '-hls_playlist_type', 'event', '-hls_segment_filename', 'r0-%05d.ts', 'index.m3u8',
  ], { cwd: rec });
  const info: RecordingInfo = {
    id: RECORDING, meetingId: MEETING, sessionKey: 'main', startedBy: 'bench', startedAt: Date.now() - 30_000, endedAt: Date.now(),
    stopReason: 'host', durationS: 20, gaps: [], sent: { audioPackets: 0, videoPackets: 0, bytes: 0 },
  };
  fs.writeFileSync(path.join(rec, 'recording.json'), JSON.stringify(info));
  return info;
}

interface Run {
  requests: number;
  perSecond: number;
  mbytesPerSecond: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  /** The node the requests are sent to. */
  nodeCpuPctOfCore: number;
  /** The node that has the files, when the requests are sent to the other one. */
  originCpuPctOfCore?: number;
  /** This process (the load generator), on the same cores. */
  loadGeneratorCpuPctOfCore: number;
}

async function hammer(base: string, file: string, token: string, pid: number, originPid?: number): Promise<Run> {
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
  const o0 = originPid === undefined ? 0 : cpuSeconds(originPid);
  const g0 = process.cpuUsage();
  const t0 = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < end) await one();
  }));
  const elapsed = (Date.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - c0;
  const originCpu = originPid === undefined ? 0 : cpuSeconds(originPid) - o0;
  const g = process.cpuUsage(g0);
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
    ...(originPid === undefined ? {} : { originCpuPctOfCore: +((100 * originCpu) / elapsed).toFixed(0) }),
    loadGeneratorCpuPctOfCore: +((100 * (g.user + g.system)) / 1e6 / elapsed).toFixed(0),
  };
}

const ratio = (proxied: number, direct: number): number => +(proxied / direct).toFixed(2);
/** CPU milliseconds per request served (a figure less dependent on what else shares the cores). */
const perRequest = (pctOfCore: number | undefined, r: Run): number => +((10 * (pctOfCore ?? 0)) / r.perSecond).toFixed(2);

async function main(): Promise<void> {
  const dirA = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-bench-hls-a-'));
  const dirB = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-bench-hls-b-'));
  const info = prepare(dirA);
  const redis = await startRedis();
  const env = {
    HOINGHI_SFU: 'local', HOINGHI_WORKERS: '1', HOINGHI_RTC_BASE_PORT: '0', HOINGHI_JWT_SECRET: BENCH_SECRET,
    HOINGHI_RECORDING_MIN_FREE_MB: '1', HOINGHI_LIVE_HLS: 'off',
  };
  const a = await startSignalingNode(redis.url, 'hls-bench-a', { ...env, HOINGHI_RECORDINGS_DIR: dirA });
  const b = await startSignalingNode(redis.url, 'hls-bench-b', { ...env, HOINGHI_RECORDINGS_DIR: dirB });
  const client = createClient({ url: redis.url });
  client.on('error', () => undefined);
  try {
    await client.connect();
    // What node A's RecordingManager would have indexed had it made the recording.
    const entry: IndexedRecording = { node: { id: a.nodeId, url: a.url }, info };
    await client.hSet(`hn:hls:rec:${MEETING}`, RECORDING, JSON.stringify(entry));
    const token = botToken(MEETING, 'bench-viewer', 'teacher', null);
    const segment = fs.readdirSync(path.join(dirA, MEETING, RECORDING)).find((f) => f.endsWith('.ts'))!;
    const bytes = fs.statSync(path.join(dirA, MEETING, RECORDING, segment)).size;
    // Node B must not have the files, and must answer with A's bytes.
    if (fs.existsSync(path.join(dirB, MEETING, RECORDING))) throw new Error('node B has the recording: nothing would be proxied');
    for (const file of ['index.m3u8', segment]) {
      const [direct, via] = await Promise.all([a.url, b.url].map((base) => fetch(`${base}/api/meetings/${MEETING}/recordings/${RECORDING}/${file}`, { headers: { Authorization: `Bearer ${token}` } })));
      const [d, v] = await Promise.all([direct!.arrayBuffer(), via!.arrayBuffer()]);
      if (direct!.status !== 200 || via!.status !== 200 || !Buffer.from(d).equals(Buffer.from(v))) {
        throw new Error(`${file}: node A answered ${direct!.status}, node B ${via!.status}; the bodies ${Buffer.from(d).equals(Buffer.from(v)) ? 'match' : 'differ'}`);
      }
    }
    const pidA = a.child.pid!;
    const pidB = b.child.pid!;
    const line = (what: string, r: Run): string =>
      `${r.perSecond} req/s${r.mbytesPerSecond >= 1 ? `, ${r.mbytesPerSecond} MB/s` : ''} (p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms), ${what} ${r.nodeCpuPctOfCore}% of a core` +
      `${r.originCpuPctOfCore === undefined ? '' : `, node A ${r.originCpuPctOfCore}%`}, load generator ${r.loadGeneratorCpuPctOfCore}%, ${r.errors} errors`;

    const playlist = await hammer(a.url, 'index.m3u8', token, pidA);
    console.log(`hls-serve: playlist from node A (has the files): ${line('node A', playlist)}`);
    const playlistProxied = await hammer(b.url, 'index.m3u8', token, pidB, pidA);
    console.log(`hls-serve: playlist through node B (passes it to A): ${line('node B', playlistProxied)}`);
    const seg = await hammer(a.url, segment, token, pidA);
    console.log(`hls-serve: 2 s segment (${(bytes / 1024).toFixed(0)} KiB) from node A: ${line('node A', seg)}`);
    const segProxied = await hammer(b.url, segment, token, pidB, pidA);
    console.log(`hls-serve: 2 s segment through node B: ${line('node B', segProxied)}`);
    // Viewers one node carries from origin (no CDN): each fetches one playlist and one segment per 2 s.
    const viewers = Math.round(1 / (0.5 / playlist.perSecond + 0.5 / seg.perSecond));
    const viewersProxied = Math.round(1 / (0.5 / playlistProxied.perSecond + 0.5 / segProxied.perSecond));
    console.log(`hls-serve: ≈ ${viewers} live viewers per node without a CDN (1 playlist + 1 segment per viewer per 2 s); ≈ ${viewersProxied} through a node that passes requests on`);
    console.log(`hls-serve: proxied / direct: playlist ${ratio(playlistProxied.perSecond, playlist.perSecond)}, segment ${ratio(segProxied.perSecond, seg.perSecond)}`);
    const cpuMsPerRequest = {
      playlist: { direct: perRequest(playlist.nodeCpuPctOfCore, playlist), proxiedNodeB: perRequest(playlistProxied.nodeCpuPctOfCore, playlistProxied), proxiedNodeA: perRequest(playlistProxied.originCpuPctOfCore, playlistProxied) },
      segment: { direct: perRequest(seg.nodeCpuPctOfCore, seg), proxiedNodeB: perRequest(segProxied.nodeCpuPctOfCore, segProxied), proxiedNodeA: perRequest(segProxied.originCpuPctOfCore, segProxied) },
    };
    for (const [what, c] of Object.entries(cpuMsPerRequest)) {
      console.log(`hls-serve: CPU per ${what} request: ${c.direct} ms served directly; ${c.proxiedNodeB} ms on node B + ${c.proxiedNodeA} ms on node A through B`);
    }
    const file = writeResult('hls-serve', {
      at: new Date().toISOString(),
      machine: machine(),
      command: `node --import tsx load-tests/hlsServe.ts ${SECONDS} ${CONCURRENCY}`,
      seconds: SECONDS,
      concurrency: CONCURRENCY,
      setup: 'two signaling nodes (own processes) over one redis-server; node A has the recording, node B passes requests to A; the load generator on the same cores',
      playlist,
      segment: { file: segment, bytes, ...seg },
      liveViewersPerNodeWithoutCdn: viewers,
      proxied: {
        playlist: playlistProxied,
        segment: { file: segment, bytes, ...segProxied },
        liveViewersThroughANodeWithoutTheFiles: viewersProxied,
      },
      cpuMsPerRequest,
      proxiedOverDirect: {
        playlist: ratio(playlistProxied.perSecond, playlist.perSecond),
        segment: ratio(segProxied.perSecond, seg.perSecond),
      },
    });
    console.log(`hls-serve: wrote ${file}`);
  } finally {
    await client.quit().catch(() => undefined);
    await Promise.all([a.stop(), b.stop()]);
    await redis.stop();
    fs.rmSync(dirA, { recursive: true, force: true });
    fs.rmSync(dirB, { recursive: true, force: true });
  }
}

runBenchmark(main);
