/**
 * End-to-end in Debian's Chromium: with a tiny join rate, a teacher's page shows the queued-join
 * progress bar (Vietnamese first: position and wait), which clears when admitted; the page then
 * decodes the host's video, read from WebRTC stats, without a reload.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { MEETING, call, connectClient, startServer, tokenFor, type TestSocket } from '../../harness/server';
import { joinQueued, joinWhenAdmitted } from '../helpers/admission';
import { closeAll, framesRise, launchChromium, openAs } from '../../harness/browser';

let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
const bots: TestSocket[] = [];
let host: Page;

beforeAll(async () => {
  // One join every 20 s, no burst beyond one: easy to fill.
  server = await startServer({ HOINGHI_JOIN_RATE: '0.05', HOINGHI_JOIN_BURST: '1' });
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
    // Bots go first: one takes the token, two wait (polling) ahead of the teacher, so the teacher's
    // page queues however long its sign-in takes on a busy machine.
    const bot = async (): Promise<TestSocket> => {
      const s = await connectClient(server, tokenFor(server, { role: 'teacher' }));
      bots.push(s);
      return s;
    };
    await call(await bot(), 'join', { meetingId: MEETING });
    const waiting = [await bot(), await bot()];
    for (const [i, s] of waiting.entries()) expect((await joinQueued(s)).position).toBe(i + 1);
    for (const s of waiting) void joinWhenAdmitted(s, {}, 120_000).catch(() => undefined);

    const page = await openAs(browser, contexts, server.url, 'gv-hn-1');
    const bar = await page.waitForSelector('section.join-queue', { timeout: 20_000 });
    if (process.env.HOINGHI_SCREENSHOTS) {
      await page.screenshot({ path: `${process.env.HOINGHI_SCREENSHOTS}/join-queue-desktop.png` });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: `${process.env.HOINGHI_SCREENSHOTS}/join-queue-mobile.png` });
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    const text = (await bar.textContent()) ?? '';
    expect(text).toMatch(/Đang xếp hàng vào hội nghị: vị trí \d+, còn khoảng \d+ giây/);
    expect(Number(await bar.getAttribute('data-position'))).toBeGreaterThanOrEqual(1);
    expect(await page.getAttribute('[role="status"][data-status]', 'data-status')).toBe('queued');
    expect(await page.locator('section.join-queue progress').count()).toBe(1);

    // Those still ahead give up (close their pages): the teacher moves up and is admitted next.
    for (const s of waiting) s.close();
    await page.waitForSelector('section.join-queue', { state: 'detached', timeout: 60_000 });
    await framesRise(page, 'the admitted teacher decoding the host camera');
    await page.waitForSelector('[data-status="connected"]', { timeout: 10_000 });
  }, 180_000);
});
