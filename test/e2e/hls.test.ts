/**
 * End-to-end in Debian's Chromium, on a node with a database (PGlite): a scheduled meeting for
 * Hà Nội; its host publishes (and records only later: the delayed stream does not need a
 * recording); a Hà Nội teacher whose page cannot make WebRTC
 * connections watches the live HLS instead, labelled with the measured delay, while the page
 * keeps trying WebRTC in the background (and hands still go over the socket); a Hồ Chí Minh City
 * teacher, outside the audience, gets 403 for the playlist from their own page; after the host
 * ends the meeting, the replay plays from the meeting's page.
 *
 * How WebRTC is blocked: an init script replaces RTCPeerConnection with a constructor that
 * throws, as a browser behind a policy that forbids it would (mediasoup-client's Device cannot
 * load). The other trigger, a transport that never connects (UDP and TCP blocked), takes the
 * same switch after WEBRTC_CONNECT_TIMEOUT_MS.
 */
import { webRtcBlockedContext } from '../helpers/webRtcBlocked';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { closeAll, launchChromium, openAs, signIn, waitFor } from '../../harness/browser';
import { playback, plays } from '../../harness/videoPlayback';
import { openMeetingNow } from '../helpers/openMeeting';

let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let dir: string;
let host: Page;
let teacher: Page;
const failedLoads: string[] = [];
let meetingId = '';

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-e2e-hls-'));
  server = await startServer({
    HOINGHI_WORKERS: '1',
    HOINGHI_DATA_DIR: 'memory://',
    HOINGHI_DEMO_SCHOOLS: '68',
    HOINGHI_DEMO_TEACHERS: '200',
    HOINGHI_RECORDINGS_DIR: dir,
    HOINGHI_RECORDING_MIN_FREE_MB: '1',
  });
  // The meeting: Hà Nội (province 01) only, open now.
  meetingId = await openMeetingNow(server, 'Họp giáo viên Hà Nội', { kind: 'provinces', provinces: ['01'] });

  browser = await launchChromium();
  host = await openAs(browser, contexts, server.url, 'bo-truong');
  await host.goto(`${server.url}/m/${meetingId}`);
  await host.waitForSelector('button[data-control="camera"]', { timeout: 20_000 }).catch(async (e: unknown) => {
    throw new Error(`${String(e)}\nPAGE ${host.url()}: ${await host.evaluate(() => document.body.innerText.slice(0, 800))}`);
  });
  await host.click('button[data-control="camera"]');
  await host.click('button[data-control="mic"]');
  await host.waitForSelector('button[data-control="camera"][data-on="true"]');

  const blocked = await webRtcBlockedContext(browser, contexts);
  teacher = await blocked.newPage();
  // Every failed load the page logs (a playlist asked for while the stream starts would be a 503).
  teacher.on('response', (r) => r.status() >= 500 && failedLoads.push(`${r.status()} ${r.url()}`));
  await signIn(teacher, server.url, 'gv-hn-1');
  await teacher.goto(`${server.url}/m/${meetingId}`);
}, 180_000);

afterAll(async () => {
  await closeAll(contexts, browser, server);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a teacher whom WebRTC cannot reach', () => {
  it('plays the live HLS, labelled with the measured delay: the video clock advances and frames are shown', async () => {
    await teacher.waitForSelector('[data-testid="hls-fallback"][data-reason="blocked"]', { timeout: 30_000 });
    await plays(teacher, 'video[data-testid="hls-live"]', 'live HLS');
    // Nobody records: the delayed stream is its own.
    expect(await teacher.$('[data-testid="recording-indicator"]')).toBeNull();
    // The page waited for the stream to be ready (watchLive's `ready`) instead of loading a 503.
    expect(failedLoads).toEqual([]);
    expect(server.recordings.stats().active).toBe(0);
    expect(server.live.stats().active).toBe(1);
    const { delay } = await waitFor(() => playback(teacher, 'video[data-testid="hls-live"]'), (p) => p.delay !== null, 15_000, 'a measured delay');
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThan(120);
    const label = await teacher.textContent('[data-testid="hls-delay"]');
    expect(label).toContain('Trễ khoảng');
    expect(label).toMatch(/\d/);
    expect(await teacher.textContent('[data-testid="hls-fallback"] .hls-reason')).toContain('chặn kết nối trực tiếp');
    const csp = await teacher.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);
    expect(csp).toEqual([]);
  });

  it('keeps trying WebRTC in the background while on HLS', async () => {
    const attempts = (): Promise<number> => teacher.evaluate(() => (window as unknown as { __pcAttempts: number }).__pcAttempts);
    const before = await attempts();
    expect(before).toBeGreaterThan(0);
    await waitFor(attempts, (n) => n > before, 45_000, 'another WebRTC attempt');
    // Still on the delayed stream meanwhile.
    expect(await teacher.$('[data-testid="hls-fallback"]')).not.toBeNull();
  });

  it('raises a hand over the socket while on HLS, and the host sees it', async () => {
    await teacher.click('button[data-action="hand"]');
    await teacher.waitForSelector('button[data-action="hand"][data-raised="true"]');
    await waitFor(() => host.textContent('[data-testid="hand-total"]'), (t) => t === '1', 20_000, 'host hand total');
  });
});

describe('access to the recording', () => {
  it('shows the teacher the recording indicator once the host records', async () => {
    await host.click('button[data-control="record"]');
    await host.waitForSelector('button[data-control="record"][data-on="true"]', { timeout: 20_000 });
    await teacher.waitForSelector('[data-testid="recording-indicator"]', { timeout: 20_000 });
  });

  it('gives a teacher outside the meeting\'s audience 403 for the live and the recorded playlist, from their own page', async () => {
    const live = server.recordings.active(meetingId)[0]!;
    const livePath = await teacher.getAttribute('video[data-testid="hls-live"]', 'data-src');
    expect(livePath).toMatch(/\/live\/main\/.+\/index\.m3u8$/);
    const outsider = await openAs(browser, contexts, server.url, 'gv-hcm-1');
    for (const url of [`/api/meetings/${meetingId}/recordings/${live.id}/index.m3u8`, livePath!]) {
      const answer = await outsider.evaluate(async (u) => {
        const token = (JSON.parse(sessionStorage.getItem('hoinghi.session') ?? '{}') as { token?: string }).token;
        const res = await fetch(u, { headers: { Authorization: `Bearer ${token}` } });
        return { status: res.status, body: await res.text() };
      }, url);
      expect(answer.status).toBe(403);
      expect(answer.body).not.toContain('#EXTM3U');
    }
  });

  it('serves the audience the playlist (short cache) and byte ranges of immutable segments', async () => {
    const live = server.recordings.active(meetingId)[0]!;
    const url = `/api/meetings/${meetingId}/recordings/${live.id}/index.m3u8`;
    // The recording began moments ago: wait for its first segment.
    await waitFor(async () => server.recordings.recorderOf(meetingId, 'main')?.segments ?? 0, (n) => n >= 1, 60_000, 'the first recorded segment');
    const got = await teacher.evaluate(async (u) => {
      const token = (JSON.parse(sessionStorage.getItem('hoinghi.session') ?? '{}') as { token?: string }).token;
      const auth = { Authorization: `Bearer ${token}` };
      const res = await fetch(u, { headers: auth });
      const text = await res.text();
      const segment = text.split('\n').find((l) => l.endsWith('.ts'))!;
      const seg = await fetch(u.replace('index.m3u8', segment), { headers: { ...auth, Range: 'bytes=0-187' } });
      return { status: res.status, cache: res.headers.get('cache-control'), segStatus: seg.status, segCache: seg.headers.get('cache-control'), segBytes: (await seg.arrayBuffer()).byteLength };
    }, url);
    expect(got).toEqual({ status: 200, cache: 'private, max-age=1', segStatus: 206, segCache: expect.stringContaining('immutable'), segBytes: 188 });
  });
});

describe('after the meeting', () => {
  it('replays the recording from the meeting\'s page once the host has ended the meeting', async () => {
    // Enough to see it advance: a replay of one 2 s segment ends before the check can see it move.
    await waitFor(async () => server.recordings.recorderOf(meetingId, 'main')?.segments ?? 0, (n) => n >= 3, 60_000, 'three recorded segments');
    await host.click('button[data-control="record"]');
    await host.waitForSelector('button[data-control="record"][data-on="false"]', { timeout: 20_000 });
    await host.click('.meeting-bar button[data-action="end-meeting"]');
    await host.click('[data-confirm="end-meeting"] button[data-action="confirm"]');
    await teacher.waitForSelector('main.lobby.ended', { timeout: 20_000 });
    await teacher.waitForSelector('main.lobby.ended [data-testid="recordings"] [data-action="replay"]', { timeout: 20_000 });
    await teacher.click('[data-testid="recordings"] [data-action="replay"]');
    await plays(teacher, 'video[data-testid="hls-replay"]', 'replay');
  });
});
