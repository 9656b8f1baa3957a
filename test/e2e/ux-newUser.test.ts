/**
 * What a new user tripped over (issue 23), in Chromium on a node with a database (PGlite): the
 * provinces listed in the API's order (Hà Nội first, not after Cà Mau), a confirmation before
 * ending the meeting or calling every province back (cancel is the default; keyboard and phone),
 * the breakout duration explained under its field, a favicon (no 404 on the first load), and the
 * meeting's title with a way out on the teacher's and the province host's pages (with the
 * attendance for the province host), checked by axe at 1280×800 and 390×844.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import type { ProvincesAnswer } from '../../signaling/protocol/http';
import { startServer, tokenFor } from '../../harness/server';
import { closeAll, launchChromium, newContext, openAs, signIn, waitFor } from '../../harness/browser';
import { expectAccessible, phoneContext, smallTargets } from '../helpers/a11y';
import { openMeetingNow } from '../helpers/openMeeting';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 240_000 });

const TITLE = 'Hội nghị triển khai năm học mới';
let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let host: Page;
let meetingId = '';
let apiOrder: string[] = [];

const open = (accountId: string): Promise<Page> => openAs(browser, contexts, server.url, accountId);

async function onPhone(accountId: string): Promise<Page> {
  const page = await (await phoneContext(browser, contexts)).newPage();
  await signIn(page, server.url, accountId);
  return page;
}

async function meetingState(): Promise<string> {
  const res = await fetch(`${server.url}/api/meetings/${meetingId}`, { headers: { authorization: `Bearer ${tokenFor(server, { sub: 'bo-truong', role: 'host' })}` } });
  return ((await res.json()) as { state: string }).state;
}

const focused = (page: Page): Promise<string | null | undefined> => page.evaluate(() => document.activeElement?.getAttribute('data-action'));

beforeAll(async () => {
  server = await startServer({
    HOINGHI_WORKERS: '1',
    HOINGHI_DEMO_MEETING: 'e2e-new-user',
    HOINGHI_DATA_DIR: 'memory://',
    HOINGHI_DEMO_SCHOOLS: '68',
    HOINGHI_DEMO_TEACHERS: '600',
  });
  apiOrder = ((await (await fetch(`${server.url}/api/provinces`)).json()) as ProvincesAnswer).provinces.map((p) => p.code);
  meetingId = await openMeetingNow(server, TITLE);
  browser = await launchChromium();
  host = await open('bo-truong');
}, 240_000);

afterAll(() => closeAll(contexts, browser, server));

describe('provinces in the API\'s order', () => {
  it('the API lists Hà Nội (01), Cao Bằng (04), Tuyên Quang (08) first', () => {
    expect(apiOrder.slice(0, 3)).toEqual(['01', '04', '08']);
  });

  it('the scheduling form: the province check boxes and the schools\' province list', async () => {
    await host.waitForSelector('main.meetings h1');
    await host.click('button.primary');
    await host.waitForSelector('form.schedule-form');
    await host.check('input[name="audience"][value="provinces"]');
    await host.waitForSelector('.checks input[value="96"]');
    expect(await host.$$eval('.checks input[type="checkbox"]', (els) => els.map((e) => (e as HTMLInputElement).value))).toEqual(apiOrder);
    expect((await host.textContent('.checks label >> nth=0'))?.trim()).toBe('Hà Nội');
    await host.check('input[name="audience"][value="schools"]');
    const options = await host.$$eval('form.schedule-form select option', (els) => els.map((e) => (e as HTMLOptionElement).value));
    expect(options).toEqual(apiOrder);
    await host.click('form.schedule-form button[type="button"]');
  });

  it('the participant list\'s province filter on the host console', async () => {
    await host.goto(`${server.url}/m/${meetingId}`, { waitUntil: 'domcontentloaded' });
    await host.waitForSelector('section.participants select option[value="96"]', { state: 'attached' });
    const options = await host.$$eval('section.participants select option', (els) => els.map((e) => (e as HTMLOptionElement).value).filter(Boolean));
    expect(options).toEqual(apiOrder);
  });
});

describe('a favicon', () => {
  it('is linked and served: no 404 and no console error on the first load', async () => {
    const ctx = await newContext(browser);
    contexts.push(ctx);
    const page = await ctx.newPage();
    const failed: string[] = [];
    const errors: string[] = [];
    page.on('response', (r) => r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(server.url);
    await page.waitForSelector('button[data-account]');
    const href = await page.getAttribute('link[rel="icon"]', 'href');
    expect(href).toBeTruthy();
    const icon = await fetch(new URL(href!, server.url));
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toContain('image/svg+xml');
    expect(failed).toEqual([]);
    expect(errors).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations)).toEqual([]);
  });
});

describe('the meeting\'s title and a way out, for teachers and province hosts', () => {
  for (const [who, accountId, size] of [
    ['teacher', 'gv-hn-1', 'desktop'],
    ['teacher', 'gv-hcm-1', 'phone'],
    ['province host', 'so-ha-noi', 'desktop'],
    ['province host', 'so-hcm', 'phone'],
  ] as const) {
    it(`${who} (${accountId}) on a ${size}`, async () => {
      const page = size === 'phone' ? await onPhone(accountId) : await open(accountId);
      await page.goto(`${server.url}/m/${meetingId}`, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('[data-status="connected"]', { timeout: 30_000 });
      expect(await page.textContent('.meeting-bar [data-testid="meeting-title"]')).toBe(TITLE);
      const leave = await page.waitForSelector('.meeting-bar a[data-action="leave"]');
      expect(await leave.textContent()).toBe('Rời hội nghị');
      expect(await leave.isVisible()).toBe(true);
      // Only who runs the meeting may end it; a province host sees their province's attendance.
      expect(await page.$('.meeting-bar [data-action="end-meeting"]')).toBeNull();
      const attendance = await page.$('.meeting-bar a[data-action="attendance"]');
      expect(attendance !== null).toBe(who === 'province host');
      if (attendance) expect(await attendance.getAttribute('href')).toBe(`/m/${meetingId}/attendance`);
      await expectAccessible(page);
      if (size === 'phone') {
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
        expect((await smallTargets(page)).filter((s) => s.startsWith('Điểm danh'))).toEqual([]);
      }
      // Leaving goes back to the list of meetings and out of the meeting.
      await leave.click();
      await page.waitForSelector('main.meetings h1');
      expect(new URL(page.url()).pathname).toBe('/meetings');
      await page.waitForSelector('[data-status]', { state: 'detached' });
    });
  }
});

describe('province sessions: the duration explained, and "call everyone back" asked first', () => {
  it('says under the duration field what an empty one means (no cut placeholder)', async () => {
    const input = await host.waitForSelector('.breakout-panel input[type="number"]');
    expect(await input.getAttribute('placeholder')).toBeNull();
    const hint = await host.waitForSelector('[data-testid="duration-hint"]');
    expect(await hint.textContent()).toBe('Để trống: không giới hạn thời gian.');
    expect(await input.evaluate((el) => document.getElementById(el.getAttribute('aria-describedby') ?? '')?.textContent)).toBe('Để trống: không giới hạn thời gian.');
    // Whole, not cut, at both sizes.
    for (const [w, h] of [[1280, 800], [390, 844]] as const) {
      await host.setViewportSize({ width: w, height: h });
      expect(await hint.evaluate((el) => el.scrollWidth <= el.clientWidth + 1 && el.getBoundingClientRect().right <= window.innerWidth)).toBe(true);
    }
    await host.setViewportSize({ width: 1280, height: 800 });
  });

  it('cancel keeps the province sessions, confirm ends them', async () => {
    await host.click('[data-action="start-breakouts"]');
    await host.waitForSelector('.breakout-panel[data-breakouts="active"]');
    await host.click('[data-action="recall"]');
    const dialog = await host.waitForSelector('dialog[data-confirm="recall"][open]');
    expect(await dialog.getAttribute('role')).toBe('alertdialog');
    expect(await focused(host)).toBe('cancel');
    await host.keyboard.press('Escape');
    await host.waitForSelector('dialog[data-confirm="recall"]', { state: 'detached' });
    expect(await host.getAttribute('.breakout-panel', 'data-breakouts')).toBe('active');
    await host.click('[data-action="recall"]');
    await host.click('dialog[data-confirm="recall"] [data-action="confirm"]');
    await host.waitForSelector('.breakout-panel[data-breakouts="idle"]');
  });
});

describe('ending the meeting asks first', () => {
  let teacher: Page;

  it('cancel (a click, Enter on the default, Escape) keeps the meeting going', async () => {
    teacher = await open('gv-dn-1');
    await teacher.goto(`${server.url}/m/${meetingId}`, { waitUntil: 'domcontentloaded' });
    await teacher.waitForSelector('[data-status="connected"]', { timeout: 30_000 });
    const end = '.meeting-bar [data-action="end-meeting"]';
    // A click: the dialog says what happens, focus on "Huỷ".
    await host.click(end);
    const dialog = await host.waitForSelector('dialog[data-confirm="end-meeting"][open]');
    expect(await dialog.getAttribute('role')).toBe('alertdialog');
    expect(await dialog.getAttribute('aria-modal')).toBe('true');
    const text = (await dialog.textContent())!;
    expect(text).toContain('Kết thúc hội nghị cho mọi người?');
    expect(text).toContain('Mọi người tham dự sẽ rời hội nghị ngay');
    expect(text).toContain('không mở lại được');
    expect(await focused(host)).toBe('cancel');
    await expectAccessible(host);
    await host.click('dialog[data-confirm="end-meeting"] [data-action="cancel"]');
    await host.waitForSelector('dialog[data-confirm="end-meeting"]', { state: 'detached' });
    // The keyboard: Enter right away is "Huỷ"; focus comes back to the button.
    await host.focus(end);
    await host.keyboard.press('Enter');
    await host.waitForSelector('dialog[data-confirm="end-meeting"][open]');
    await host.keyboard.press('Enter');
    await host.waitForSelector('dialog[data-confirm="end-meeting"]', { state: 'detached' });
    expect(await focused(host)).toBe('end-meeting');
    await host.keyboard.press('Enter');
    await host.waitForSelector('dialog[data-confirm="end-meeting"][open]');
    await host.keyboard.press('Escape');
    await host.waitForSelector('dialog[data-confirm="end-meeting"]', { state: 'detached' });
    expect(['open', 'live']).toContain(await meetingState());
    expect(await teacher.$('main.lobby.ended')).toBeNull();
    expect(await teacher.getAttribute('[data-status]', 'data-status')).toBe('connected');
  });

  it('on a phone (390×844) the dialog fits, its buttons are 44 px, and confirming ends the meeting for everyone', async () => {
    await host.setViewportSize({ width: 390, height: 844 });
    await host.click('.meeting-bar [data-action="end-meeting"]');
    const dialog = await host.waitForSelector('dialog[data-confirm="end-meeting"][open]');
    const box = (await dialog.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(390);
    expect(box.y + box.height).toBeLessThanOrEqual(844);
    for (const b of await dialog.$$('button')) {
      const r = (await b.boundingBox())!;
      expect(Math.min(r.width, r.height)).toBeGreaterThanOrEqual(44);
    }
    await expectAccessible(host);
    // Tab moves from "Huỷ" to the confirming button; it ends the meeting.
    await host.keyboard.press('Tab');
    expect(await focused(host)).toBe('confirm');
    await host.keyboard.press('Enter');
    for (const page of [host, teacher]) {
      await page.waitForSelector('main.lobby.ended[data-state="ended"]', { timeout: 30_000 });
      expect(await page.textContent('main.lobby.ended')).toContain(TITLE);
    }
    expect(await meetingState()).toBe('ended');
    // The length reads "N phút", never "N số phút".
    const summary = (await host.textContent('main.lobby.ended'))!;
    expect(summary).toMatch(/· \d+ phút/);
    expect(summary).not.toContain('số phút');
    await waitFor(async () => server.sockets.registry.get(meetingId), (m) => m === undefined, 10_000, 'the meeting closed on the node');
  });
});
