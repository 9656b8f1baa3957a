/**
 * A join burst of viewers must not flood the host with keyframe requests: each producer forwards
 * at most one per HOINGHI_KEYFRAME_DELAY_MS. With the interval set far longer than the test, a
 * burst of six teachers may cost the host at most one request per simulcast layer, counted in the
 * host browser's own outbound RTP stats (pliCount + firCount).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { closeAll, launchChromium, openAs, waitFor } from '../../harness/browser';
import { sleep } from '../../harness/wait';

const MEETING = 'e2e-keyframes';
const TEACHERS = ['gv-hn-1', 'gv-hn-2', 'gv-hcm-1', 'gv-hcm-2', 'gv-dn-1', 'gv-cm-1'];
let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let host: Page;

async function keyframeRequests(page: Page): Promise<number> {
  return page.evaluate(async () => {
    let n = 0;
    for (const pc of (window as unknown as { __testPcs: RTCPeerConnection[] }).__testPcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s: { type: string; kind?: string; pliCount?: number; firCount?: number }) => {
        if (s.type === 'outbound-rtp' && s.kind === 'video') n += (s.pliCount ?? 0) + (s.firCount ?? 0);
      });
    }
    return n;
  });
}

beforeAll(async () => {
  server = await startServer({ HOINGHI_WORKERS: '2', HOINGHI_DEMO_MEETING: MEETING, HOINGHI_KEYFRAME_DELAY_MS: '60000' });
  browser = await launchChromium();
  host = await openAs(browser, contexts, server.url, 'bo-truong');
  await host.click('button[data-control="camera"]');
  await waitFor(async () => server.sockets.registry.get(MEETING)?.peers.get('bo-truong')?.producers.size ?? 0, (n) => n === 1, 20_000, 'camera');
}, 60_000);

afterAll(() => closeAll(contexts, browser, server));

describe('keyframe requests during a join burst', () => {
  it('reach the host at most once per producer layer per interval', async () => {
    // Deliberate: the host's own start-up keyframe requests settle before the count starts.
    await sleep(1_000);
    const before = await keyframeRequests(host);
    await Promise.all(TEACHERS.map((id) => openAs(browser, contexts, server.url, id)));
    const meeting = server.sockets.registry.get(MEETING)!;
    // Every teacher holds a resumed video consumer of the host.
    await waitFor(
      async () => TEACHERS.filter((id) => (meeting.peers.get(id)?.consumers.size ?? 0) >= 1).length,
      (n) => n === TEACHERS.length,
      30_000,
      'all teachers consuming',
    );
    // Deliberate: a counting window. Requests caused by the joins may reach the host a little
    // after the consumers resumed; the bound is on how many arrive, so they are given time to.
    await sleep(3_000);
    const burst = (await keyframeRequests(host)) - before;
    console.log(`keyframes: ${TEACHERS.length} joins cost the host ${burst} keyframe request(s)`);
    expect(burst).toBeLessThanOrEqual(3);
  });
});
