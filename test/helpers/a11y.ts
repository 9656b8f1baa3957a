/**
 * Accessibility and phone-layout checks shared by the Chromium tests: axe-core run in the page
 * (WCAG 2.1 A/AA and best-practice rules), and the phone rules of issue 11 (a header of at most
 * two lines with its title on one, touch targets of at least 44 px, no sideways scrolling).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { expect } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { instrument } from '../../harness/browser';

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Emoji render as empty boxes in Debian's Chromium: none may be left. */
export const EMOJI = /[\u{1F300}-\u{1FAFF}\u{2600}-\u{27BF}]/u;

export interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core run in the page (evaluated through DevTools, so the page's CSP does not apply). */
export async function axe(page: Page): Promise<Violation[]> {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run: (ctx: Document, opts: unknown) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
}

/** Zero serious or critical violations, and no emoji. */
export async function expectAccessible(page: Page): Promise<void> {
  const serious = (await axe(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious, JSON.stringify(serious, null, 1)).toEqual([]);
  expect(EMOJI.test((await page.textContent('body')) ?? '')).toBe(false);
}

/** A phone-sized context (390×844, touch), with camera and microphone allowed. */
export async function phoneContext(browser: Browser, contexts: BrowserContext[]): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
  await ctx.grantPermissions(['camera', 'microphone']);
  // WebRTC stats readable on a phone too (inboundStats).
  await instrument(ctx);
  contexts.push(ctx);
  ctx.setDefaultNavigationTimeout(120_000);
  ctx.setDefaultTimeout(90_000);
  return ctx;
}

/** The header's rows, the title's lines and width, and the header's height. */
export function headerLayout(page: Page): Promise<{ rows: number; brandLines: number; brandWidth: number; height: number }> {
  return page.$eval('header.topbar', (h) => {
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
    const box = brand.getBoundingClientRect();
    return { rows: rows.length, brandLines: Math.round(box.height / line), brandWidth: box.width, height: h.getBoundingClientRect().height };
  });
}

/** Buttons, fields and button-like links smaller than 44 px either way (check boxes and radios go by their label). */
export function smallTargets(page: Page): Promise<string[]> {
  return page.$$eval('button, select, input:not([type="checkbox"]):not([type="radio"]), a.button', (els) =>
    els
      .map((e) => ({ what: e.getAttribute('data-action') ?? e.textContent?.trim().slice(0, 30) ?? e.tagName, r: e.getBoundingClientRect() }))
      .filter(({ r }) => r.width > 0 && (r.width < 44 || r.height < 44))
      .map(({ what, r }) => `${what} ${Math.round(r.width)}x${Math.round(r.height)}`),
  );
}

/** The phone rules: header within two lines (title on one), 44 px targets, nothing wider than the screen. */
export async function expectPhoneLayout(page: Page): Promise<void> {
  const header = await headerLayout(page);
  expect(header.rows).toBeLessThanOrEqual(2);
  expect(header.brandLines).toBe(1);
  // The title keeps room to be read (not squeezed to its first letter).
  expect(header.brandWidth).toBeGreaterThan(150);
  expect(header.height).toBeLessThan(130);
  expect(await smallTargets(page)).toEqual([]);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
}
