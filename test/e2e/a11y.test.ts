/**
 * Every page in Chromium, checked with axe-core (WCAG 2.1 A/AA rules): zero serious or critical
 * violations on the sign-in page, the teacher page, the national host's console (with breakouts
 * running), the province host's console and the teacher page on a phone. On the phone (390×844)
 * the header stays within two lines and every button is at least 44 px square. No emoji are
 * left (they render as empty boxes in Debian's Chromium).
 */
import { afterAll, beforeAll, describe, it, vi } from 'vitest';

// Several browsers share two cores with the servers (and other engineers' tests): generous deadlines.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 400_000 });
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { closeAll, launchChromium, newContext, signIn, waitFor } from '../../harness/browser';
import { expectAccessible, expectPhoneLayout, phoneContext } from '../helpers/a11y';

const MEETING = 'e2e-a11y';
let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let national: Page;

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
  });

  it('the teacher page', async () => {
    const page = await openAs(browser, contexts, server.url, 'gv-hn-1');
    await page.waitForSelector('video[data-consumer-id]', { timeout: 20_000 });
    await expectAccessible(page);
  });

  it('the national host console, before and during breakouts', async () => {
    await national.waitForSelector('[data-testid="on-air"]', { timeout: 20_000 });
    await expectAccessible(national);
    await national.click('button[data-action="start-breakouts"]');
    await national.waitForSelector('.breakout-panel[data-breakouts="active"]');
    await expectAccessible(national);
  });

  it('the province host console in their breakout', async () => {
    const page = await openAs(browser, contexts, server.url, 'so-ha-noi');
    await page.waitForSelector('[data-session="01"]', { timeout: 15_000 });
    await page.click('button[data-control="camera"]');
    await page.waitForSelector('[data-testid="on-air"]', { timeout: 20_000 });
    await expectAccessible(page);
    await national.click('button[data-action="recall"]');
    await expectAccessible(national);
    await national.click('[data-confirm="recall"] button[data-action="confirm"]');
    await national.waitForSelector('.breakout-panel[data-breakouts="idle"]');
  });

  it('the teacher page on a phone: accessible, header within two lines, 44 px targets', async () => {
    const ctx = await phoneContext(browser, contexts);
    const page = await ctx.newPage();
    await signIn(page, server.url, 'gv-hcm-1');
    await page.waitForSelector('[data-status="connected"]', { timeout: 20_000 });
    await expectAccessible(page);
    await expectPhoneLayout(page);
    await waitFor(() => page.isVisible('button[data-action="audio-only"]'), (v) => v, 5_000, 'audio-only toggle');
  });
});
