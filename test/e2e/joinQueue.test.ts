/**
 * End-to-end in Debian's Chromium: with a tiny join rate, a teacher's page shows the queued-join
 * progress bar (Vietnamese first: position and wait), which clears when admitted; the page then
 * decodes the host's video, read from WebRTC stats, without a reload.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { MEETING, call, connectClient, startServer, tokenFor, type TestSocket } from '../helpers/server';
import { joinQueued, joinWhenAdmitted } from '../helpers/admission';
import { closeAll, framesRise, launchChromium, openAs } from '../helpers/browser';

let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
const bots: TestSocket[] = [];
let host: Page;

beforeAll(async () => {
  // One join every 2 s, no burst beyond one: easy to fill.
  server = await startServer({ HOINGHI_JOIN_RATE: '0.5', HOINGHI_JOIN_BURST: '1' });
  browser = await launchChromium();
  host = await openAs(browser, contexts, server.url, 'bo-truong');
  await host.click('button[data-control="camera"]');
  await host.waitForSelector('button[data-control="camera"][data-on="true"]');
}, 120_000);

afterAll(async () => {
  for (const b of bots) b.close();
  await closeAll(contexts, browser, server);
});

describe('a teacher who must wait to join', () => {
  it('sees the queued-join progress bar with the position and the wait, then it clears and video frames are decoded', async () => {
    // Two bots go first: one takes the token, the other waits at position 1.
    const first = await connectClient(server, tokenFor(server, { role: 'teacher' }));
    const second = await connectClient(server, tokenFor(server, { role: 'teacher' }));
    bots.push(first, second);
    await call(first, 'join', { meetingId: MEETING });
    expect((await joinQueued(second)).position).toBe(1);
    const secondAdmitted = joinWhenAdmitted(second);

    const page = await openAs(browser, contexts, server.url, 'gv-hn-1');
    const bar = await page.waitForSelector('section.join-queue', { timeout: 20_000 });
    const text = (await bar.textContent()) ?? '';
    expect(text).toMatch(/Đang xếp hàng vào hội nghị: vị trí \d+, còn khoảng \d+ giây/);
    expect(Number(await bar.getAttribute('data-position'))).toBeGreaterThanOrEqual(1);
    expect(await page.getAttribute('[role="status"][data-status]', 'data-status')).toBe('queued');
    expect(await page.locator('section.join-queue progress').count()).toBe(1);

    await secondAdmitted;
    await page.waitForSelector('section.join-queue', { state: 'detached', timeout: 30_000 });
    await framesRise(page, 'the admitted teacher decoding the host camera');
    await page.waitForSelector('[data-status="connected"]', { timeout: 10_000 });
  });
});
