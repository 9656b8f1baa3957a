/**
 * End-to-end in Chromium: the national host types captions in the console; a teacher at 1280×800
 * turns captions on (off by default), sees the line as it is typed and when finished, sets size and
 * colours, which are there again after a reload; the host corrects the line and the teacher sees
 * the correction; a teacher on a phone (390×844) sees the lines too. axe finds nothing serious on
 * either page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { closeAll, launchChromium, openAs, signIn, waitFor } from '../../harness/browser';
import { expectAccessible, expectPhoneLayout, phoneContext } from '../helpers/a11y';

const MEETING = 'e2e-captions';
let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let host: Page;
let teacher: Page;
let phone: Page;

const text = (page: Page, selector: string): Promise<string> => page.locator(selector).innerText().catch(() => '');

beforeAll(async () => {
  server = await startServer({ HOINGHI_DEMO_MEETING: MEETING });
  browser = await launchChromium();
  host = await openAs(browser, contexts, server.url, 'bo-truong');
  teacher = await openAs(browser, contexts, server.url, 'gv-hn-1');
  phone = await (await phoneContext(browser, contexts)).newPage();
  await signIn(phone, server.url, 'gv-hcm-1');
  await host.waitForSelector('[data-testid="captioner-input"]', { timeout: 30_000 });
  for (const p of [teacher, phone]) await p.waitForSelector('button[data-action="captions"]', { timeout: 30_000 });
}, 120_000);

afterAll(() => closeAll(contexts, browser, server));

describe('live captions in the browser', () => {
  it('are off for a teacher until turned on; then the line shows as it is typed and when sent', async () => {
    expect(await teacher.getAttribute('button[data-action="captions"]', 'aria-pressed')).toBe('false');
    expect(await teacher.locator('[data-testid="captions"]').count()).toBe(0);
    await teacher.click('button[data-action="captions"]');
    await teacher.waitForSelector('[data-testid="captions"]');
    const line = 'Kính chào các thầy cô giáo trên cả nước';
    await host.click('[data-testid="captioner-input"]');
    await host.keyboard.type(line.slice(0, 20), { delay: 15 });
    await waitFor(() => text(teacher, '[data-testid="captions"] [data-interim]'), (t) => t.length > 0 && line.startsWith(t), 10_000, 'the line as it is typed');
    await host.keyboard.type(line.slice(20), { delay: 15 });
    await host.keyboard.press('Enter');
    await waitFor(() => text(teacher, '[data-testid="captions"] [data-line]'), (t) => t === line, 10_000, 'the finished line');
    expect(await teacher.locator('[data-testid="captions"] [data-interim]').count()).toBe(0);
    // Screen readers hear the finished line once (polite), not the typing.
    expect(await text(teacher, '[data-testid="captions-announce"]')).toBe(line);
    expect(await teacher.getAttribute('[data-testid="captions-announce"]', 'aria-live')).toBe('polite');
    // The captioner sees what the audience sees, and the input is empty for the next line.
    expect(await host.inputValue('[data-testid="captioner-input"]')).toBe('');
    await waitFor(() => text(host, '[data-testid="captioner-preview"] [data-line]'), (t) => t === line, 10_000, 'the captioner\'s preview');
  });

  it('keeps the teacher\'s size and colours, applied, after a reload', async () => {
    await teacher.click('.cc-settings summary');
    await teacher.check('input[name="cc-size"][value="2"]');
    await teacher.check('input[name="cc-contrast"][value="yellow-on-black"]');
    const colours = (): Promise<{ color: string; background: string; size: number }> =>
      teacher.$eval('[data-testid="captions"]', (el) => {
        const line = el.querySelector('.cc-line') ?? el;
        return { color: getComputedStyle(el).color, background: getComputedStyle(el).backgroundColor, size: parseFloat(getComputedStyle(line).fontSize) };
      });
    const before = await colours();
    expect(before.color).toBe('rgb(255, 235, 59)');
    expect(before.background).toBe('rgb(0, 0, 0)');
    await teacher.reload();
    await teacher.waitForSelector('[data-testid="captions"][data-size="2"][data-contrast="yellow-on-black"]', { timeout: 30_000 });
    expect(await teacher.getAttribute('button[data-action="captions"]', 'aria-pressed')).toBe('true');
    // After the reload the last lines come back (late joiner).
    await waitFor(() => text(teacher, '[data-testid="captions"] [data-line]'), (t) => t.includes('Kính chào'), 15_000, 'the last line after a reload');
    expect(await colours()).toEqual(before);
    await expectAccessible(teacher);
  });

  it('shows a correction in place of the line, at the teacher and on a phone', async () => {
    await phone.click('button[data-action="captions"]');
    await host.click('.captioner-line');
    const edit = host.locator('[data-testid="captioner-edit"]');
    await edit.fill('Kính chào quý thầy cô giáo trên cả nước');
    await edit.press('Enter');
    for (const p of [teacher, phone]) {
      await waitFor(() => text(p, '[data-testid="captions"] [data-line]'), (t) => t === 'Kính chào quý thầy cô giáo trên cả nước', 10_000, 'the corrected line');
    }
    expect(await host.locator('.captioner-line').first().innerText()).toContain('Kính chào quý thầy cô');
    const box = await phone.locator('[data-testid="captions"]').boundingBox();
    expect(box!.width).toBeLessThanOrEqual(390);
    await expectPhoneLayout(phone);
    await expectAccessible(phone);
    await expectAccessible(host);
  });
});
