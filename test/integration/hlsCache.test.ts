/**
 * The HLS cache tier: a real nginx (Debian's, the shipped deploy/nginx/hls-cache.conf) in front of
 * a signaling node that has a recording. The audience check happens once, with the token, and is
 * answered by a signed link on the cache; the cache checks every signed request itself, a cached
 * object included, so a forged, expired or other meeting's link is refused at the cache without
 * the origin ever being asked, and the audience shares one cached copy of each object.
 */
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { HlsLinks } from '../../signaling/recording/hlsLinks';
import { MEETING, startServer, tokenFor } from '../../harness/server';
import { freePort, startRedis, type RedisProcess } from '../../harness/cluster';
import { startHlsCache, type HlsCacheProcess } from '../../harness/hlsCache';
import { writeRecording } from '../../harness/hlsRecording';

const SECRET = 'test-hls-link-secret-0123456789abcdef';
const REC = '20260101T000000-main-0123456789abcdef01234567';
const OTHER_MEETING = 'other-meeting';
const OTHER_REC = '20260101T000000-main-89abcdef0123456789abcdef';
const FOLDER = { kind: 'rec', recordingId: REC } as const;

let dir: string;
let server: HoinghiServer;
let cache: HlsCacheProcess;
let links: HlsLinks;
let segment: string;

/** A GET with the path exactly as given (fetch would resolve `..` before sending). */
function rawGet(base: string, target: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: target, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The cache's access-log lines for a path ending. */
const logged = (ending: string) => cache.log().filter((l) => l.path.endsWith(ending));

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-hlscache-'));
  writeRecording(dir, MEETING, REC, 6);
  writeRecording(dir, OTHER_MEETING, OTHER_REC, 2);
  segment = fs.readdirSync(path.join(dir, MEETING, REC)).filter((f) => f.endsWith('.ts')).sort()[0]!;
  const cachePort = await freePort();
  server = await startServer({
    HOINGHI_RECORDINGS_DIR: dir,
    HOINGHI_RECORDING_MIN_FREE_MB: '1',
    HOINGHI_LIVE_HLS: 'off',
    HOINGHI_HLS_LINK_SECRET: SECRET,
    HOINGHI_HLS_CACHE_URL: `http://127.0.0.1:${cachePort}`,
  });
  cache = await startHlsCache({ origins: [new URL(server.url).host], secret: SECRET, siteOrigin: server.url, port: cachePort });
  links = new HlsLinks({ secret: SECRET, ttlS: 600, baseUrl: cache.url });
});

afterAll(async () => {
  await cache?.stop();
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the HLS cache tier', () => {
  it('answers a playlist asked for with the token by a master playlist naming a signed link on the cache', async () => {
    const res = await fetch(`${server.url}/api/meetings/${MEETING}/recordings/${REC}/index.m3u8`, { headers: { Authorization: `Bearer ${tokenFor(server, { role: 'teacher' })}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    const text = await res.text();
    expect(text).toContain('#EXT-X-STREAM-INF:');
    const media = text.split('\n').find((l) => l.startsWith('http'))!;
    expect(media).toMatch(new RegExp(`^${cache.url}/hls/[0-9]+/[A-Za-z0-9_-]{22}/${MEETING}/rec/${REC}/index\\.m3u8$`));
    // And the teacher without a token, or outside the meeting, gets no link.
    expect((await fetch(`${server.url}/api/meetings/${MEETING}/recordings/${REC}/index.m3u8`)).status).toBe(401);
    const outsider = tokenFor(server, { role: 'teacher', meetings: [OTHER_MEETING] });
    expect((await fetch(`${server.url}/api/meetings/${MEETING}/recordings/${REC}/index.m3u8`, { headers: { Authorization: `Bearer ${outsider}` } })).status).toBe(403);
  });

  it('serves the signed media playlist and its segments through the cache; a second viewer\'s link is a hit the origin never sees', async () => {
    const first = links.url(MEETING, FOLDER, 'index.m3u8');
    const playlist = await fetch(first);
    expect(playlist.status).toBe(200);
    expect(playlist.headers.get('access-control-allow-origin')).toBe(server.url);
    const text = await playlist.text();
    expect(text).toContain(segment);
    // Segments are listed by relative name: they inherit the signed prefix.
    expect(text).not.toContain('/hls/');
    const one = await fetch(new URL(segment, first));
    expect(one.status).toBe(200);
    const bytes = Buffer.from(await one.arrayBuffer());
    expect(bytes.equals(fs.readFileSync(path.join(dir, MEETING, REC, segment)))).toBe(true);
    // Another viewer, signed a second later (another expiry, another signature): the same object.
    const second = links.url(MEETING, FOLDER, segment, Date.now() + 1_000);
    expect(second).not.toBe(new URL(segment, first).href);
    const two = await fetch(second);
    expect(two.status).toBe(200);
    expect(two.headers.get('x-cache-status')).toBe('HIT');
    expect(Buffer.from(await two.arrayBuffer()).equals(bytes)).toBe(true);
    expect(logged(segment).filter((l) => l.origin !== '-')).toHaveLength(1);
  });

  it('refuses a forged signature at the cache (403) although the object is cached, without asking the origin', async () => {
    const good = new URL(links.url(MEETING, FOLDER, segment));
    await fetch(good);
    const parts = good.pathname.split('/');
    const sig = parts[3]!;
    parts[3] = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    const before = logged(segment).filter((l) => l.origin !== '-').length;
    const forged = await fetch(`${cache.url}${parts.join('/')}`);
    expect(forged.status).toBe(403);
    expect((await forged.arrayBuffer()).byteLength).toBeLessThan(1_000);
    // Signed with another key (a cache or an attacker with the wrong secret).
    const wrongKey = new HlsLinks({ secret: 'z'.repeat(40), ttlS: 600, baseUrl: cache.url });
    expect((await fetch(wrongKey.url(MEETING, FOLDER, segment))).status).toBe(403);
    expect(logged(segment).filter((l) => l.origin !== '-')).toHaveLength(before);
  });

  it('refuses an expired link at the cache (401) although the object is cached, without asking the origin', async () => {
    expect((await fetch(links.url(MEETING, FOLDER, segment))).status).toBe(200);
    const before = logged(segment).filter((l) => l.origin !== '-').length;
    const expired = await fetch(links.url(MEETING, FOLDER, segment, Date.now() - 601_000));
    expect(expired.status).toBe(401);
    expect(logged(segment).filter((l) => l.origin !== '-')).toHaveLength(before);
    // The playlist too (kept a second at the cache).
    expect((await fetch(links.url(MEETING, FOLDER, 'index.m3u8', Date.now() - 601_000))).status).toBe(401);
  });

  it("refuses another meeting's signature on this meeting's cached objects (403)", async () => {
    expect((await fetch(links.url(MEETING, FOLDER, segment))).status).toBe(200);
    // A teacher of the other meeting holds a valid link to its recording...
    const theirs = new URL(links.url(OTHER_MEETING, { kind: 'rec', recordingId: OTHER_REC }, 'index.m3u8'));
    expect((await fetch(theirs)).status).toBe(200);
    const [, , expires, sig] = theirs.pathname.split('/');
    // ...and puts its expiry and signature on this meeting's paths.
    for (const file of [segment, 'index.m3u8']) {
      expect((await fetch(`${cache.url}/hls/${expires}/${sig}/${MEETING}/rec/${REC}/${file}`)).status).toBe(403);
    }
    // Or this meeting's id on their folder.
    expect((await fetch(`${cache.url}/hls/${expires}/${sig}/${MEETING}/rec/${OTHER_REC}/index.m3u8`)).status).toBe(403);
  });

  it('refuses path traversal in the file name at the cache and at the origin, and serves nothing but playlists and segments', async () => {
    const prefix = new URL(links.url(MEETING, FOLDER, 'index.m3u8')).pathname.replace(/index\.m3u8$/, '');
    const targets = [
      `${prefix}../../../../etc/passwd`,
      `${prefix}..%2F..%2F..%2F..%2Fetc%2Fpasswd`,
      `${prefix}%2e%2e/%2e%2e/recording.json`,
      `${prefix}recording.json`,
      `${prefix}${segment}/../recording.json`,
      `${prefix}r0-00000.ts%00.json`,
    ];
    for (const t of targets) {
      const atCache = await rawGet(cache.url, t);
      expect([400, 404], `${t} at the cache`).toContain(atCache.status);
      expect(atCache.body.toString()).not.toMatch(/root:|"sessionKey"/);
      const atOrigin = await rawGet(server.url, t);
      expect([400, 404], `${t} at the origin`).toContain(atOrigin.status);
      expect(atOrigin.body.toString()).not.toMatch(/root:|"sessionKey"/);
      expect(atOrigin.headers['cache-control']).toBe('no-store');
    }
    // Nothing crashed.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${cache.url}/healthz`)).status).toBe(200);
  });

  it('checks the signature at the origin too: forged 403, expired 401, other meeting 403, never cached (no-store)', async () => {
    const good = new URL(links.url(MEETING, FOLDER, segment));
    expect((await rawGet(server.url, good.pathname)).status).toBe(200);
    const parts = good.pathname.split('/');
    parts[3] = (parts[3]![0] === 'A' ? 'B' : 'A') + parts[3]!.slice(1);
    const forged = await rawGet(server.url, parts.join('/'));
    expect(forged.status).toBe(403);
    expect(forged.headers['cache-control']).toBe('no-store');
    expect((await rawGet(server.url, new URL(links.url(MEETING, FOLDER, segment, Date.now() - 601_000)).pathname)).status).toBe(401);
    const theirs = new URL(links.url(OTHER_MEETING, { kind: 'rec', recordingId: OTHER_REC }, segment)).pathname.split('/');
    expect((await rawGet(server.url, `/hls/${theirs[2]}/${theirs[3]}/${MEETING}/rec/${REC}/${segment}`)).status).toBe(403);
  });

  it('keeps a playlist a second at the cache: many viewers asking at once reach the origin about once a second', async () => {
    const viewers = 40;
    const t0 = Date.now();
    let answered = 0;
    // Each viewer asks with its own link (its own expiry) as fast as it can, for three rounds of ~1 s.
    await Promise.all(
      Array.from({ length: viewers }, async (_, i) => {
        const url = links.url(MEETING, FOLDER, 'index.m3u8', t0 + i * 1_000);
        while (Date.now() - t0 < 3_000) {
          const res = await fetch(url);
          await res.arrayBuffer();
          if (res.status === 200) answered += 1;
        }
      }),
    );
    const seconds = (Date.now() - t0) / 1000;
    const toOrigin = logged('index.m3u8').filter((l) => l.origin !== '-' && l.status === 200).length;
    expect(answered).toBeGreaterThan(viewers);
    // A count against the time it ran: the cache holds the playlist 1 s (and the copy before it
    // while one request refreshes it), so the origin sees at most one request per second begun.
    expect(toOrigin).toBeLessThanOrEqual(Math.ceil(seconds) + 2);
    expect(toOrigin).toBeLessThan(answered);
  });
});

describe('signed links across signaling nodes', () => {
  let redis: RedisProcess;
  let a: HoinghiServer;
  let b: HoinghiServer;
  let dirA: string;
  let dirB: string;
  let behindB: HlsCacheProcess;

  beforeAll(async () => {
    redis = await startRedis();
    dirA = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-hlscache-a-'));
    dirB = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-hlscache-b-'));
    const info = writeRecording(dirA, MEETING, REC, 4);
    const env = { HOINGHI_REDIS_URL: redis.url, HOINGHI_RECORDING_MIN_FREE_MB: '1', HOINGHI_LIVE_HLS: 'off', HOINGHI_HLS_LINK_SECRET: SECRET };
    a = await startServer({ ...env, HOINGHI_RECORDINGS_DIR: dirA, HOINGHI_NODE_ID: 'hls-a' });
    b = await startServer({ ...env, HOINGHI_RECORDINGS_DIR: dirB, HOINGHI_NODE_ID: 'hls-b' });
    // What node A indexes when it makes a recording (this one was written straight to its folder).
    await a.hlsIndex.putRecording({ node: { id: 'hls-a', url: a.url }, info });
    behindB = await startHlsCache({ origins: [new URL(b.url).host], secret: SECRET, siteOrigin: b.url });
  }, 60_000);

  afterAll(async () => {
    await behindB?.stop();
    for (const s of [a, b]) await s?.close().catch(() => undefined);
    await redis?.stop();
    for (const d of [dirA, dirB]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it('passes a signed request for files it lacks to the node that has them, signature and all, and the cache in front gets the bytes', async () => {
    const signer = new HlsLinks({ secret: SECRET, ttlS: 600, baseUrl: '' });
    const file = fs.readdirSync(path.join(dirA, MEETING, REC)).filter((f) => f.endsWith('.ts')).sort()[0]!;
    const link = signer.url(MEETING, FOLDER, file);
    const proxied0 = b.live.stats().proxied;
    const viaB = await rawGet(b.url, link);
    expect(viaB.status).toBe(200);
    expect(viaB.body.equals(fs.readFileSync(path.join(dirA, MEETING, REC, file)))).toBe(true);
    expect(b.live.stats().proxied).toBe(proxied0 + 1);
    const viaCache = await rawGet(behindB.url, link);
    expect(viaCache.status).toBe(200);
    expect(viaCache.body.equals(viaB.body)).toBe(true);
  });

  it('refuses a forged signature on the node without the files before passing anything on', async () => {
    const signer = new HlsLinks({ secret: 'q'.repeat(40), ttlS: 600, baseUrl: '' });
    const proxied0 = b.live.stats().proxied;
    const res = await rawGet(b.url, signer.url(MEETING, FOLDER, 'index.m3u8'));
    expect(res.status).toBe(403);
    expect(b.live.stats().proxied).toBe(proxied0);
  });
});
