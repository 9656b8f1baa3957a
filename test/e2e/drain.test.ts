/**
 * End-to-end in Chromium through HAProxy: a host and a teacher are on signaling node A; a second
 * node B comes up; A drains. Both pages show the explained "moving" state, reconnect through
 * HAProxy to B and rejoin without a reload; the host's page republishes and the teacher decodes
 * frames again, on new tracks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { freePort } from '../../harness/cluster';
import { startHaproxy, type HaproxyProcess } from '../../harness/haproxy';
import { closeAll, framesOnNewTracks, framesRise, launchChromium, openAs, trackIds, waitFor } from '../../harness/browser';

const MEETING = 'e2e-drain';
const env = {
  HOINGHI_DEMO_MEETING: MEETING,
  HOINGHI_TRUSTED_PROXIES: '127.0.0.1',
  HOINGHI_DRAIN_WINDOW_MS: '3000',
  HOINGHI_DRAIN_DEADLINE_MS: '60000',
};
let a: HoinghiServer;
let b: HoinghiServer | undefined;
let bPort: number;
let haproxy: HaproxyProcess;
let browser: Browser;
const contexts: BrowserContext[] = [];
let host: Page;
let teacher: Page;

const hostPort = (s: HoinghiServer): string => new URL(s.url).host;
const joinedOn = (s: HoinghiServer | undefined, userId: string): boolean => s?.sockets.registry.get(MEETING)?.peers.has(userId) ?? false;

beforeAll(async () => {
  a = await startServer(env);
  // B's port is known to HAProxy from the start; B itself starts later (until then it is down).
  bPort = await freePort();
  haproxy = await startHaproxy([hostPort(a), `127.0.0.1:${bPort}`]);
  await haproxy.waitFor(hostPort(a), 'UP');
  await haproxy.waitFor(`127.0.0.1:${bPort}`, 'DOWN');
  browser = await launchChromium();
  host = await openAs(browser, contexts, haproxy.url, 'bo-truong');
  await host.click('button[data-control="camera"]');
  teacher = await openAs(browser, contexts, haproxy.url, 'gv-hn-1');
}, 120_000);

afterAll(async () => {
  await closeAll(contexts, browser, undefined);
  await haproxy?.stop();
  await b?.close();
  await a?.close();
});

describe('a draining node behind HAProxy', () => {
  it('moves the host and a teacher to the other node without a reload, and the teacher sees the broadcast again', async () => {
    await framesRise(teacher, 'teacher frames on A');
    expect(joinedOn(a, 'gv-hn-1') && joinedOn(a, 'bo-truong')).toBe(true);
    b = await startServer({ ...env, HOINGHI_PORT: String(bPort) });
    await haproxy.waitFor(hostPort(b), 'UP');
    for (const p of [host, teacher]) await p.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
    const oldTracks = await trackIds(teacher);
    const movingShown = teacher.waitForSelector('[data-status="moving"]', { timeout: 20_000 });

    const drained = a.drain();
    const status = await movingShown;
    expect(await status.textContent()).toContain('Đang chuyển sang máy chủ khác');
    expect(await status.getAttribute('title')).toContain('không cần tải lại trang');
    const nodeB = b;
    await waitFor(async () => joinedOn(nodeB, 'gv-hn-1') && joinedOn(nodeB, 'bo-truong'), (v) => v, 30_000, 'host and teacher joined on B');
    await waitFor(() => framesOnNewTracks(teacher, oldTracks), (n) => n > 0, 30_000, 'teacher frames on B');
    const first = await framesOnNewTracks(teacher, oldTracks);
    await waitFor(() => framesOnNewTracks(teacher, oldTracks), (n) => n > first, 15_000, 'teacher frames on B, rising');
    await teacher.waitForSelector('[data-status="connected"]', { timeout: 20_000 });
    for (const p of [host, teacher]) expect(await p.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    expect(await drained).toBe('empty');
  });
});
