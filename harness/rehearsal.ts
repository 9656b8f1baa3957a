/**
 * A rehearsal of a produced broadcast, in Chromium, on a running node: the national host turns
 * backstage on and names the crew from the participant list (a presenter, a sign-language
 * interpreter, a captioner), two presenters and the interpreter publish, a studio encoder
 * publishes over WHIP (whip-whep's client), the host puts itself and the encoder side by side on
 * the stage and goes live, a teacher on a phone turns on sign language and captions, and the
 * captioner writes a line. Used by test/e2e/rehearsal.test.ts (which checks what each sees) and
 * scripts/screenshots.ts (the README's pictures).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../signaling/server';
import { instrument, newContext, signIn, waitFor } from './browser';
import { openEncoder, publishOverWhip } from './whipEncoder';

export interface Rehearsal {
  host: Page;
  presenter: Page;
  interpreter: Page;
  captioner: Page;
  /** A teacher on a phone (390×844) with sign language and captions on. */
  teacher: Page;
  encoder: Page;
  /** The encoder's stage key (its presenter id). */
  encoderKey: string;
  /** The line the captioner wrote. */
  caption: string;
}

export const REHEARSAL_CAPTION = 'Kính chào quý thầy cô giáo trên cả nước.';

async function page(browser: Browser, contexts: BrowserContext[], baseUrl: string, account: string, phone = false): Promise<Page> {
  const ctx = phone ? await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true }) : await newContext(browser);
  if (phone) {
    await ctx.grantPermissions(['camera', 'microphone']);
    await instrument(ctx);
  }
  contexts.push(ctx);
  const p = await ctx.newPage();
  await signIn(p, baseUrl, account);
  return p;
}

function publishedBy(server: HoinghiServer, meetingId: string, match: (peerId: string) => boolean): string[] {
  return [...(server.sockets.registry.get(meetingId)?.published.values() ?? [])].filter((p) => match(p.peerId)).map((p) => p.peerId);
}

export async function stageRehearsal(server: HoinghiServer, browser: Browser, contexts: BrowserContext[], meetingId: string): Promise<Rehearsal> {
  const base = server.url;
  const host = await page(browser, contexts, base, 'bo-truong');
  const presenter = await page(browser, contexts, base, 'gv-hn-2');
  const interpreter = await page(browser, contexts, base, 'gv-hcm-2');
  const captioner = await page(browser, contexts, base, 'gv-hcm-1');
  const teacher = await page(browser, contexts, base, 'gv-hn-1', true);

  // Backstage first: nothing reaches teachers until the stage is live.
  await host.waitForSelector('[data-testid="producer-panel"]');
  await host.click('button[data-action="backstage-on"]');
  await host.waitForSelector('[data-testid="producer-panel"][data-backstage="true"]');
  await host.click('button[data-control="camera"]');
  await host.click('button[data-control="mic"]');

  // The crew, named from the participant list.
  for (const [who, role] of [['gv-hn-2', 'presenter'], ['gv-hcm-2', 'interpreter'], ['gv-hcm-1', 'captioner']] as const) {
    const select = `li[data-participant="${who}"] select[data-action="crew-role"]`;
    await host.waitForSelector(select, { timeout: 30_000 });
    await host.selectOption(select, role);
    await host.waitForSelector(`li[data-crew="${who}"][data-role="${role}"]`, { timeout: 20_000 });
  }
  await presenter.waitForSelector('main.presenter-console[data-crew-role="presenter"]', { timeout: 20_000 });
  await presenter.click('button[data-control="camera"]');
  await presenter.click('button[data-control="mic"]');
  await interpreter.waitForSelector('main.presenter-console[data-crew-role="interpreter"]', { timeout: 20_000 });
  await interpreter.click('button[data-control="camera"]');

  // The studio encoder: a token minted for it by the host, then WHIP.
  const hostToken = server.tokens.issue({ sub: 'bo-truong', name: 'Bộ trưởng (Host)', role: 'host', province: null, school: null, meetings: [meetingId] }, 600);
  const minted = await fetch(`${base}/api/meetings/${encodeURIComponent(meetingId)}/ingest-tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${hostToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Trường quay Bộ GD&ĐT' }),
  });
  if (minted.status !== 201) throw new Error(`minting an ingest token: ${minted.status} ${await minted.text()}`);
  const { token } = (await minted.json()) as { token: string };
  const encoder = await openEncoder(browser, contexts, base);
  await publishOverWhip(encoder, `${base}/whip/${meetingId}`, token);
  const [encoderKey] = await waitFor(async () => publishedBy(server, meetingId, (id) => id.startsWith('whip:')), (ids) => ids.length > 0, 30_000, 'the encoder published');

  // The stage: the host and the encoder side by side, live now.
  for (const key of ['bo-truong', encoderKey!]) {
    await host.waitForSelector(`li[data-stage-key="${key}"] button[data-action="put-on"]`, { timeout: 30_000 });
    await host.click(`li[data-stage-key="${key}"] button[data-action="put-on"]`);
    await host.waitForSelector(`li[data-stage-key="${key}"][data-on-stage="true"]`);
  }
  // A controlled radio: checked once the server has the new layout (not at the click).
  await host.click('input[name="stage-layout"][value="sideBySide"]');
  await host.waitForSelector('input[name="stage-layout"][value="sideBySide"]:checked', { timeout: 10_000 });
  await host.click('button[data-action="go-live-now"]');
  await host.waitForSelector('[data-testid="producer-panel"][data-live="true"]', { timeout: 10_000 });

  // The teacher: sign language and captions on (both remembered on this phone).
  await teacher.waitForSelector('button[data-action="interpreter"]');
  await teacher.click('button[data-action="interpreter"]');
  await teacher.waitForSelector('button[data-action="captions"]');
  await teacher.click('button[data-action="captions"]');

  // The captioner writes a line.
  await captioner.waitForSelector('[data-testid="captioner-input"]', { timeout: 20_000 });
  await captioner.click('[data-testid="captioner-input"]');
  await captioner.keyboard.type(REHEARSAL_CAPTION);
  await captioner.keyboard.press('Enter');
  return { host, presenter, interpreter, captioner, teacher, encoder, encoderKey: encoderKey!, caption: REHEARSAL_CAPTION };
}
