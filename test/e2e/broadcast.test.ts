/**
 * End-to-end in Debian's Chromium: a host publishes camera and microphone; three teachers in
 * separate browser contexts receive. Success is read from WebRTC stats, not from the DOM alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { closeAll, inboundStats, launchChromium, newContext, signIn, waitFor } from '../../harness/browser';

let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let host: Page;
const teachers: Page[] = [];
const TEACHERS = ['gv-hn-1', 'gv-hcm-1', 'gv-dn-1'];

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

beforeAll(async () => {
  server = await startServer({ HOINGHI_WORKERS: '2', HOINGHI_DEMO_MEETING: 'e2e-meeting' });
  browser = await launchChromium();
  const hostCtx = await newContext(browser);
  contexts.push(hostCtx);
  host = await hostCtx.newPage();
  await signIn(host, server.url, 'bo-truong');
  await host.click('button[data-control="camera"]');
  await host.click('button[data-control="mic"]');
  await host.waitForSelector('button[data-control="camera"][data-on="true"]');
  for (const id of TEACHERS) {
    const ctx = await newContext(browser);
    contexts.push(ctx);
    const page = await ctx.newPage();
    await signIn(page, server.url, id);
    teachers.push(page);
  }
}, 120_000);

afterAll(() => closeAll(contexts, browser, server));

describe('a host broadcasts to receive-only teachers', () => {
  it('every teacher decodes video frames that keep rising and receives audio packets', async () => {
    for (const page of teachers) {
      const first = await waitFor(() => inboundStats(page), (s) => s.framesDecoded > 0 && s.audioPacketsReceived > 0, 30_000, 'first frames');
      await waitFor(() => inboundStats(page), (s) => s.framesDecoded > first.framesDecoded && s.audioPacketsReceived > first.audioPacketsReceived, 10_000, 'frames and audio still rising');
      await page.waitForSelector('video[data-source="camera"][data-consumer-id]');
    }
    await waitFor(() => host.textContent('[data-testid="viewer-count"]'), (t) => t === '3', 10_000, 'host viewer count');
  });

  it('closes each teacher\'s video consumer when the host stops the camera', async () => {
    const consumersBefore = await metric('hoinghi_consumers');
    await host.click('button[data-control="camera"]');
    for (const page of teachers) {
      await page.waitForSelector('video[data-source="camera"]', { state: 'detached', timeout: 10_000 });
      const stats = await waitFor(() => inboundStats(page), (s) => Object.values(s.tracks).every((t) => t.kind !== 'video'), 10_000, 'video receiver gone');
      expect(stats.audioPacketsReceived).toBeGreaterThan(0);
    }
    expect(await metric('hoinghi_consumers')).toBe(consumersBefore - TEACHERS.length);
    // The camera comes back for everyone.
    await host.click('button[data-control="camera"]');
    for (const page of teachers) {
      await waitFor(() => inboundStats(page), (s) => s.framesDecoded > 0, 30_000, 'frames after restart');
    }
  });

  it('a teacher on a weak connection switches to audio only, and back', async () => {
    const page = teachers[2]!;
    await page.click('button[data-action="audio-only"]');
    await page.waitForSelector('video[data-source="camera"]', { state: 'detached', timeout: 10_000 });
    const a = await waitFor(() => inboundStats(page), (s) => Object.values(s.tracks).every((t) => t.kind !== 'video'), 10_000, 'no video receiver');
    await waitFor(() => inboundStats(page), (s) => s.audioPacketsReceived > a.audioPacketsReceived, 10_000, 'audio still arriving');
    await page.click('button[data-action="audio-only"]');
    await waitFor(() => inboundStats(page), (s) => s.framesDecoded > 0, 30_000, 'video back');
  });

  it('serves the page with its security headers, and nothing on it violates the policy', async () => {
    const page = teachers[1]!;
    const res = await page.goto(`${server.url}/teacher`);
    const headers = res!.headers();
    expect(headers['content-security-policy']).toContain("default-src 'self'");
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(headers['referrer-policy']).toBe('no-referrer');
    // The page works under the policy: media flows again after the navigation.
    await waitFor(() => inboundStats(page), (s) => s.framesDecoded > 0, 30_000, 'frames under CSP');
    for (const p of [host, ...teachers]) {
      expect(await p.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations)).toEqual([]);
    }
  });

  it('a teacher page reloaded mid-meeting receives again', async () => {
    const page = teachers[0]!;
    await page.reload();
    const first = await waitFor(() => inboundStats(page), (s) => s.framesDecoded > 0 && s.audioPacketsReceived > 0, 30_000, 'frames after reload');
    await waitFor(() => inboundStats(page), (s) => s.framesDecoded > first.framesDecoded, 10_000, 'frames still rising after reload');
    expect(page.url()).toMatch(/\/teacher$/);
    expect(await page.getAttribute('[role="status"]', 'data-status')).toBe('connected');
  });
});
