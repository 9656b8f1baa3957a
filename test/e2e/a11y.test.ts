/**
 * Every page in Chromium, checked with axe-core (WCAG 2.1 A/AA rules): zero serious or critical
 * violations on the sign-in page, the teacher page, the national host's console (with breakouts
 * running), the province host's console and the teacher page on a phone. On the phone (390×844)
 * the header stays within two lines and every button is at least 44 px square. No emoji are
 * left (they render as empty boxes in Debian's Chromium).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Several browsers share two cores with the servers (and other engineers' tests): generous deadlines.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 400_000 });
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../helpers/server';
import { closeAll, launchChromium, newContext, signIn, waitFor } from '../helpers/browser';

const MEETING = 'e2e-a11y';
const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let national: Page;

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core run in the page (evaluated through DevTools, so the page's CSP does not apply). */
async function axe(page: Page): Promise<Violation[]> {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run: (ctx: Document, opts: unknown) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
}

async function expectAccessible(page: Page): Promise<void> {
  const serious = (await axe(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious, JSON.stringify(serious, null, 1)).toEqual([]);
}

/** A person in a fresh context, with generous deadlines (the machine is shared and loaded). */
async function openAs(_browser: Browser, list: BrowserContext[], url: string, accountId: string): Promise<Page> {
  const ctx = await newContext(browser);
  list.push(ctx);
  ctx.setDefaultNavigationTimeout(120_000);
  ctx.setDefaultTimeout(90_000);
  const page = await ctx.newPage();
  await signIn(page, url, accountId);
  return page;
}

const EMOJI = /[\u{1F300}-\u{1FAFF}\u{2600}-\u{27BF}]/u;

beforeAll(async () => {
  server = await startServer({ HOINGHI_DEMO_MEETING: MEETING });
  browser = await launchChromium();
  national = await openAs(browser, contexts, server.url, 'bo-truong');
  await national.click('button[data-control="camera"]');
  await national.click('button[data-control="mic"]');
}, 120_000);

afterAll(() => closeAll(contexts, browser, server));

describe('accessibility of every page', () => {
  it('the sign-in page', async () => {
    const ctx = await newContext(browser);
    contexts.push(ctx);
    const page = await ctx.newPage();
    await page.goto(server.url);
    await page.waitForSelector('button[data-account]');
    await expectAccessible(page);
    expect(EMOJI.test((await page.textContent('body')) ?? '')).toBe(false);
  });

  it('the teacher page', async () => {
    const page = await openAs(browser, contexts, server.url, 'gv-hn-1');
    await page.waitForSelector('video[data-consumer-id]', { timeout: 20_000 });
    await expectAccessible(page);
    expect(EMOJI.test((await page.textContent('body')) ?? '')).toBe(false);
  });

  it('the national host console, before and during breakouts', async () => {
    await national.waitForSelector('[data-testid="on-air"]', { timeout: 20_000 });
    await expectAccessible(national);
    await national.click('button[data-action="start-breakouts"]');
    await national.waitForSelector('.breakout-panel[data-breakouts="active"]');
    await expectAccessible(national);
    expect(EMOJI.test((await national.textContent('body')) ?? '')).toBe(false);
  });

  it('the province host console in their breakout', async () => {
    const page = await openAs(browser, contexts, server.url, 'so-ha-noi');
    await page.waitForSelector('[data-session="01"]', { timeout: 15_000 });
    await page.click('button[data-control="camera"]');
    await page.waitForSelector('[data-testid="on-air"]', { timeout: 20_000 });
    await expectAccessible(page);
    await national.click('button[data-action="recall"]');
    await national.waitForSelector('.breakout-panel[data-breakouts="idle"]');
  });

  it('the teacher page on a phone: accessible, header within two lines, 44 px targets', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
    contexts.push(ctx);
    ctx.setDefaultNavigationTimeout(120_000);
    ctx.setDefaultTimeout(90_000);
    const page = await ctx.newPage();
    await signIn(page, server.url, 'gv-hcm-1');
    await page.waitForSelector('[data-status="connected"]', { timeout: 20_000 });
    await expectAccessible(page);
    const header = await page.$eval('header.topbar', (h) => {
      const kids = [...h.children].filter((c) => (c as HTMLElement).offsetParent !== null || c.getClientRects().length > 0);
      // Rows: boxes that overlap vertically share a row.
      const boxes = kids.map((c) => c.getBoundingClientRect()).sort((a, b) => a.top - b.top);
      const rows: { bottom: number }[] = [];
      for (const b of boxes) {
        const row = rows[rows.length - 1];
        if (row && b.top < row.bottom - 1) row.bottom = Math.max(row.bottom, b.bottom);
        else rows.push({ bottom: b.bottom });
      }
      const brand = h.querySelector('.brand')!;
      const line = parseFloat(getComputedStyle(brand).lineHeight) || parseFloat(getComputedStyle(brand).fontSize) * 1.3;
      return { rows: rows.length, brandLines: Math.round(brand.getBoundingClientRect().height / line), height: h.getBoundingClientRect().height };
    });
    expect(header.rows).toBeLessThanOrEqual(2);
    expect(header.brandLines).toBe(1);
    expect(header.height).toBeLessThan(130);
    const small = await page.$$eval('button, select, input:not([type="checkbox"])', (els) =>
      els
        .map((e) => ({ what: e.getAttribute('data-action') ?? e.textContent?.trim().slice(0, 30), r: e.getBoundingClientRect() }))
        .filter(({ r }) => r.width > 0 && (r.width < 44 || r.height < 44))
        .map(({ what, r }) => `${what} ${Math.round(r.width)}x${Math.round(r.height)}`),
    );
    expect(small).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await waitFor(() => page.isVisible('button[data-action="audio-only"]'), (v) => v, 5_000, 'audio-only toggle');
  });
});
