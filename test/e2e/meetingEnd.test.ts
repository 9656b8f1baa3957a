/**
 * "Kết thúc hội nghị" in Debian's Chromium, on a node with a database (PGlite): a host on air
 * (fake camera and microphone) records; a teacher watches (frames decoded, from WebRTC stats).
 * When the host ends the meeting, both pages show the end at once: the host's summary and the
 * teacher's "the host ended the meeting" with the replay to watch, never a reconnect countdown;
 * the teacher's peer connections close and the host's camera stops. Pictures at 1280x800 and
 * 390x844 go to HOINGHI_SCREENSHOTS when set.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { closeAll, framesRise, launchChromium, openAs, waitFor } from '../../harness/browser';
import { openMeetingNow } from '../helpers/openMeeting';

let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let host: Page;
let teacher: Page;
let meetingId = '';
let dir = '';
const TITLE = 'Hội nghị triển khai năm học mới';
const SHOTS = process.env.HOINGHI_SCREENSHOTS;

/** Every connection status the page's top bar shows from now on (read back with `statusesSeen`). */
async function watchStatuses(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __statuses: string[] }).__statuses = seen;
    const read = (): void => {
      const s = document.querySelector('[data-status]')?.getAttribute('data-status') ?? 'none';
      if (seen.at(-1) !== s) seen.push(s);
    };
    read();
    new MutationObserver(read).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
  });
}

const statusesSeen = (page: Page): Promise<string[]> => page.evaluate(() => (window as unknown as { __statuses: string[] }).__statuses);

async function shoot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  for (const [w, h] of [
    [1280, 800],
    [390, 844],
  ] as const) {
    await page.setViewportSize({ width: w, height: h });
    await page.screenshot({ path: path.join(SHOTS, `${name}-${w}x${h}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-e2e-end-'));
  server = await startServer({
    HOINGHI_WORKERS: '1',
    HOINGHI_DEMO_MEETING: 'e2e-demo',
    HOINGHI_DATA_DIR: 'memory://',
    HOINGHI_DEMO_SCHOOLS: '68',
    HOINGHI_DEMO_TEACHERS: '600',
    HOINGHI_RECORDINGS_DIR: dir,
    HOINGHI_RECORDING_MIN_FREE_MB: '1',
    HOINGHI_HLS_SEGMENT_S: '1',
  });
  meetingId = await openMeetingNow(server, TITLE);
  browser = await launchChromium();
  host = await openAs(browser, contexts, server.url, 'bo-truong');
  teacher = await openAs(browser, contexts, server.url, 'gv-hn-1');
}, 180_000);

afterAll(async () => {
  await closeAll(contexts, browser, server);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the host ends the meeting', () => {
  it('on air and recording, with a teacher watching', async () => {
    await host.goto(`${server.url}/m/${meetingId}`);
    await host.click('button[data-control="camera"]');
    await host.click('button[data-control="mic"]');
    await host.waitForSelector('button[data-control="camera"][data-on="true"]');
    await teacher.goto(`${server.url}/m/${meetingId}`);
    await framesRise(teacher, 'teacher frames');
    await host.click('button[data-control="record"]');
    await host.waitForSelector('button[data-control="record"][data-on="true"]', { timeout: 20_000 });
    await waitFor(async () => server.recordings.recorderOf(meetingId, 'main')?.segments ?? 0, (n) => n >= 2, 90_000, 'two recorded segments');
    if (SHOTS) await teacher.screenshot({ path: path.join(SHOTS, 'meeting-before-end-teacher.png') });
  }, 180_000);

  it('both pages show the end at once, never a reconnect: the host its summary, the teacher why and the replay', async () => {
    await watchStatuses(teacher);
    await watchStatuses(host);
    await host.click('.meeting-bar button[data-action="end-meeting"]');
    await host.click('[data-confirm="end-meeting"] button[data-action="confirm"]');
    for (const page of [host, teacher]) {
      await page.waitForSelector('main.lobby.ended[data-state="ended"]', { timeout: 30_000 });
      expect(await page.textContent('main.lobby.ended')).toContain(TITLE);
      expect(await page.$('video')).toBeNull();
    }
    expect(await host.textContent('main.lobby.ended')).toContain('Hội nghị đã được kết thúc cho mọi người tham dự');
    // The teacher's page says who ended it and what to do next, with the replay.
    const summary = (await teacher.textContent('main.lobby.ended'))!;
    expect(summary).toContain('Hội nghị đã kết thúc');
    expect(summary).toContain('Chủ trì đã kết thúc hội nghị');
    await teacher.waitForSelector('main.lobby.ended [data-testid="recordings"] [data-action="replay"]', { timeout: 20_000 });
    expect(await teacher.textContent('main.lobby.ended')).toContain('Bản ghi hình của hội nghị ở ngay bên dưới để xem lại');
    await host.waitForSelector('main.lobby.ended [data-testid="recordings"] [data-action="replay"]', { timeout: 20_000 });
    for (const page of [host, teacher]) {
      const seen = await statusesSeen(page);
      expect(seen.filter((s) => ['reconnecting', 'connecting', 'failed', 'full'].includes(s))).toEqual([]);
    }
    // Nothing of the meeting runs in the browsers any more.
    const pcs = await teacher.evaluate(() => (window as unknown as { __testPcs: RTCPeerConnection[] }).__testPcs.map((pc) => pc.connectionState));
    expect(pcs.length).toBeGreaterThan(0);
    expect(pcs.every((s) => s === 'closed')).toBe(true);
    expect(server.sockets.registry.get(meetingId)).toBeUndefined();
    await shoot(host, 'meeting-ended-host');
    await shoot(teacher, 'meeting-ended-teacher');
  }, 90_000);
});
