/**
 * The delayed stream (live HLS) without anyone recording, with real parts: mediasoup, a host
 * stream of real media (ffmpeg looping a VP8 + Opus clip into plain-RTP producers the meeting
 * knows as the host's), Debian's ffmpeg writing HLS, ffprobe reading it, and Redis for the
 * cluster part.
 *
 * One node: teachers ask with `watchLive`; the first starts it, the rest share it; nobody asking
 * stops it. Two signaling nodes over Redis and one SFU: a stream made on one node is played
 * through the other (the request is passed to the origin), a recording made on one is listed and
 * played through the other, and when the origin goes, the next teacher's node takes over.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSfu } from '../../sfu/LocalSfu';
import { HoinghiServer } from '../../signaling/server';
import type { LiveRecording } from '../../signaling/protocol/events';
import { playlistSegments } from '../../signaling/recording/Recorder';
import { waitFor } from '../../harness/browser';
import { startRedis, type RedisProcess } from '../../harness/cluster';
import { hostOnAir as publishOnAir } from '../helpers/onAir';
import type { RtpSource } from '../../harness/rtpSource';
import { MEETING, call, connectClient, next, request, testConfig, tokenFor, type TestSocket } from '../../harness/server';

const sockets: TestSocket[] = [];
const servers: HoinghiServer[] = [];
const sources: RtpSource[] = [];
const dirs: string[] = [];

const tmp = (name: string): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `hoinghi-live-${name}-`));
  dirs.push(d);
  return d;
};

/** The host's camera and microphone: real media from the clip, known to the meeting as the host's. */
async function hostOnAir(server: HoinghiServer, sfu: LocalSfu, hostId: string): Promise<RtpSource> {
  const source = await publishOnAir(server, sfu, hostId);
  sources.push(source);
  return source;
}

async function node(sfu: LocalSfu, env: Record<string, string>): Promise<HoinghiServer> {
  const server = await HoinghiServer.create(
    testConfig({ HOINGHI_RECORDING_MIN_FREE_MB: '1', HOINGHI_HLS_SEGMENT_S: '1', ...env }),
    sfu,
  );
  servers.push(server);
  return server;
}

async function joined(server: HoinghiServer, role: 'host' | 'teacher', claims: { sub: string; province?: string; meetings?: string[] }): Promise<TestSocket> {
  const socket = await connectClient(server, tokenFor(server, { role, ...claims }));
  sockets.push(socket);
  if (!claims.meetings) await call(socket, 'join', { meetingId: MEETING });
  return socket;
}

const get = (base: string, url: string, token?: string): Promise<Response> =>
  fetch(`${base}${url}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });

/** The playlist once it lists segments (503 while the stream starts). */
async function playlist(base: string, url: string, token: string): Promise<string> {
  const res = await waitFor(
    async () => {
      const r = await get(base, url, token);
      return { status: r.status, text: await r.text(), retryAfter: r.headers.get('retry-after') };
    },
    (r) => r.status === 200 && playlistSegments(r.text).length >= 2,
    90_000,
    `live playlist ${url}`,
  );
  return res.text;
}

/** The node's `hoinghi_hls_proxied_total`, read from its /metrics. */
/** A GET with the request target exactly as given (fetch would make it a path). */
function rawGet(base: string, target: string, token: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, method: 'GET', path: target, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

async function proxiedTotal(server: HoinghiServer): Promise<number> {
  const body = await (await fetch(server.metricsUrl)).text();
  return Number(/^hoinghi_hls_proxied_total (\S+)$/m.exec(body)?.[1]);
}

function probe(file: string): { codec_type: string; codec_name: string }[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name', '-of', 'json', file]).toString();
  return (JSON.parse(out) as { streams: { codec_type: string; codec_name: string }[] }).streams;
}

afterAll(async () => {
  for (const s of sockets) s.close();
  for (const s of sources) s.stop();
  for (const s of servers) await s.close().catch(() => undefined);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('one node', () => {
  let sfu: LocalSfu;
  let server: HoinghiServer;
  let teacher: TestSocket;
  let hostSocket: TestSocket;
  let path1 = '';

  beforeAll(async () => {
    sfu = await LocalSfu.create(testConfig().sfu);
    server = await node(sfu, { HOINGHI_RECORDINGS_DIR: tmp('one'), HOINGHI_LIVE_HLS_IDLE_S: '5' });
  }, 60_000);

  afterAll(async () => {
    await server.close();
    await sfu.close();
  });

  it('tells a teacher who asks before anything is on air that nothing is, and runs no ffmpeg', async () => {
    hostSocket = await joined(server, 'host', { sub: 'live-host' });
    teacher = await joined(server, 'teacher', { sub: 'live-t1', province: '01' });
    const res = await request(teacher, 'watchLive', {});
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.code).toBe('conflict');
    expect(server.live.stats().active).toBe(0);
  });

  it('gives a teacher the delayed stream though nobody records: a playlist of segments ffprobe reads as H.264 and AAC', async () => {
    await hostOnAir(server, sfu, 'live-host');
    const watch = await call(teacher, 'watchLive', {});
    expect(watch.sessionKey).toBe('main');
    path1 = watch.path;
    const token = tokenFor(server, { role: 'teacher', sub: 'live-t1', province: '01' });
    const text = await playlist(server.url, path1, token);
    const segments = playlistSegments(text);
    // A sliding live window (no EVENT type, no end), with the wall clock for measuring the delay.
    expect(text).not.toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
    expect(text).not.toContain('#EXT-X-ENDLIST');
    expect(text).toContain('#EXT-X-PROGRAM-DATE-TIME');
    const seg = await get(server.url, path1.replace('index.m3u8', segments.at(-1)!.file), token);
    expect(seg.status).toBe(200);
    expect(seg.headers.get('cache-control')).toContain('immutable');
    const file = path.join(tmp('seg'), 'seg.ts');
    fs.writeFileSync(file, Buffer.from(await seg.arrayBuffer()));
    const streams = probe(file);
    expect(streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort()).toEqual(['audio:aac', 'video:h264']);
    // Nobody recorded anything.
    expect(server.recordings.stats().active).toBe(0);
    const list = await get(server.url, `/api/meetings/${MEETING}/recordings`, token);
    expect(((await list.json()) as { recordings: unknown[] }).recordings).toEqual([]);
  });

  it('gives every other teacher the same stream: one ffmpeg per session', async () => {
    const other = await joined(server, 'teacher', { sub: 'live-t2', province: '79' });
    const watch = await call(other, 'watchLive', {});
    expect(watch.path).toBe(path1);
    expect(server.live.stats().active).toBe(1);
  });

  it('refuses the live playlist to a teacher outside the meeting (403) and to no token (401)', async () => {
    const outsider = tokenFor(server, { role: 'teacher', sub: 'live-outsider', meetings: ['another-meeting'] });
    expect((await get(server.url, path1, outsider)).status).toBe(403);
    expect((await get(server.url, path1)).status).toBe(401);
    const member = tokenFor(server, { role: 'teacher', sub: 'live-t1b' });
    for (const p of [path1.replace('index.m3u8', 'recording.json'), path1.replace('index.m3u8', 'input.sdp'), path1.replace(/\/[^/]+\/index\.m3u8$/, '/..%2F..%2Fx/index.m3u8')]) {
      const res = await get(server.url, p, member);
      expect([400, 404]).toContain(res.status);
      expect(await res.text()).not.toContain('rtpmap');
    }
  });

  it('stops once nobody has asked for the idle time, and the next teacher who asks starts a new one', async () => {
    await waitFor(async () => server.live.stats().active, (n) => n === 0, 30_000, 'the idle stream stopped');
    const watch = await call(teacher, 'watchLive', {});
    expect(watch.path).not.toBe(path1);
    expect(server.live.stats().active).toBe(1);
  });

  it('gives a teacher whose province breakout has nothing on air the national session\'s stream', async () => {
    const moved = next(teacher, 'sessionChanged');
    await call(hostSocket, 'startBreakouts', { nationalOverlay: false });
    expect((await moved).key).toBe('01');
    const watch = await call(teacher, 'watchLive', {});
    expect(watch.sessionKey).toBe('main');
    expect(watch.path).toContain('/live/main/');
    await call(hostSocket, 'endBreakouts', {});
  });
});

describe('two signaling nodes over Redis, one SFU', () => {
  let redis: RedisProcess;
  let sfu: LocalSfu;
  let a: HoinghiServer;
  let b: HoinghiServer;
  let onA: TestSocket;
  let onB: TestSocket;
  let hostA: TestSocket;
  let livePath = '';

  beforeAll(async () => {
    redis = await startRedis();
    sfu = await LocalSfu.create(testConfig().sfu);
    const env = { HOINGHI_REDIS_URL: redis.url, HOINGHI_LIVE_HLS_IDLE_S: '600' };
    // Each node its own folder, as on two machines.
    a = await node(sfu, { ...env, HOINGHI_RECORDINGS_DIR: tmp('a'), HOINGHI_NODE_ID: 'sig-a' });
    // Node b shares the SFU but must not close it when it goes (the SFU outlives a signaling node).
    const shared = new Proxy(sfu, {
      get: (target, prop) => {
        if (prop === 'close') return async () => undefined;
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    b = await node(shared, { ...env, HOINGHI_RECORDINGS_DIR: tmp('b'), HOINGHI_NODE_ID: 'sig-b' });
    hostA = await joined(a, 'host', { sub: 'cl-host' });
    onA = await joined(a, 'teacher', { sub: 'cl-ta', province: '01' });
    onB = await joined(b, 'teacher', { sub: 'cl-tb', province: '79' });
    await hostOnAir(a, sfu, 'cl-host');
    await waitFor(async () => b.sockets.registry.get(MEETING)?.published.size ?? 0, (n) => n >= 2, 10_000, 'node b knows the host is on air');
  }, 120_000);

  afterAll(async () => {
    for (const s of [a, b]) await s?.close().catch(() => undefined);
    await sfu?.close();
    await redis?.stop();
  });

  it('makes one stream for the meeting on the node first asked, and every node points its teachers to it', async () => {
    const fromB = await call(onB, 'watchLive', {});
    const fromA = await call(onA, 'watchLive', {});
    expect(fromA.path).toBe(fromB.path);
    livePath = fromB.path;
    expect(b.live.stats().active).toBe(1);
    expect(a.live.stats().active).toBe(0);
  });

  it('serves the stream through the other node: the request is passed to the origin, segments and all', async () => {
    const token = tokenFor(a, { role: 'teacher', sub: 'cl-ta', province: '01' });
    const text = await playlist(a.url, livePath, token);
    const last = playlistSegments(text).at(-1)!.file;
    const proxied0 = await proxiedTotal(a);
    const viaA = await get(a.url, livePath.replace('index.m3u8', last), token);
    const atB = await get(b.url, livePath.replace('index.m3u8', last), token);
    expect(viaA.status).toBe(200);
    expect(Buffer.from(await viaA.arrayBuffer()).equals(Buffer.from(await atB.arrayBuffer()))).toBe(true);
    expect(a.live.stats().proxied).toBeGreaterThan(0);
    // Each request passed on is counted once, on the node that passed it (the one segment via a).
    expect(await proxiedTotal(a)).toBe(proxied0 + 1);
    // The other node still checks the audience.
    const outsider = tokenFor(a, { role: 'teacher', sub: 'cl-out', meetings: ['another-meeting'] });
    expect((await get(a.url, livePath, outsider)).status).toBe(403);
  });

  it('tells a teacher joining on another node about a recording, lists it there and plays it from there', async () => {
    const started = await call(hostA, 'startRecording', {});
    const late = await connectClient(b, tokenFor(b, { role: 'teacher', sub: 'cl-late' }));
    sockets.push(late);
    const heard = next(late, 'recordings');
    await call(late, 'join', { meetingId: MEETING });
    expect(((await heard) as LiveRecording[]).map((r) => r.id)).toEqual([started.id]);

    const token = tokenFor(b, { role: 'teacher', sub: 'cl-tb', province: '79' });
    const list = (await (await get(b.url, `/api/meetings/${MEETING}/recordings`, token)).json()) as { recordings: { id: string }[] };
    expect(list.recordings.map((r) => r.id)).toContain(started.id);
    const text = await playlist(b.url, `/api/meetings/${MEETING}/recordings/${started.id}/index.m3u8`, token);
    expect(playlistSegments(text).length).toBeGreaterThanOrEqual(2);
    const proxied0 = await proxiedTotal(b);
    const segment = await get(b.url, `/api/meetings/${MEETING}/recordings/${started.id}/${playlistSegments(text)[0]!.file}`, token);
    expect(segment.status).toBe(200);
    // A recording's file passed on is counted once too, on node b.
    expect(await proxiedTotal(b)).toBe(proxied0 + 1);

    // The request line never chooses where a request is passed: an absolute-form or "//host"
    // target aimed at another host (here a trap on loopback) is refused, and the trap hears nothing.
    const trapHeard: (string | undefined)[] = [];
    const trap = http.createServer((req, res) => {
      trapHeard.push(req.headers.authorization);
      res.end('secret of another host');
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    try {
      const trapAt = `127.0.0.1:${(trap.address() as AddressInfo).port}`;
      const file = `/api/meetings/${MEETING}/recordings/${started.id}/index.m3u8`;
      for (const target of [`http://${trapAt}${file}`, `//${trapAt}${file}`]) {
        const answer = await rawGet(b.url, target, token);
        expect(answer.status, target).toBe(400);
        expect(answer.body).not.toContain('secret of another host');
      }
      expect(trapHeard).toEqual([]);
      expect(await proxiedTotal(b)).toBe(proxied0 + 1);
    } finally {
      trap.close();
    }
    await call(hostA, 'stopRecording', {});
  });

  it('lets a host connected through the other node see the recording grow, not start a second one, and stop it', async () => {
    // Found through scripts/start-cluster.sh: the minister's page reconnected through another
    // signaling process; "Dừng ghi hình" answered "this session is not being recorded", and the
    // list through that process said 0 s for the whole recording.
    const started = await call(hostA, 'startRecording', {});
    const cohost = await joined(b, 'host', { sub: 'cl-cohost' });
    const token = tokenFor(b, { role: 'host', sub: 'cl-cohost' });
    type Listed = { id: string; durationS: number; endedAt: number | null; stopReason: string | null };
    const listedAtB = async (): Promise<Listed | undefined> =>
      ((await (await get(b.url, `/api/meetings/${MEETING}/recordings`, token)).json()) as { recordings: Listed[] }).recordings.find((r) => r.id === started.id);
    await waitFor(listedAtB, (r) => r !== undefined && r.endedAt === null && r.durationS >= 2, 60_000, 'the live recording listed through node b with its duration');

    const second = await request(cohost, 'startRecording', {});
    expect(second.ok ? second.data : second.error.code).toBe('conflict');
    expect(b.recordings.stats().active).toBe(0);

    const stopped = await call(cohost, 'stopRecording', {});
    expect(stopped.id).toBe(started.id);
    expect(a.recordings.isRecording(MEETING, 'main')).toBe(false);
    const listed = await waitFor(listedAtB, (r) => r?.endedAt !== null, 10_000, 'the recording ended, listed through node b');
    expect(listed?.stopReason).toBe('host');
    // Nothing is recorded anywhere now: a stop through either node says so.
    const again = await request(cohost, 'stopRecording', {});
    expect(again.ok ? again.data : again.error.code).toBe('conflict');
    cohost.close();
  });

  it('moves the stream to the next node asked when its origin goes away', async () => {
    await b.close();
    servers.splice(servers.indexOf(b), 1);
    const again = await call(onA, 'watchLive', {});
    expect(again.path).not.toBe(livePath);
    expect(a.live.stats().active).toBe(1);
    const token = tokenFor(a, { role: 'teacher', sub: 'cl-ta', province: '01' });
    await playlist(a.url, again.path, token);
  });
});

describe('HOINGHI_LIVE_HLS set to always, or off', () => {
  let sfu: LocalSfu;

  beforeAll(async () => {
    sfu = await LocalSfu.create(testConfig().sfu);
  }, 60_000);

  afterAll(async () => {
    for (const s of servers.splice(0)) await s.close().catch(() => undefined);
    await sfu?.close();
  });

  it('always: starts the stream when the host goes on air, before any teacher asks', async () => {
    const server = await node(sfu, { HOINGHI_RECORDINGS_DIR: tmp('always'), HOINGHI_LIVE_HLS: 'always' });
    await joined(server, 'host', { sub: 'always-host' });
    expect(server.live.stats().active).toBe(0);
    await hostOnAir(server, sfu, 'always-host');
    await waitFor(async () => server.live.stats().active, (n) => n === 1, 30_000, 'the stream started by itself');
    const teacher = await joined(server, 'teacher', { sub: 'always-t' });
    const watch = await call(teacher, 'watchLive', {});
    expect(watch.sessionKey).toBe('main');
    expect(server.live.stats().active).toBe(1);
  });

  it('off: refuses with unavailable and no retry time, and runs nothing', async () => {
    const server = await node(sfu, { HOINGHI_RECORDINGS_DIR: tmp('off'), HOINGHI_LIVE_HLS: 'off' });
    const teacher = await joined(server, 'teacher', { sub: 'off-t' });
    const res = await request(teacher, 'watchLive', {});
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error.code).toBe('unavailable');
      expect(res.error.retryAfterMs).toBeUndefined();
    }
    expect(server.live.stats().active).toBe(0);
  });
});
