/**
 * End-to-end in Chromium (issue 24): a teacher signs in with the ministry's account. A real
 * OpenID Provider (oidc-provider, in this process) stands for the ministry's; the node has the
 * demo records in its database (gv-hn-1 is a teacher of Hà Nội) and the demo sign-in too, marked
 * "Demo".
 *
 * - Signed out at a join link: the sign-in page offers "Đăng nhập bằng tài khoản Bộ GD&ĐT"
 *   (accessible at 1280×800 and 390×844); the provider's form; back at the same link, connected.
 *   No token in any URL.
 * - Short access tokens (30 s) renew through the session while the minister is on air (her video keeps arriving, on the same tracks): the socket
 *   stays connected across several rotations.
 * - A tab that lost its stored token (a new tab, cleared storage) resumes from the session.
 * - Sign-out ends the socket and the session: the page shows the sign-in, and a refresh fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { freePort } from '../../harness/cluster';
import { closeAll, framesRise, launchChromium, newContext, openAs, trackIds, waitFor } from '../../harness/browser';
import { OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, startOidcProvider, type TestProvider } from '../../harness/oidcProvider';
import { openMeetingNow } from '../helpers/openMeeting';
import { expectAccessible } from '../helpers/a11y';

let server: HoinghiServer;
let provider: TestProvider;
let browser: Browser;
const contexts: BrowserContext[] = [];
let meetingId = '';

beforeAll(async () => {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  provider = await startOidcProvider([`${origin}/auth/callback`]);
  server = await startServer({
    HOINGHI_PORT: String(port),
    HOINGHI_WORKERS: '1',
    HOINGHI_DATA_DIR: 'memory://',
    HOINGHI_DEMO_SCHOOLS: '68',
    HOINGHI_DEMO_TEACHERS: '200',
    HOINGHI_OIDC_ISSUER: provider.issuer,
    HOINGHI_OIDC_CLIENT_ID: OIDC_CLIENT_ID,
    HOINGHI_OIDC_CLIENT_SECRET: OIDC_CLIENT_SECRET,
    HOINGHI_PUBLIC_URL: origin,
    HOINGHI_ACCESS_TOKEN_TTL_S: '30',
  });
  meetingId = await openMeetingNow(server, 'Họp kiểm tra đăng nhập Bộ');
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await closeAll(contexts, browser, server);
  await provider?.close();
});

/** Answers of POST /auth/token seen by the page, from now on. */
function countRefreshes(page: Page): { ok: number; refused: number } {
  const counts = { ok: 0, refused: 0 };
  page.on('response', (r) => {
    if (new URL(r.url()).pathname !== '/auth/token') return;
    if (r.status() === 200) counts.ok += 1;
    else counts.refused += 1;
  });
  return counts;
}

/** The expiry (`exp`) of the token the server holds for this person's socket. */
function socketExpiry(sub: string): number {
  const found = [...server.sockets.io.sockets.sockets.values()].find((s) => (s.data as { claims?: { sub: string } }).claims?.sub === sub);
  const exp = (found?.data as { claims?: { exp: number } } | undefined)?.claims?.exp;
  if (exp === undefined) throw new Error(`no socket of ${sub}`);
  return exp;
}

describe('sign-in with the ministry\'s account', () => {
  it('a teacher at a join link: the ministry\'s button, the provider\'s form, back at the link connected; sign-out ends it', async () => {
    const ctx = await newContext(browser);
    contexts.push(ctx);
    const page = await ctx.newPage();
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));

    await page.goto(`${server.url}/m/${meetingId}`);
    const button = await page.waitForSelector('button[data-action="sign-in-oidc"]', { timeout: 15_000 });
    expect((await button.textContent())?.trim()).toBe('Đăng nhập bằng tài khoản Bộ GD&ĐT');
    // The demo stays, clearly marked.
    expect(await page.textContent('main.signin')).toContain('Demo');
    await expectAccessible(page);
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    const box = await button.boundingBox();
    expect(box!.y + box!.height).toBeLessThanOrEqual(844);
    expect(box!.height).toBeGreaterThanOrEqual(44);
    await expectAccessible(page);
    await page.setViewportSize({ width: 1280, height: 800 });

    await button.click();
    // The provider's own login form (its development form: any password).
    await page.waitForSelector('input[name="login"]', { timeout: 15_000 });
    expect(new URL(page.url()).origin).toBe(provider.issuer);
    await page.fill('input[name="login"]', 'gv-hn-1');
    await page.fill('input[name="password"]', 'mat-khau-bat-ky');
    await page.click('button[type="submit"]');

    await waitFor(async () => page.url(), (u) => u === `${server.url}/m/${meetingId}`, 20_000, 'back at the join link');
    await page.waitForSelector('[data-status="connected"]', { timeout: 30_000 });
    expect(await page.textContent('header.topbar')).toContain('Nguyễn Thị Lan');
    // No token (a JWT, "eyJ…") and no refresh token in any address the page went to.
    const refresh = (await ctx.cookies(`${server.url}/auth/token`)).find((c) => c.name === 'hoinghi_refresh');
    expect(refresh).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/auth' });
    expect(urls.filter((u) => /eyJ/.test(u) || u.includes(refresh!.value))).toEqual([]);

    // The minister (demo sign-in) goes on air: the teacher receives the video.
    const host = await openAs(browser, contexts, server.url, 'bo-truong');
    await host.goto(`${server.url}/m/${meetingId}`);
    await host.click('button[data-control="camera"]');
    await framesRise(page, 'the teacher receives the minister');
    const tracks = await trackIds(page);

    // Tokens of 30 s renew from the session while the meeting goes on: the socket stays.
    const counts = countRefreshes(page);
    const sockets = server.sockets.io.engine.clientsCount;
    const firstExp = socketExpiry('gv-hn-1');
    // Halfway through each 30 s token: two renewals within ~30 s.
    await waitFor(async () => counts.ok, (n) => n >= 2, 60_000, 'two token renewals');
    // The server's socket took the new tokens (its expiry moved on), and it is the same socket.
    await waitFor(async () => socketExpiry('gv-hn-1'), (exp) => exp > firstExp, 15_000, 'the socket on a renewed token');
    expect(counts.refused).toBe(0);
    expect(await page.getAttribute('[data-status]', 'data-status')).toBe('connected');
    expect(server.sockets.io.engine.clientsCount).toBe(sockets);
    // The media never stopped: the same receive tracks, their frames still rising.
    await framesRise(page, 'the minister\'s video after the renewals');
    expect([...(await trackIds(page))].filter((id) => tracks.has(id)).length).toBeGreaterThan(0);

    // A tab without its stored token (a new tab, storage cleared) resumes from the session.
    await page.evaluate(() => sessionStorage.clear());
    await page.reload();
    await page.waitForSelector('[data-status="connected"]', { timeout: 30_000 });
    expect(new URL(page.url()).pathname).toBe(`/m/${meetingId}`);

    // Sign-out: the socket goes, the session ends on the server, the page offers the sign-in.
    const teacherSockets = (): number => [...server.sockets.io.of('/').sockets.values()].filter((x) => x.data.claims?.sub === 'gv-hn-1').length;
    await waitFor(async () => teacherSockets(), (n) => n >= 1, 10_000, 'the page\'s socket');
    await page.click('header.topbar button:has-text("Đăng xuất")');
    await page.waitForSelector('button[data-action="sign-in-oidc"]', { timeout: 15_000 });
    await waitFor(async () => teacherSockets(), (n) => n === 0, 15_000, 'the teacher\'s socket closed');
    const after = await page.evaluate(async () => (await fetch('/auth/token', { method: 'POST' })).status);
    expect(after).toBe(401);
  });
});
