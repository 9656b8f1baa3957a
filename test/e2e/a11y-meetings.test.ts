/**
 * The scheduled-meeting pages in Chromium (a node with a database, PGlite in memory), checked
 * like every other page: axe-core finds no serious or critical violation in "My meetings", the
 * scheduling form, the lobby with its countdown and the attendance dashboard, on a desktop and
 * on a phone (390×844), where the header stays within two lines, targets are at least 44 px and
 * nothing is wider than the screen.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Several browsers share two cores with the servers (and other engineers' tests): generous deadlines.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 400_000 });
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { closeAll, launchChromium, newContext, signIn } from '../../harness/browser';
import { expectAccessible, expectPhoneLayout, phoneContext } from '../helpers/a11y';

const TITLE = 'Tập huấn chương trình mới — Hà Nội';
const SHOTS = process.env.HOINGHI_SCREENSHOTS; // a folder: save the phone screenshots there
let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let host: Page;
let hostPhone: Page;
let teacherPhone: Page;
let meetingId = '';

async function desktop(accountId: string): Promise<Page> {
  const ctx = await newContext(browser);
  contexts.push(ctx);
  ctx.setDefaultNavigationTimeout(120_000);
  ctx.setDefaultTimeout(90_000);
  const page = await ctx.newPage();
  await signIn(page, server.url, accountId);
  return page;
}

async function phone(accountId: string): Promise<Page> {
  const page = await (await phoneContext(browser, contexts)).newPage();
  await signIn(page, server.url, accountId);
  return page;
}

beforeAll(async () => {
  server = await startServer({
    HOINGHI_WORKERS: '1',
    HOINGHI_DEMO_MEETING: 'e2e-a11y-meetings',
    HOINGHI_DATA_DIR: 'memory://',
    HOINGHI_DEMO_SCHOOLS: '68',
    HOINGHI_DEMO_TEACHERS: '600',
    HOINGHI_ATTENDANCE_FLUSH_MS: '200',
  });
  browser = await launchChromium();
  host = await desktop('bo-truong');
  hostPhone = await phone('bo-truong');
  teacherPhone = await phone('gv-hn-1');
}, 400_000);

afterAll(() => closeAll(contexts, browser, server));

describe('accessibility of the scheduled-meeting pages', () => {
  it('"My meetings" and the scheduling form, on a desktop', async () => {
    await host.waitForSelector('main.meetings h1');
    await expectAccessible(host);
    await host.click('button.primary');
    await host.waitForSelector('form.schedule-form');
    await expectAccessible(host);
    await host.fill('input[name="title"]', TITLE);
    await host.fill('textarea[name="agenda"]', '1. Khai mạc\n2. Chương trình mới\n3. Hỏi đáp');
    // An hour from now, in the browser's local time: the lobby counts down.
    const start = await host.evaluate(() => {
      const d = new Date(Date.now() + 60 * 60_000);
      const pad = (n: number): string => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
    });
    await host.fill('input[name="start"]', start);
    await host.check('input[name="audience"][value="provinces"]');
    await host.check('.checks input[value="01"]');
    await expectAccessible(host);
    await host.click('form.schedule-form button[type="submit"]');
    const card = await host.waitForSelector(`li.meeting-card:has-text("${TITLE}")`);
    meetingId = (await card.getAttribute('data-meeting'))!;
    await expectAccessible(host);
  });

  it('"My meetings" and the scheduling form, on a phone', async () => {
    await hostPhone.reload();
    await hostPhone.waitForSelector(`li.meeting-card[data-meeting="${meetingId}"]`);
    await expectAccessible(hostPhone);
    await expectPhoneLayout(hostPhone);
    if (SHOTS) await hostPhone.screenshot({ path: `${SHOTS}/phone-my-meetings.png`, fullPage: true });
    await hostPhone.click('button.primary');
    await hostPhone.waitForSelector('form.schedule-form');
    await hostPhone.check('input[name="audience"][value="provinces"]');
    await expectAccessible(hostPhone);
    await expectPhoneLayout(hostPhone);
    if (SHOTS) await hostPhone.screenshot({ path: `${SHOTS}/phone-schedule.png`, fullPage: true });
  });

  it('the lobby with its countdown, on a phone', async () => {
    await teacherPhone.waitForSelector('main.meetings h1');
    await teacherPhone.reload();
    const card = await teacherPhone.waitForSelector(`li.meeting-card[data-meeting="${meetingId}"]`, { timeout: 20_000 });
    await expectAccessible(teacherPhone);
    await expectPhoneLayout(teacherPhone);
    await card.$('a.button').then((a) => a!.click());
    await teacherPhone.waitForSelector('main.lobby[data-state="lobby"] [data-countdown]');
    await expectAccessible(teacherPhone);
    await expectPhoneLayout(teacherPhone);
    if (SHOTS) await teacherPhone.screenshot({ path: `${SHOTS}/phone-lobby.png`, fullPage: true });
  });

  it('the attendance dashboard, on a desktop and on a phone', async () => {
    for (const page of [host, hostPhone]) {
      await page.goto(`${server.url}/m/${meetingId}/attendance`, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('[data-testid="totals"]');
      await page.waitForSelector('tr[data-group="01"]');
      await expectAccessible(page);
    }
    await expectPhoneLayout(hostPhone);
    if (SHOTS) await hostPhone.screenshot({ path: `${SHOTS}/phone-dashboard.png`, fullPage: true });
    expect(await host.textContent('[data-testid="totals"]')).toContain('Dự kiến');
  });
});
