/**
 * End-to-end in Debian's Chromium: a teacher whom WebRTC cannot reach plays the live HLS through
 * the HLS cache tier (a real nginx with the shipped deploy/nginx/hls-cache.conf, on its own port:
 * another origin than the page's). The page asks for the playlist with its token once; hls.js then
 * follows the signed link to the cache, with no token, and every media request is served there.
 * Success is read from the video element (its clock advances, frames are presented), from the
 * page's own resource timing (the segments' bytes came from the cache's origin) and from the
 * cache's log (it served them; the origin was asked for each segment at most once).
 */
import { webRtcBlockedContext } from '../helpers/webRtcBlocked';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { freePort } from '../../harness/cluster';
import { startHlsCache, type HlsCacheProcess } from '../../harness/hlsCache';
import { closeAll, launchChromium, openAs, signIn, waitFor } from '../../harness/browser';
import { plays } from '../../harness/videoPlayback';
import { openMeetingNow } from '../helpers/openMeeting';

const SECRET = 'e2e-hls-link-secret-0123456789abcdef';

let server: HoinghiServer;
let cache: HlsCacheProcess;
let browser: Browser;
const contexts: BrowserContext[] = [];
let dir: string;
let teachers: Page[] = [];
let meetingId = '';

/** The page's requests to the cache, from its resource timing. */
function cacheRequests(page: Page): Promise<Array<{ name: string; bytes: number }>> {
  return page.evaluate(
    (origin) =>
      performance
        .getEntriesByType('resource')
        .filter((e) => e.name.startsWith(`${origin}/hls/`))
        .map((e) => ({ name: e.name, bytes: (e as PerformanceResourceTiming).encodedBodySize })),
    cache.url,
  );
}

/** A teacher's page on which WebRTC cannot start (as in hls.test.ts), in the meeting. */
async function blockedTeacher(account: string): Promise<Page> {
  const blocked = await webRtcBlockedContext(browser, contexts);
  const page = await blocked.newPage();
  await signIn(page, server.url, account);
  await page.goto(`${server.url}/m/${meetingId}`);
  return page;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-e2e-hlscache-'));
  const cachePort = await freePort();
  server = await startServer({
    HOINGHI_WORKERS: '1',
    HOINGHI_DATA_DIR: 'memory://',
    HOINGHI_DEMO_SCHOOLS: '68',
    HOINGHI_DEMO_TEACHERS: '200',
    HOINGHI_RECORDINGS_DIR: dir,
    HOINGHI_RECORDING_MIN_FREE_MB: '1',
    HOINGHI_HLS_LINK_SECRET: SECRET,
    HOINGHI_HLS_CACHE_URL: `http://127.0.0.1:${cachePort}`,
    // The shortest allowed: the test sees the page renew its link before it expires.
    HOINGHI_HLS_LINK_TTL_S: '60',
  });
  cache = await startHlsCache({ origins: [new URL(server.url).host], secret: SECRET, siteOrigin: server.url, port: cachePort });
  meetingId = await openMeetingNow(server, 'Họp giáo viên Hà Nội', { kind: 'provinces', provinces: ['01'] });

  browser = await launchChromium();
  const host = await openAs(browser, contexts, server.url, 'bo-truong');
  await host.goto(`${server.url}/m/${meetingId}`);
  await host.waitForSelector('button[data-control="camera"]', { timeout: 20_000 });
  await host.click('button[data-control="camera"]');
  await host.click('button[data-control="mic"]');
  await host.waitForSelector('button[data-control="camera"][data-on="true"]');
  teachers = [await blockedTeacher('gv-hn-1'), await blockedTeacher('gv-hn-2')];
}, 180_000);

afterAll(async () => {
  await closeAll(contexts, browser, server);
  await cache?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the live HLS through the cache tier', () => {
  it('plays in two teachers\' pages: the video clock advances, frames are shown, and the segments came from the cache', async () => {
    for (const [i, page] of teachers.entries()) {
      await page.waitForSelector('[data-testid="hls-fallback"][data-reason="blocked"]', { timeout: 30_000 });
      await plays(page, 'video[data-testid="hls-live"]', `teacher ${i + 1}`);
    }
    for (const page of teachers) {
      const fromCache = await waitFor(() => cacheRequests(page), (r) => r.filter((e) => e.name.endsWith('.ts')).length >= 2, 30_000, 'segments from the cache');
      const segments = fromCache.filter((e) => e.name.endsWith('.ts'));
      // Bytes of video, readable because the cache allows this site its timing (Timing-Allow-Origin).
      expect(segments.every((s) => s.bytes > 10_000)).toBe(true);
      expect(fromCache.some((e) => e.name.endsWith('/index.m3u8'))).toBe(true);
      // The cross-origin requests passed the page's CSP.
      expect(await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations)).toEqual([]);
    }
  });

  it('served every media request at the cache, and asked the origin for each segment at most once', () => {
    const lines = cache.log();
    const segments = lines.filter((l) => l.path.endsWith('.ts') && l.status === 200);
    expect(segments.length).toBeGreaterThanOrEqual(4);
    const toOrigin = new Map<string, number>();
    for (const l of segments.filter((s) => s.origin !== '-')) {
      const file = l.path.split('/').pop()!;
      toOrigin.set(file, (toOrigin.get(file) ?? 0) + 1);
    }
    expect([...toOrigin.values()].every((n) => n === 1)).toBe(true);
    // Two viewers, one origin request per segment: the second viewer's copies were hits.
    expect(segments.some((s) => s.cache === 'HIT')).toBe(true);
    // No link was refused (a playlist may answer 503 while the stream starts).
    expect(lines.filter((l) => l.status === 401 || l.status === 403)).toEqual([]);
  });
});

describe('a signed link that expires', () => {
  it('is renewed by the page before it expires: playback goes on past the first link\'s expiry, no request refused', async () => {
    const expiries = (): number[] => [...new Set(cache.log().map((l) => /^\/hls\/([0-9]+)\//.exec(l.path)?.[1]).filter((e): e is string => e !== undefined).map(Number))].sort();
    const first = expiries()[0]!;
    // Wait until the first link has expired, and media was fetched with a later one since.
    await waitFor(
      async () => ({ now: Date.now(), seen: cache.log().filter((l) => l.path.endsWith('.ts') && Number(/^\/hls\/([0-9]+)\//.exec(l.path)?.[1]) > first) }),
      (v) => v.now > first * 1000 + 4_000 && v.seen.length >= 2,
      150_000,
      'segments fetched with a renewed link after the first expired',
    );
    expect(expiries().length).toBeGreaterThanOrEqual(2);
    // Renewed ahead of time: the cache refused nothing, the pages never fell back to a reload.
    expect(cache.log().filter((l) => l.status === 401 || l.status === 403)).toEqual([]);
    for (const [i, page] of teachers.entries()) await plays(page, 'video[data-testid="hls-live"]', `teacher ${i + 1} after renewal`);
  }, 200_000);
});
