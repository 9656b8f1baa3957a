/**
 * End-to-end in Chromium: co-hosts are chosen by name (issue 23: they had to be typed as user
 * ids). The minister searches "vu truong" without diacritics, picks the Vụ trưởng from the staff
 * directory, adds and removes a province office, and saves; the meeting has the chosen co-host,
 * the edit form shows the name (not the id), and the co-host sees the meeting with a host's rights.
 * The form fits a phone (390×844); axe: 0 serious at both sizes.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer, tokenFor } from '../../harness/server';
import { closeAll, launchChromium, openAs } from '../../harness/browser';
import { expectAccessible } from '../helpers/a11y';

const TITLE = 'Họp giao ban có đồng chủ trì';
let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let host: Page;
let meetingId = '';

beforeAll(async () => {
  server = await startServer({ HOINGHI_WORKERS: '1', HOINGHI_DATA_DIR: 'memory://', HOINGHI_DEMO_SCHOOLS: '68', HOINGHI_DEMO_TEACHERS: '200' });
  browser = await launchChromium();
  host = await openAs(browser, contexts, server.url, 'bo-truong');
  await host.waitForSelector('main.meetings h1');
}, 120_000);

afterAll(() => closeAll(contexts, browser, server));

async function search(page: Page, text: string): Promise<void> {
  await page.fill('input[name="cohost-search"]', text);
}

describe('co-hosts chosen by name', () => {
  it('the minister finds the Vụ trưởng without diacritics, adds and removes a province office, and saves', async () => {
    await host.click('button.primary');
    await host.fill('input[name="title"]', TITLE);
    await search(host, 'vu truong');
    await host.click('[data-staff="vu-truong"]', { timeout: 10_000 });
    const chosen = host.locator('li[data-cohost="vu-truong"]');
    expect(await chosen.textContent()).toContain('Vụ trưởng (Co-host)');
    expect(await chosen.textContent()).toContain('Bộ GD&ĐT');
    expect(await host.inputValue('input[name="cohost-search"]')).toBe(''); // ready for the next one
    // One already chosen, or oneself, is not offered; a name nobody has says so.
    await search(host, 'truong');
    await host.waitForSelector('.cohosts [role="status"] .hint', { timeout: 10_000 });
    expect(await host.$('[data-staff="vu-truong"]')).toBeNull();
    expect(await host.$('[data-staff="bo-truong"]')).toBeNull();
    expect(await host.textContent('.cohosts [role="status"]')).toContain('Không tìm thấy');
    // A province office, added and removed again.
    await search(host, 'ha noi');
    await host.click('[data-staff="so-ha-noi"]', { timeout: 10_000 });
    expect(await host.textContent('li[data-cohost="so-ha-noi"]')).toContain('Sở GD&ĐT Hà Nội');
    await expectAccessible(host);
    await host.click('li[data-cohost="so-ha-noi"] button[data-action="remove-cohost"]');
    expect(await host.$('li[data-cohost="so-ha-noi"]')).toBeNull();

    await host.click('form.schedule-form button[type="submit"]');
    const card = await host.waitForSelector(`li.meeting-card:has-text("${TITLE}")`);
    meetingId = (await card.getAttribute('data-meeting'))!;
    const res = await fetch(`${server.url}/api/meetings/${meetingId}`, { headers: { authorization: `Bearer ${tokenFor(server, { sub: 'bo-truong', role: 'host' })}` } });
    expect(((await res.json()) as { coHosts: string[] }).coHosts).toEqual(['vu-truong']);
  });

  it('editing shows the co-host by name, and the co-host sees the meeting with a host\'s rights', async () => {
    await host.click(`li.meeting-card[data-meeting="${meetingId}"] button[data-action="edit"]`);
    await host.waitForSelector('li[data-cohost="vu-truong"]:has-text("Vụ trưởng (Co-host)")', { timeout: 10_000 });
    await host.click('form.schedule-form button[type="button"]:has-text("Huỷ")');

    const coHost = await openAs(browser, contexts, server.url, 'vu-truong');
    await coHost.waitForSelector(`li.meeting-card[data-meeting="${meetingId}"] button[data-action="edit"]`, { timeout: 20_000 });
  });

  it('the card\'s "add to calendar" downloads the invitation: Việt Nam time, title, join link; without a sign-in, none', async () => {
    const [file] = await Promise.all([
      host.waitForEvent('download'),
      host.click(`li.meeting-card[data-meeting="${meetingId}"] button[data-action="calendar"]`),
    ]);
    expect(file.suggestedFilename()).toBe(`hoi-nghi-${meetingId}.ics`);
    const text = fs.readFileSync((await file.path())!, 'utf8').replace(/\r\n /g, '');
    expect(text).toContain(`SUMMARY:${TITLE}`);
    expect(text).toMatch(/^DTSTART;TZID=Asia\/Ho_Chi_Minh:\d{8}T\d{6}\r$/m);
    expect(text).toContain(`URL:${server.url}/m/${meetingId}`);
    // The route answers only who may see the meeting.
    const invite = `${server.url}/api/meetings/${meetingId}/invite.ics`;
    expect((await fetch(invite)).status).toBe(401);
    const ok = await fetch(invite, { headers: { authorization: `Bearer ${tokenFor(server, { sub: 'vu-truong', role: 'host' })}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/calendar/);
  });

  it('the form fits a phone (390×844), accessible', async () => {
    await host.setViewportSize({ width: 390, height: 844 });
    try {
      await host.click('button.primary');
      await search(host, 'so');
      await host.waitForSelector('[data-staff="so-hcm"]', { timeout: 10_000 });
      expect(await host.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      const right = await host.$eval('[data-staff="so-hcm"]', (el) => el.getBoundingClientRect().right);
      expect(right).toBeLessThanOrEqual(390);
      await expectAccessible(host);
    } finally {
      await host.setViewportSize({ width: 1280, height: 800 });
    }
  });
});
