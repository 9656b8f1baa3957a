/**
 * End-to-end in Chromium across two signaling processes (issue 24): a teacher signs in with the
 * ministry's provider (oidc-provider, in-process) on node A and joins; a second tab of the same
 * browser opens the meeting on node B and is signed in from the same session (the refresh cookie,
 * the session in the shared PostgreSQL), joining there. Signing out in the first tab ends the
 * sign-in everywhere: the tab on node B is told and asks to sign in again, and the session gives
 * no more tokens on either node. An operator then disables the account: the tab is signed out
 * again, and the provider's sign-in ends on a page saying the account is disabled. The time from
 * the click to the other node's tab being out is printed (not asserted).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { freePort, startRedis, startSfuNode, type RedisProcess, type SfuNodeProcess } from '../../harness/cluster';
import { clusterToken, startSignalingNode, type SignalingProcess } from '../../harness/signaling';
import { startPostgres, type PostgresServer } from '../../harness/postgres';
import { OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, startOidcProvider, type TestProvider } from '../../harness/oidcProvider';
import { launchChromium, newContext, waitFor } from '../../harness/browser';

const MEETING = 'hop-hai-nut-dang-nhap';

let postgres: PostgresServer;
let redis: RedisProcess;
let sfu: SfuNodeProcess;
let provider: TestProvider;
let browser: Browser;
const contexts: BrowserContext[] = [];
const nodes: SignalingProcess[] = [];

beforeAll(async () => {
  const ports = [await freePort(), await freePort()];
  const origins = ports.map((p) => `http://127.0.0.1:${p}`);
  provider = await startOidcProvider(origins.map((o) => `${o}/auth/callback`));
  postgres = await startPostgres();
  const url = await postgres.createDatabase('oidc_two_nodes');
  redis = await startRedis();
  sfu = await startSfuNode(redis.url, 'sfu-oidc');
  const env = {
    HOINGHI_DATABASE_URL: url,
    HOINGHI_DEMO_SIGNIN: 'true',
    HOINGHI_DEMO_MEETING: MEETING,
    HOINGHI_DEMO_TEACHERS: '0',
    HOINGHI_DEMO_SCHOOLS: '34',
    HOINGHI_OIDC_ISSUER: provider.issuer,
    HOINGHI_OIDC_CLIENT_ID: OIDC_CLIENT_ID,
    HOINGHI_OIDC_CLIENT_SECRET: OIDC_CLIENT_SECRET,
  };
  // One after the other: the first applies the migrations and the demo data. Each node is its own
  // site address (its public URL), as two entry points of one deployment would be.
  for (const [i, name] of ['sig-a', 'sig-b'].entries()) {
    nodes.push(await startSignalingNode(redis.url, name, { ...env, HOINGHI_PORT: String(ports[i]), HOINGHI_PUBLIC_URL: origins[i]! }));
  }
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await Promise.all(nodes.map((n) => n.stop()));
  await sfu?.stop();
  await redis?.stop();
  await postgres?.stop();
  await provider?.close();
}, 60_000);

describe('the ministry\'s sign-in across two signaling nodes', () => {
  it('signs in on one node, is signed in on the other from the same session, and signing out ends both', async () => {
    const [a, b] = nodes as [SignalingProcess, SignalingProcess];
    const ctx = await newContext(browser);
    contexts.push(ctx);
    const first = await ctx.newPage();
    await first.goto(`${a.url}/m/${MEETING}`);
    await first.click('button[data-action="sign-in-oidc"]', { timeout: 15_000 });
    await first.waitForSelector('input[name="login"]', { timeout: 15_000 });
    await first.fill('input[name="login"]', 'gv-hn-1');
    await first.fill('input[name="password"]', 'mat-khau-bat-ky');
    await first.click('button[type="submit"]');
    await waitFor(async () => first.url(), (u) => u === `${a.url}/m/${MEETING}`, 20_000, 'back at node A\'s join link');
    await first.waitForSelector('[data-status="connected"]', { timeout: 30_000 });

    // The same browser on node B: the session (cookie and database) signs it in there too.
    const second = await ctx.newPage();
    await second.goto(`${b.url}/m/${MEETING}`);
    await second.waitForSelector('[data-status="connected"]', { timeout: 30_000 });
    expect(await second.textContent('header.topbar')).toContain('Nguyễn Thị Lan');

    const clicked = Date.now();
    await first.click('header.topbar button:has-text("Đăng xuất")');
    await second.waitForSelector('[data-state="signin-expired"]', { timeout: 20_000 });
    console.log(`sign-out on node A to the tab on node B signed out: ${Date.now() - clicked} ms`);
    // No more tokens from the session, on either node.
    for (const page of [first, second]) expect(await page.evaluate(async () => (await fetch('/auth/token', { method: 'POST' })).status)).toBe(401);
    // Signing in again from node B: the provider remembers her, but asks for the credentials again
    // (prompt=login: on a shared computer the next person is never signed in as the last one).
    await second.click('button[data-action="sign-in-again"]');
    await second.click('button[data-action="sign-in-oidc"]', { timeout: 15_000 });
    const where = await waitFor(async () => second.url(), (u) => u === `${b.url}/m/${MEETING}` || u.includes('/interaction/'), 20_000, 'the provider, or back');
    expect(where).toContain('/interaction/');
    await second.waitForSelector('input[name="login"]', { timeout: 15_000 });
    await second.fill('input[name="login"]', 'gv-hn-1');
    await second.fill('input[name="password"]', 'mat-khau-bat-ky');
    await second.click('button[type="submit"]');
    await waitFor(async () => second.url(), (u) => u === `${b.url}/m/${MEETING}`, 20_000, 'back at node B\'s join link');
    await second.waitForSelector('[data-status="connected"]', { timeout: 30_000 });

    // An operator disables her account (on node A): her tab on node B is signed out at once, and
    // the provider's sign-in then ends on a page that says the account is disabled.
    const disabled = await fetch(`${a.url}/api/org/people/gv-hn-1/disable`, { method: 'POST', headers: { authorization: `Bearer ${clusterToken({ role: 'host', sub: 'bo-truong', meetings: [MEETING] })}` } });
    expect(disabled.status).toBe(200);
    await second.waitForSelector('[data-state="signin-expired"]', { timeout: 20_000 });
    await second.click('button[data-action="sign-in-again"]');
    await second.click('button[data-action="sign-in-oidc"]', { timeout: 15_000 });
    await second.waitForSelector('input[name="login"]', { timeout: 15_000 });
    await second.fill('input[name="login"]', 'gv-hn-1');
    await second.fill('input[name="password"]', 'mat-khau-bat-ky');
    await second.click('button[type="submit"]');
    await second.waitForSelector('main[data-state="signin-disabled"]', { timeout: 20_000 });
    expect(await second.textContent('h1')).toBe('Tài khoản đã bị tạm khoá');
    expect(await second.evaluate(async () => (await fetch('/auth/token', { method: 'POST' })).status)).toBe(401);
  });
});
