/**
 * End-to-end in Debian's Chromium (issue 23): the live HLS freezes without an error (its segment
 * loads hang), and the teacher's page notices by itself: it says the stream froze instead of a
 * delay label that keeps rising, and plays again without a reload once segments come through.
 *
 * The teacher's page cannot make WebRTC connections (RTCPeerConnection throws, as in hls.test.ts),
 * so it watches the delayed stream. The freeze: every segment request is held unanswered
 * (Playwright's page.route) for a while; the ones held stay unanswered, later ones go through.
 */
import { webRtcBlockedContext } from '../helpers/webRtcBlocked';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { closeAll, launchChromium, openAs, signIn, waitFor } from '../../harness/browser';
import { playback, plays } from '../../harness/videoPlayback';
import { openMeetingNow } from '../helpers/openMeeting';

let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let dir: string;
let teacher: Page;
const VIDEO = 'video[data-testid="hls-live"]';

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-e2e-hls-stall-'));
  server = await startServer({
    HOINGHI_WORKERS: '1',
    HOINGHI_DATA_DIR: 'memory://',
    HOINGHI_DEMO_SCHOOLS: '68',
    HOINGHI_DEMO_TEACHERS: '200',
    HOINGHI_RECORDINGS_DIR: dir,
    HOINGHI_RECORDING_MIN_FREE_MB: '1',
  });
  const meetingId = await openMeetingNow(server, 'Họp giáo viên Hà Nội', { kind: 'provinces', provinces: ['01'] });
  browser = await launchChromium();
  const host = await openAs(browser, contexts, server.url, 'bo-truong');
  await host.goto(`${server.url}/m/${meetingId}`);
  await host.waitForSelector('button[data-control="camera"]', { timeout: 20_000 });
  await host.click('button[data-control="camera"]');
  await host.waitForSelector('button[data-control="camera"][data-on="true"]');

  const blocked = await webRtcBlockedContext(browser, contexts);
  teacher = await blocked.newPage();
  await signIn(teacher, server.url, 'gv-hn-1');
  await teacher.goto(`${server.url}/m/${meetingId}`);
}, 180_000);

afterAll(async () => {
  await closeAll(contexts, browser, server);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a live HLS stream that freezes without an error', () => {
  it('says the stream froze (no rising delay), then plays again by itself without a reload', async () => {
    await teacher.waitForSelector('[data-testid="hls-fallback"][data-reason="blocked"]', { timeout: 30_000 });
    await plays(teacher, VIDEO, 'live HLS');
    await waitFor(() => playback(teacher, VIDEO), (p) => p.delay !== null, 15_000, 'a measured delay');
    // A reload of the page would lose this mark.
    await teacher.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));

    // Freeze: segment loads hang (never answered).
    const held: Route[] = [];
    const isSegment = (url: URL): boolean => url.pathname.endsWith('.ts');
    await teacher.route(isSegment, (route) => void held.push(route));
    await teacher.waitForSelector('[data-testid="hls-stalled"]', { timeout: 60_000 });
    expect(held.length).toBeGreaterThan(0);
    expect(await teacher.textContent('[data-testid="hls-stalled"]')).toContain('Luồng bị đứng, đang tải lại');
    // The delay label gives way to the stall: no "Trễ khoảng …" that keeps rising.
    expect(await teacher.$('[data-testid="hls-delay"]')).toBeNull();
    expect(await teacher.getAttribute(VIDEO, 'data-stalled')).toBe('true');
    const frozenAt = (await playback(teacher, VIDEO)).currentTime;

    // Segments come through again (those held stay unanswered): the page recovers by itself.
    await teacher.unroute(isSegment);
    await waitFor(() => playback(teacher, VIDEO), (p) => p.currentTime > frozenAt + 2, 90_000, 'playing again after the freeze');
    await teacher.waitForSelector('[data-testid="hls-stalled"]', { state: 'detached', timeout: 30_000 });
    await plays(teacher, VIDEO, 'live HLS after the freeze');
    expect(await teacher.getAttribute(VIDEO, 'data-stalled')).toBe('false');
    expect(await teacher.textContent('[data-testid="hls-delay"]')).toContain('Trễ khoảng');
    expect(await teacher.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    for (const route of held) await route.abort().catch(() => undefined);
  });
});
