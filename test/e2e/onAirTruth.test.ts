/**
 * End-to-end in Chromium (issue 23): the host's on-air badge tells the truth when the host's
 * connection is down. The browser goes offline and the server loses the host's socket: the server
 * drops the host's media and teachers wait for the picture, while the page may go on sending. The
 * badge says the connection is lost (not "on air"), and says "on air" again once the page has
 * reconnected and publishes again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { closeAll, launchChromium, openAs, waitFor } from '../../harness/browser';

const MEETING = 'e2e-on-air-truth';
let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let host: Page;

function socketOf(userId: string) {
  const peer = server.sockets.registry.get(MEETING)?.peers.get(userId);
  return peer ? server.sockets.io.sockets.sockets.get(peer.socketId) : undefined;
}

beforeAll(async () => {
  server = await startServer({ HOINGHI_DEMO_MEETING: MEETING });
  browser = await launchChromium();
  host = await openAs(browser, contexts, server.url, 'bo-truong');
}, 120_000);

afterAll(() => closeAll(contexts, browser, server));

describe('the on-air badge with the host\'s connection down', () => {
  it('says the connection is lost instead of "on air", and "on air" again after the reconnect', async () => {
    await host.click('button[data-control="camera"]');
    await host.click('button[data-control="mic"]');
    await host.waitForSelector('[data-testid="on-air"]', { timeout: 20_000 });

    const serverSocket = await waitFor(async () => socketOf('bo-truong'), (s) => s !== undefined && s.connected, 10_000, 'the host\'s socket on the server');
    await host.context().setOffline(true);
    serverSocket!.disconnect(true);
    await host.waitForSelector('[data-testid="on-air-down"]', { timeout: 20_000 });
    expect(await host.textContent('[data-testid="on-air-down"]')).toContain('Mất kết nối — giáo viên không nhận được hình');
    expect(await host.$('[data-testid="on-air"]')).toBeNull();

    await host.context().setOffline(false);
    await host.waitForSelector('[data-status="connected"]', { timeout: 60_000 });
    await host.waitForSelector('[data-testid="on-air"]', { timeout: 30_000 });
    expect(await host.$('[data-testid="on-air-down"]')).toBeNull();
    // Back on air for real: the server has the host's camera again.
    await waitFor(async () => [...(server.sockets.registry.get(MEETING)?.peers.get('bo-truong')?.producers.values() ?? [])].some((p) => p.source === 'camera'), (x) => x, 20_000, 'the host\'s camera on the server');
  }, 120_000);
});
