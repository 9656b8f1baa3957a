/**
 * End-to-end in Chromium, the connection as a teacher sees it: every state says why, with a
 * countdown to the next attempt; a hand click made while disconnected is applied after the
 * reconnect, and the button always says what it will send; signing in elsewhere does not make
 * two tabs take turns; server errors are shown translated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { closeAll, launchChromium, newContext, openAs, signIn, waitFor } from '../../harness/browser';
import { sleep } from '../../harness/wait';

const MEETING = 'e2e-ux-connection';
let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let host: Page;

const open = (accountId: string): Promise<Page> => openAs(browser, contexts, server.url, accountId);
const status = (page: Page): Promise<string | null> => page.getAttribute('[data-status]', 'data-status');

/** Whether the meeting store has this participant's hand up in the main session. */
async function handRaised(userId: string): Promise<boolean> {
  return (await server.sockets.registry.get(MEETING)?.state.handRaised('main', userId)) ?? false;
}

/** The server-side socket of a participant. */
function socketOf(userId: string) {
  const peer = server.sockets.registry.get(MEETING)?.peers.get(userId);
  return peer ? server.sockets.io.sockets.sockets.get(peer.socketId) : undefined;
}

beforeAll(async () => {
  server = await startServer({ HOINGHI_DEMO_MEETING: MEETING });
  browser = await launchChromium();
  host = await open('bo-truong');
}, 120_000);

afterAll(() => closeAll(contexts, browser, server));

describe('the connection, explained', () => {
  it('applies a hand click made while disconnected once the connection is back', async () => {
    const teacher = await open('gv-hn-2');
    await teacher.waitForSelector('[data-status="connected"]');
    const ctx = teacher.context();
    // The network goes away: the server loses the socket, and reconnecting fails for now.
    // The server's side of the connection, once the roster points at a live socket (a page that
    // has just joined may still be replacing an earlier socket of its own).
    const serverSocket = await waitFor(async () => socketOf('gv-hn-2'), (sock) => sock !== undefined && sock.connected, 10_000, 'the teacher\'s socket on the server');
    await ctx.setOffline(true);
    serverSocket!.disconnect(true);
    await waitFor(() => status(teacher), (s) => s === 'reconnecting', 10_000, 'reconnecting');
    await teacher.waitForSelector('[data-testid="retry-in"]');
    await teacher.click('button[data-action="hand"]');
    // The button shows the wish (raised) and says it waits for the connection.
    await teacher.waitForSelector('button[data-action="hand"][data-raised="true"][data-pending="true"]');
    await teacher.waitForSelector('[data-testid="hand-pending"]');
    expect(await handRaised('gv-hn-2')).toBe(false);
    await ctx.setOffline(false);
    await teacher.click('button[data-action="reconnect"]');
    await waitFor(() => status(teacher), (s) => s === 'connected', 20_000, 'connected again');
    await waitFor(() => handRaised('gv-hn-2'), (v) => v, 10_000, 'hand raised on the server');
    await teacher.waitForSelector('button[data-action="hand"][data-raised="true"][data-pending="false"]');
    await waitFor(() => host.textContent('[data-testid="hand-total"]'), (t) => t === '1', 10_000, 'the host sees the hand');
    // The button reads "lower hand", and that is what it sends.
    expect(await teacher.textContent('button[data-action="hand"]')).toContain('Hạ tay');
    await teacher.click('button[data-action="hand"]');
    await waitFor(() => handRaised('gv-hn-2'), (v) => !v, 10_000, 'hand lowered on the server');
  });

  it('says "reconnecting in N s" after a drop, and connects again by itself', async () => {
    const teacher = await open('gv-dn-1');
    await teacher.waitForSelector('[data-status="connected"]');
    socketOf('gv-dn-1')!.disconnect(true);
    await waitFor(() => status(teacher), (s) => s === 'reconnecting', 10_000, 'reconnecting');
    expect(await teacher.textContent('[data-testid="retry-in"]')).toMatch(/thử lại sau \d+ giây|đang thử lại/);
    await waitFor(() => status(teacher), (s) => s === 'connected', 20_000, 'connected again');
  });

  it('says the teacher was disconnected for flooding, and tries again after a pause', async () => {
    const teacher = await open('gv-cm-1');
    await teacher.waitForSelector('[data-status="connected"]');
    const socket = socketOf('gv-cm-1')!;
    socket.emit('disconnectReason', { reason: 'flooding' });
    socket.disconnect(true);
    await waitFor(() => status(teacher), (s) => s === 'flooded', 10_000, 'flooded');
    expect(await teacher.textContent('[data-status]')).toContain('gửi quá nhiều yêu cầu');
    expect(await teacher.textContent('[data-testid="retry-in"]')).toMatch(/thử lại sau \d+ giây/);
  });

  it('says the account was opened elsewhere, and does not take the meeting back by itself', async () => {
    const first = await open('gv-lc-1');
    await first.waitForSelector('[data-status="connected"]');
    const second = await open('gv-lc-1');
    await second.waitForSelector('[data-status="connected"]');
    await waitFor(() => status(first), (s) => s === 'replaced', 10_000, 'first tab replaced');
    expect(await first.textContent('[data-status]')).toContain('thiết bị hoặc thẻ khác');
    // No flapping: a few seconds later both are where they were. Deliberate: "no flapping" has
    // no event to wait for; 4 s covers the client's first reconnect attempts.
    await sleep(4_000);
    expect(await status(first)).toBe('replaced');
    expect(await status(second)).toBe('connected');
    // "Use here" takes it back on purpose.
    await first.click('button[data-action="reconnect"]');
    await waitFor(() => status(first), (s) => s === 'connected', 15_000, 'first tab back');
    await waitFor(() => status(second), (s) => s === 'replaced', 10_000, 'second tab replaced');
  });

  it('says the meeting is full and keeps retrying', async () => {
    const full = await startServer({ HOINGHI_DEMO_MEETING: MEETING, HOINGHI_MAX_PARTICIPANTS: '1' });
    try {
      const ctxA = await newContext(browser);
      const ctxB = await newContext(browser);
      contexts.push(ctxA, ctxB);
      const a = await ctxA.newPage();
      await signIn(a, full.url, 'gv-hn-1');
      await a.waitForSelector('[data-status="connected"]');
      const b = await ctxB.newPage();
      await signIn(b, full.url, 'gv-hcm-2');
      await waitFor(() => status(b), (s) => s === 'full', 15_000, 'full');
      expect(await b.textContent('[data-status]')).toContain('Hội nghị đã đủ người');
      await b.waitForSelector('[data-testid="retry-in"]');
      await ctxA.close();
      await waitFor(() => status(b), (s) => s === 'connected', 30_000, 'admitted once there is room');
      await ctxB.close();
    } finally {
      await full.close();
    }
  });

  it('shows a refused sign-in in Vietnamese, with the wait', async () => {
    const ctx = await newContext(browser);
    contexts.push(ctx);
    const page = await ctx.newPage();
    await page.route('**/api/demo/signin', (route) =>
      route.fulfill({ status: 429, headers: { 'retry-after': '7', 'content-type': 'application/json' }, body: JSON.stringify({ error: { code: 'rate_limited', message: 'too many requests' } }) }),
    );
    await page.goto(server.url);
    await page.click('button[data-account="gv-hn-1"]');
    const text = await page.textContent('[data-testid="signin-error"]');
    expect(text).toBe('Quá nhiều yêu cầu — vui lòng thử lại sau 7 giây.');
    expect(text).not.toContain('too many');
  });
});
