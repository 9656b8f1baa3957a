/**
 * End-to-end in Chromium: two provinces, each with a province host and one teacher. In
 * breakouts each teacher decodes frames from their own province host and receives nothing of the
 * other's (checked by producer ids and WebRTC stats); the national host's speak-to-all audio
 * reaches both; recall brings both back to the national video.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { closeAll, inboundForProducer, launchChromium, openAs, packetsForProducer, waitFor } from '../../harness/browser';
import { sleep } from '../../harness/wait';

const MEETING = 'e2e-breakouts';
let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let national: Page;
const provinceHost: Record<string, Page> = {};
const teacher: Record<string, Page> = {};
const ACCOUNTS = { '01': { host: 'so-ha-noi', teacher: 'gv-hn-1' }, '79': { host: 'so-hcm', teacher: 'gv-hcm-1' } } as const;

const open = (accountId: string): Promise<Page> => openAs(browser, contexts, server.url, accountId);

function producerOf(userId: string, source: 'camera' | 'mic'): string | undefined {
  const peer = server.sockets.registry.get(MEETING)?.peers.get(userId);
  return [...(peer?.producers.values() ?? [])].find((p) => p.source === source)?.id;
}

async function decodes(page: Page, producerId: string): Promise<void> {
  const first = await waitFor(() => inboundForProducer(page, producerId), (s) => (s?.framesDecoded ?? 0) > 0, 30_000, `frames of ${producerId}`);
  // And keep rising (within a deadline: two cores running five browsers can stall one a moment).
  await waitFor(() => inboundForProducer(page, producerId), (s) => (s?.framesDecoded ?? 0) > first!.framesDecoded, 15_000, `more frames of ${producerId}`);
}

beforeAll(async () => {
  server = await startServer({ HOINGHI_WORKERS: '2', HOINGHI_DEMO_MEETING: MEETING });
  browser = await launchChromium();
  national = await open('bo-truong');
  await national.click('button[data-control="camera"]');
  await national.click('button[data-control="mic"]');
  for (const [p, a] of Object.entries(ACCOUNTS)) {
    provinceHost[p] = await open(a.host);
    // Province hosts prepare camera and microphone; they go live when their breakout opens.
    await provinceHost[p].click('button[data-control="camera"]');
    await provinceHost[p].click('button[data-control="mic"]');
    teacher[p] = await open(a.teacher);
  }
  await waitFor(async () => producerOf('bo-truong', 'camera'), (id) => id !== undefined, 20_000, 'national camera');
  for (const p of Object.keys(ACCOUNTS)) await decodes(teacher[p]!, producerOf('bo-truong', 'camera')!);
}, 180_000);

afterAll(() => closeAll(contexts, browser, server));

describe('province breakouts in the browser', () => {
  it('each teacher receives their own province host, and nothing of the other province', async () => {
    await national.click('button[data-action="start-breakouts"]');
    const nationalCamera = producerOf('bo-truong', 'camera')!;
    for (const [p, a] of Object.entries(ACCOUNTS)) {
      const own = await waitFor(async () => producerOf(a.host, 'camera'), (id) => id !== undefined, 20_000, `${p} host camera`);
      await teacher[p]!.waitForSelector(`[data-session="${p}"]`);
      await decodes(teacher[p]!, own!);
      await teacher[p]!.waitForSelector(`video[data-producer-id="${nationalCamera}"]`, { state: 'detached', timeout: 10_000 });
    }
    for (const [p, other] of [['01', '79'], ['79', '01']] as const) {
      const foreign = [producerOf(ACCOUNTS[other].host, 'camera')!, producerOf(ACCOUNTS[other].host, 'mic')!];
      for (const id of foreign) {
        expect(await teacher[p]!.$(`[data-producer-id="${id}"]`)).toBeNull();
        expect(await inboundForProducer(teacher[p]!, id)).toBeNull();
      }
      // And no consumer of the other province exists on the server.
      const peer = server.sockets.registry.get(MEETING)!.peers.get(ACCOUNTS[p].teacher)!;
      expect([...peer.consumers.values()].filter((id) => foreign.includes(id))).toEqual([]);
    }
  });

  it('the national host\'s speak-to-all audio reaches both teachers', async () => {
    const mic = producerOf('bo-truong', 'mic')!;
    // Held silent before: the counter does not move.
    for (const page of Object.values(teacher)) {
      const a = await waitFor(() => packetsForProducer(page, mic), (n) => n !== null, 10_000, 'national audio element');
      // Deliberate: "held silent" has no event to wait for; the counter must not move for 1 s.
      await sleep(1_000);
      expect(await packetsForProducer(page, mic)).toBe(a);
    }
    await national.click('button[data-action="speak-to-all"]');
    for (const page of Object.values(teacher)) {
      const a = (await packetsForProducer(page, mic))!;
      await waitFor(() => packetsForProducer(page, mic), (n) => (n ?? 0) > a + 20, 10_000, 'national audio flowing');
    }
  });

  it('recall brings both teachers back to the national video', async () => {
    await national.click('button[data-action="recall"]');
    await national.click('[data-confirm="recall"] button[data-action="confirm"]');
    const nationalCamera = producerOf('bo-truong', 'camera')!;
    for (const [p, a] of Object.entries(ACCOUNTS)) {
      await teacher[p]!.waitForSelector('[data-session="main"]', { timeout: 10_000 });
      await decodes(teacher[p]!, nationalCamera);
      expect(producerOf(a.host, 'camera')).toBeUndefined();
    }
  });
});
