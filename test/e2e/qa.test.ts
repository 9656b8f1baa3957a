/**
 * End-to-end in Chromium: a teacher asks, another votes, the host sees the question on top and
 * pins it, and both teachers see it pinned; a question with markup shows as text; a poll launched
 * by the host is answered by three teachers of two provinces, and its results by province show
 * at the host and, once shown, at the teachers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { closeAll, launchChromium, openAs, waitFor } from '../../harness/browser';

const MEETING = 'e2e-qa';
let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let host: Page;
let lan: Page; // gv-hn-1, Hà Nội
let hong: Page; // gv-hcm-1, TP.HCM
let minh: Page; // gv-hn-2, Hà Nội

const open = (accountId: string): Promise<Page> => openAs(browser, contexts, server.url, accountId);
const shots = process.env.HOINGHI_SCREENSHOTS;

async function shoot(page: Page, name: string, selector?: string): Promise<void> {
  if (!shots) return;
  if (selector) await page.locator(selector).screenshot({ path: `${shots}/${name}.png` });
  else await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

beforeAll(async () => {
  server = await startServer({ HOINGHI_DEMO_MEETING: MEETING, HOINGHI_QA_PUBLIC_MS: '300', HOINGHI_QA_SUMMARY_MS: '200' });
  browser = await launchChromium();
  host = await open('bo-truong');
  lan = await open('gv-hn-1');
  hong = await open('gv-hcm-1');
  minh = await open('gv-hn-2');
  for (const p of [lan, hong, minh]) await p.waitForSelector('[data-testid="qa-panel"]', { timeout: 20_000 });
  await host.waitForSelector('[data-testid="qa-host-panel"]', { timeout: 20_000 });
}, 120_000);

afterAll(() => closeAll(contexts, browser, server));

describe('questions and polls in the browser', () => {
  it('a question asked and voted for reaches the top of the host’s list; pinned, both teachers see it', async () => {
    const text = 'Khi nào Bộ ban hành hướng dẫn đánh giá học sinh tiểu học?';
    await lan.fill('[data-testid="qa-input"]', text);
    await lan.click('button[data-action="qa-ask"]');
    const row = hong.locator('[data-testid="qa-panel"] li[data-question]', { hasText: text });
    await row.waitFor({ timeout: 10_000 });
    await row.locator('button[data-action="qa-vote"]').click();
    await row.locator('button[data-action="qa-vote"][aria-pressed="true"]').waitFor({ timeout: 10_000 });
    // A second question with no votes goes below it.
    await minh.fill('[data-testid="qa-input"]', 'Có tài liệu tập huấn không?');
    await minh.click('button[data-action="qa-ask"]');
    const first = host.locator('[data-testid="qa-host-panel"] li[data-question]').first();
    await waitFor(() => host.locator('[data-testid="qa-host-panel"] li[data-question]').count(), (n) => n === 2, 10_000, 'two questions at the host');
    await waitFor(() => first.textContent(), (t) => (t ?? '').includes(text) && (t ?? '').startsWith('1'), 10_000, 'the voted question on top with 1 vote');
    await first.locator('button[data-action="qa-pin"]').click();
    for (const p of [lan, hong]) {
      const banner = p.locator('[data-testid="qa-pinned"]');
      await banner.waitFor({ timeout: 10_000 });
      expect(await banner.textContent()).toContain(text);
    }
    await shoot(host, 'qa-host', '[data-testid="qa-host-panel"]');
  });

  it('a question with markup shows as text, and nothing of it runs', async () => {
    const markup = '<img src=x onerror="window.__xss=1"><b>đậm</b>';
    await minh.fill('[data-testid="qa-input"]', markup);
    await minh.click('button[data-action="qa-ask"]');
    const hostRow = host.locator('[data-testid="qa-host-panel"] li[data-question]', { hasText: 'onerror' });
    await hostRow.waitFor({ timeout: 10_000 });
    expect(await hostRow.locator('.qa-text').textContent()).toBe(markup);
    const teacherRow = hong.locator('[data-testid="qa-panel"] li[data-question]', { hasText: 'onerror' });
    await teacherRow.waitFor({ timeout: 10_000 });
    expect(await teacherRow.locator('.qa-text').textContent()).toBe(markup);
    for (const p of [host, hong, minh]) {
      expect(await p.locator('.qa-area img, .qa-area b').count()).toBe(0);
      expect(await p.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    }
  });

  it('a poll answered by three teachers of two provinces shows its results by province', async () => {
    await host.fill('[data-testid="poll-question"]', 'Trường thầy cô đã có phòng máy chưa?');
    await host.fill('[data-testid="poll-option-0"]', 'Đã có');
    await host.fill('[data-testid="poll-option-1"]', 'Chưa có');
    await host.click('button[data-action="poll-create-launch"]');
    const votes: [Page, number][] = [
      [lan, 0],
      [hong, 1],
      [minh, 1],
    ];
    for (const [page, option] of votes) {
      const panel = page.locator('[data-testid="poll-panel"]');
      await panel.locator(`input[data-option="${option}"]`).check({ timeout: 10_000 });
      await panel.locator('button[data-action="poll-vote"]').click();
      await panel.locator('[data-testid="poll-voted"]').waitFor({ timeout: 10_000 });
    }
    const table = host.locator('[data-testid="poll-host-panel"] [data-testid="poll-by-province"]');
    await waitFor(() => table.locator('tbody tr').count(), (n) => n === 2, 10_000, 'two provinces at the host');
    const cells = async (page: Page, scope: string, province: string) =>
      page.locator(`${scope} [data-testid="poll-by-province"] tr[data-province="${province}"] td`).allTextContents();
    await waitFor(() => cells(host, '[data-testid="poll-host-panel"]', '01'), (c) => c.join('/') === '2/1/1', 10_000, 'Hà Nội: 2 voters, 1 and 1');
    expect(await cells(host, '[data-testid="poll-host-panel"]', '79')).toEqual(['1', '0', '1']);
    // Before the host shows them, teachers do not see the results; then they do.
    expect(await lan.locator('[data-testid="poll-results"]').count()).toBe(0);
    await host.click('[data-testid="poll-host-panel"] button[data-action="poll-show"]');
    for (const p of [lan, hong]) {
      await waitFor(() => cells(p, '[data-testid="poll-panel"]', '79'), (c) => c.join('/') === '1/0/1', 10_000, 'results shown to teachers');
      expect(await cells(p, '[data-testid="poll-panel"]', '01')).toEqual(['2', '1', '1']);
    }
    await shoot(host, 'qa-poll-host', '[data-testid="poll-host-panel"]');
    if (shots) {
      await host.setViewportSize({ width: 390, height: 844 });
      await lan.setViewportSize({ width: 390, height: 844 });
      await shoot(host, 'qa-host-mobile');
      await shoot(lan, 'qa-teacher-mobile');
    }
  });
});
