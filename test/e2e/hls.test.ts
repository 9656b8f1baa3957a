/**
 * End-to-end in Debian's Chromium: the host publishes and records; a teacher whose page cannot
 * make WebRTC connections watches the live HLS instead (and still raises a hand over the
 * socket); after the meeting, the replay plays from the teacher's page; a teacher outside the
 * meeting's audience gets 403.
 *
 * How WebRTC is blocked: an init script replaces RTCPeerConnection with a constructor that
 * throws, as a browser behind a policy that forbids it would (mediasoup-client's Device cannot
 * load). The other trigger, a transport that never connects (UDP and TCP blocked), takes the
 * same switch after WEBRTC_CONNECT_TIMEOUT_MS.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../helpers/server';
import { closeAll, launchChromium, newContext, openAs, signIn, waitFor } from '../helpers/browser';

let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let dir: string;
let host: Page;
let hostCtx: BrowserContext;
let teacher: Page;
const MEETING = 'e2e-hls';

/** Playback progress of a <video>: its clock, and frames the browser presented. */
async function playback(page: Page, selector: string): Promise<{ currentTime: number; frames: number; delay: number | null }> {
  return page.evaluate((sel) => {
    const v = document.querySelector<HTMLVideoElement>(sel);
    if (!v) return { currentTime: -1, frames: -1, delay: null };
    const q = v.getVideoPlaybackQuality();
    const d = v.getAttribute('data-delay-s');
    return { currentTime: v.currentTime, frames: q.totalVideoFrames - q.droppedVideoFrames, delay: d === null ? null : Number(d) };
  }, selector);
}

/** The video plays: its clock advances by 2 s and new frames are shown. */
async function plays(page: Page, selector: string, what: string): Promise<void> {
  await page.waitForSelector(selector, { timeout: 30_000 });
  const first = await waitFor(() => playback(page, selector), (p) => p.currentTime > 0 && p.frames > 0, 45_000, `${what}: first frames`);
  await waitFor(() => playback(page, selector), (p) => p.currentTime > first.currentTime + 2 && p.frames > first.frames + 10, 30_000, `${what}: advancing`);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-e2e-hls-'));
  server = await startServer({ HOINGHI_DEMO_MEETING: MEETING, HOINGHI_RECORDINGS_DIR: dir, HOINGHI_RECORDING_MIN_FREE_MB: '1' });
  browser = await launchChromium();
  hostCtx = await newContext(browser);
  contexts.push(hostCtx);
  host = await hostCtx.newPage();
  await signIn(host, server.url, 'bo-truong');
  await host.click('button[data-control="camera"]');
  await host.click('button[data-control="mic"]');
  await host.waitForSelector('button[data-control="camera"][data-on="true"]');
  await host.click('button[data-control="record"]');
  await host.waitForSelector('button[data-control="record"][data-on="true"]', { timeout: 20_000 });

  const blocked = await newContext(browser);
  contexts.push(blocked);
  await blocked.addInitScript(() => {
    window.RTCPeerConnection = function RTCPeerConnection() {
      throw new DOMException('WebRTC is blocked on this machine', 'NotSupportedError');
    } as unknown as typeof RTCPeerConnection;
  });
  teacher = await blocked.newPage();
  await signIn(teacher, server.url, 'gv-hn-1');
}, 120_000);

afterAll(async () => {
  await closeAll(contexts, browser, server);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a teacher whom WebRTC cannot reach', () => {
  it('plays the live HLS, labelled with the measured delay: the video clock advances and frames are shown', async () => {
    await teacher.waitForSelector('[data-testid="hls-fallback"][data-reason="blocked"]', { timeout: 30_000 });
    await teacher.waitForSelector('[data-testid="recording-indicator"]');
    await plays(teacher, 'video[data-testid="hls-live"]', 'live HLS');
    const { delay } = await waitFor(() => playback(teacher, 'video[data-testid="hls-live"]'), (p) => p.delay !== null, 15_000, 'a measured delay');
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThan(120);
    expect(await teacher.textContent('[data-testid="hls-delay"]')).toMatch(/\d/);
    const csp = await teacher.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);
    expect(csp).toEqual([]);
  });

  it('raises a hand over the socket while on HLS, and the host sees it', async () => {
    await teacher.click('button[data-action="hand"]');
    await teacher.waitForSelector('button[data-action="hand"][data-raised="true"]');
    await waitFor(() => host.textContent('[data-testid="hand-total"]'), (t) => t === '1', 20_000, 'host hand total');
  });

  it('gets 403 for the live playlist when outside the meeting\'s audience, 200 inside', async () => {
    const live = server.recordings.active(MEETING)[0]!;
    const url = `${server.url}/api/meetings/${MEETING}/recordings/${live.id}/index.m3u8`;
    const outsider = server.tokens.issue({ sub: 'gv-other', name: 'Other', role: 'teacher', province: null, school: null, meetings: ['another-meeting'] }, 600);
    const member = server.tokens.issue({ sub: 'gv-member', name: 'Member', role: 'teacher', province: null, school: null, meetings: [MEETING] }, 600);
    const refused = await fetch(url, { headers: { Authorization: `Bearer ${outsider}` } });
    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toContain('#EXTM3U');
    const ok = await fetch(url, { headers: { Authorization: `Bearer ${member}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('private, max-age=1');
    const text = await ok.text();
    const segment = text.split('\n').find((l) => l.endsWith('.ts'))!;
    const seg = await fetch(url.replace('index.m3u8', segment), { headers: { Authorization: `Bearer ${member}`, Range: 'bytes=0-187' } });
    expect(seg.status).toBe(206);
    expect(seg.headers.get('cache-control')).toContain('immutable');
    expect((await seg.arrayBuffer()).byteLength).toBe(188);
  });
});

describe('after the meeting', () => {
  it('replays the recording from the meeting\'s page', async () => {
    await host.click('button[data-control="record"]');
    await host.waitForSelector('button[data-control="record"][data-on="false"]', { timeout: 20_000 });
    await hostCtx.close();
    await teacher.waitForSelector('[data-testid="recording-indicator"]', { state: 'detached', timeout: 10_000 });
    await teacher.waitForSelector('[data-testid="recordings"] [data-action="replay"]', { timeout: 10_000 });
    await teacher.click('[data-testid="recordings"] [data-action="replay"]');
    await plays(teacher, 'video[data-testid="hls-replay"]', 'replay');
  });

  it('lists the recording on another teacher\'s page too (a fresh sign-in, WebRTC allowed)', async () => {
    const other = await openAs(browser, contexts, server.url, 'gv-hcm-1');
    await other.waitForSelector('[data-testid="recordings"] li[data-recording-id]', { timeout: 10_000 });
  });
});
