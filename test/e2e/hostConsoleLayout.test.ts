/**
 * End-to-end in Chromium, the host console laid out for a live meeting (issue 23). Tried as a new
 * user, the console was one column ~2,600 px tall: the hand queue and the speaker controls were far
 * below the fold and no hand count was near the top. Now, at 1280×800 without scrolling: what is
 * on air, the viewers, the raised hands (count and queue, with its buttons), the speakers and the
 * breakouts; questions, polls, participants and recordings in a side column that scrolls on its
 * own. On a phone (390×844) one column, nothing wider than the screen, and the hand count at the
 * top leads to the queue. axe: 0 serious at both sizes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { closeAll, launchChromium, openAs, waitFor } from '../../harness/browser';
import { expectAccessible } from '../helpers/a11y';

const MEETING = 'e2e-console-layout';
let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let host: Page;

const open = (accountId: string): Promise<Page> => openAs(browser, contexts, server.url, accountId);

/** Where each selector's element is, relative to the viewport, with the page scrolled to the top. */
async function placed(page: Page, selectors: Record<string, string>): Promise<Record<string, { top: number; bottom: number; left: number; right: number } | null>> {
  return page.evaluate((selectors) => {
    window.scrollTo(0, 0);
    const out: Record<string, { top: number; bottom: number; left: number; right: number } | null> = {};
    for (const [name, sel] of Object.entries(selectors)) {
      const el = document.querySelector(sel);
      const r = el?.getBoundingClientRect();
      out[name] = r && r.width > 0 ? { top: r.top, bottom: r.bottom, left: r.left, right: r.right } : null;
    }
    return out;
  }, selectors);
}

async function expectAboveTheFold(page: Page, selectors: Record<string, string>): Promise<void> {
  const { width, height } = page.viewportSize()!;
  const where = await placed(page, selectors);
  for (const [name, r] of Object.entries(where)) {
    expect(r, `${name} is on the page`).not.toBeNull();
    expect(r!.top, `${name} below the top`).toBeGreaterThanOrEqual(0);
    expect(r!.bottom, `${name} above the fold (${height}px)`).toBeLessThanOrEqual(height);
    expect(r!.right, `${name} inside the width`).toBeLessThanOrEqual(width);
  }
}

beforeAll(async () => {
  server = await startServer({ HOINGHI_WORKERS: '2', HOINGHI_DEMO_MEETING: MEETING });
  browser = await launchChromium();
  host = await open('bo-truong');
  await host.click('button[data-control="camera"]');
  await host.click('button[data-control="mic"]');
  await host.waitForSelector('[data-testid="on-air"]', { timeout: 20_000 });
  // One teacher speaks; two wait with their hands up.
  const speaker = await open('gv-hn-1');
  await speaker.click('button[data-action="hand"]');
  await host.locator('.queue-row[data-user-id="gv-hn-1"] button[data-action="invite"]').click({ timeout: 15_000 });
  await speaker.click('button[data-action="accept"]', { timeout: 15_000 });
  await host.waitForSelector('[data-speaker="gv-hn-1"][data-state="speaking"]', { timeout: 15_000 });
  for (const id of ['gv-hcm-1', 'gv-dn-1']) {
    const t = await open(id);
    await t.click('button[data-action="hand"]');
  }
  await host.waitForSelector('.queue-row[data-user-id="gv-dn-1"]', { timeout: 15_000 });
}, 180_000);

afterAll(() => closeAll(contexts, browser, server));

describe('the host console at 1280×800', () => {
  it('shows on air, viewers, hands (count and queue), speakers and breakouts without scrolling', async () => {
    expect(host.viewportSize()).toEqual({ width: 1280, height: 800 });
    await waitFor(() => host.textContent('[data-testid="hands-chip"] .big'), (t) => t === '2', 10_000, 'two hands on the chip');
    await expectAboveTheFold(host, {
      'the on-air badge': '[data-testid="on-air"]',
      'the viewers': '[data-testid="viewer-count"]',
      'the hand count': '[data-testid="hands-chip"]',
      'the queue\'s first hand': '.queue-row[data-user-id="gv-hcm-1"] button[data-action="invite"]',
      'the queue\'s second hand': '.queue-row[data-user-id="gv-dn-1"] button[data-action="invite-video"]',
      'lower all': 'button[data-action="lower-all"]',
      'the speaker\'s revoke': '[data-speaker="gv-hn-1"] button[data-action="revoke"]',
      'the breakouts\' start': 'button[data-action="start-breakouts"]',
      'the camera': 'button[data-control="camera"]',
    });
    // Nothing sideways; the side column (questions, polls, participants, recordings) scrolls by itself.
    expect(await host.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    const side = await host.$eval('.console-side', (el) => ({ overflowY: getComputedStyle(el).overflowY }));
    expect(side.overflowY).toBe('auto');
    await host.locator('.console-side .participants').scrollIntoViewIfNeeded();
    expect(await host.$eval('.console-side', (el) => el.scrollTop)).toBeGreaterThan(0); // the column moved, in itself
    await expectAccessible(host);
  });

  it('keeps the breakouts\' controls in sight while they run', async () => {
    await host.click('button[data-action="start-breakouts"]');
    await host.waitForSelector('.breakout-panel[data-breakouts="active"]', { timeout: 20_000 });
    await expectAboveTheFold(host, {
      'speak to all': 'button[data-action="speak-to-all"]',
      'recall': 'button[data-action="recall"]',
      'the hand count': '[data-testid="hands-chip"]',
    });
    await host.click('button[data-action="recall"]');
    await host.click('[data-confirm="recall"] button[data-action="confirm"]');
    await host.waitForSelector('.breakout-panel[data-breakouts="idle"]', { timeout: 20_000 });
  });
});

describe('the host console on a phone (390×844)', () => {
  it('is one column no wider than the screen, and the hand count at the top leads to the queue', async () => {
    await host.setViewportSize({ width: 390, height: 844 });
    try {
      expect(await host.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await expectAboveTheFold(host, { 'the on-air badge': '[data-testid="on-air"]', 'the hand count': '[data-testid="hands-chip"]' });
      const queueTop = (await placed(host, { queue: '#hand-queue' })).queue!.top;
      expect(queueTop).toBeGreaterThan(844); // further down the page on a phone
      await host.click('[data-testid="hands-chip"]');
      await waitFor(
        () => host.$eval('#hand-queue', (el) => el.getBoundingClientRect().top),
        (top) => top >= -1 && top < 200,
        10_000,
        'the queue scrolled into view',
      );
      expect(await host.evaluate(() => document.activeElement?.id)).toBe('hand-queue');
      // The queue's buttons fit the screen, side by side without overlapping.
      const buttons = await host.$$eval('.queue-row[data-user-id="gv-dn-1"] button', (els) => els.map((el) => el.getBoundingClientRect()).map((r) => ({ left: r.left, right: r.right })));
      expect(buttons).toHaveLength(3);
      for (const [i, b] of buttons.entries()) {
        expect(b.right).toBeLessThanOrEqual(390);
        if (i > 0) expect(b.left).toBeGreaterThanOrEqual(buttons[i - 1]!.right);
      }
      await expectAccessible(host);
    } finally {
      await host.setViewportSize({ width: 1280, height: 800 });
    }
  });
});
