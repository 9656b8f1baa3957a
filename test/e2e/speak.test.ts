/**
 * End-to-end in Chromium: a teacher raises a hand, the host sees it and invites, the teacher
 * accepts; another teacher's getStats shows audio packets from the new speaker; the host revokes
 * and those packets stop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { closeAll, launchChromium, newContext, openAs, packetsForProducer, signIn, waitFor } from '../../harness/browser';

const MEETING = 'e2e-speak';
let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let host: Page;
let speaker: Page;
let listener: Page;

const open = (accountId: string): Promise<Page> => openAs(browser, contexts, server.url, accountId);

beforeAll(async () => {
  server = await startServer({ HOINGHI_WORKERS: '2', HOINGHI_DEMO_MEETING: MEETING });
  browser = await launchChromium();
  host = await open('bo-truong');
  await host.click('button[data-control="mic"]');
  speaker = await open('gv-hn-1');
  listener = await open('gv-hcm-1');
  await listener.waitForSelector('audio[data-producer-id]', { state: 'attached' });
}, 120_000);

afterAll(() => closeAll(contexts, browser, server));

function speakerMicProducerId(): string | undefined {
  const peer = server.sockets.registry.get(MEETING)?.peers.get('gv-hn-1');
  return [...(peer?.producers.values() ?? [])].find((p) => p.source === 'mic')?.id;
}

describe('raise hand, invite, speak, revoke', () => {
  it('a raised hand reaches the host\'s queue, and the invited teacher is heard by another teacher', async () => {
    await speaker.click('button[data-action="hand"]');
    await speaker.waitForSelector('button[data-action="hand"][data-raised="true"]');
    const row = host.locator('.queue-row[data-user-id="gv-hn-1"]');
    await row.waitFor({ timeout: 10_000 });
    expect(await host.textContent('[data-testid="hand-total"]')).toBe('1');
    await row.locator('button[data-action="invite"]').click();
    await speaker.click('button[data-action="accept"]', { timeout: 10_000 });
    await speaker.waitForSelector('[data-speaking="true"] [data-mic-state="on"]');
    expect(await speaker.textContent('[data-speaking="true"]')).toContain('Bạn đang phát biểu');

    const producerId = await waitFor(async () => speakerMicProducerId(), (id) => id !== undefined, 15_000, 'speaker mic producer');
    const first = await waitFor(() => packetsForProducer(listener, producerId!), (n) => (n ?? 0) > 0, 20_000, 'speaker audio at listener');
    await waitFor(() => packetsForProducer(listener, producerId!), (n) => (n ?? 0) > first!, 15_000, 'speaker audio still arriving');
    await host.waitForSelector(`[data-speaker="gv-hn-1"][data-state="speaking"]`);
    // The hand went down when the teacher accepted.
    await waitFor(() => host.textContent('[data-testid="hand-total"]'), (t) => t === '0', 5_000, 'hand lowered');
  });

  it('the speaker turns her own microphone off and on again: the other teacher stops hearing her, then hears her again', async () => {
    const before = speakerMicProducerId()!;
    await speaker.click('[data-speaking="true"] button[data-control="mic"]');
    await speaker.waitForSelector('[data-speaking="true"] button[data-control="mic"][aria-pressed="false"]');
    await listener.waitForSelector(`audio[data-producer-id="${before}"]`, { state: 'detached', timeout: 10_000 });
    expect(speakerMicProducerId()).toBeUndefined();
    await speaker.waitForSelector('[data-speaking="true"] [data-mic-state="off"]');
    expect(await speaker.textContent('[data-speaking="true"]')).toContain('Bạn đã tắt micrô');
    // Still invited: the grant stays, and she turns it back on herself.
    await host.waitForSelector(`[data-speaker="gv-hn-1"][data-state="speaking"]`);
    await speaker.click('[data-speaking="true"] button[data-control="mic"]');
    const after = await waitFor(async () => speakerMicProducerId(), (id) => id !== undefined && id !== before, 15_000, 'a new mic producer');
    const first = await waitFor(() => packetsForProducer(listener, after!), (n) => (n ?? 0) > 0, 20_000, 'her audio again at the listener');
    await waitFor(() => packetsForProducer(listener, after!), (n) => (n ?? 0) > first!, 15_000, 'her audio still arriving');
  });

  it('the host revokes, and the speaker\'s packets stop reaching the other teacher', async () => {
    const producerId = speakerMicProducerId()!;
    await host.click('[data-speaker="gv-hn-1"] button[data-action="revoke"]');
    await listener.waitForSelector(`audio[data-producer-id="${producerId}"]`, { state: 'detached', timeout: 10_000 });
    expect(await packetsForProducer(listener, producerId)).toBeNull();
    await speaker.waitForSelector('button[data-action="hand"]', { timeout: 10_000 });
    expect(speakerMicProducerId()).toBeUndefined();
    // The host's own audio still arrives.
    const hostMic = [...server.sockets.registry.get(MEETING)!.peers.get('bo-truong')!.producers.values()][0]!.id;
    const a = await waitFor(() => packetsForProducer(listener, hostMic), (n) => (n ?? 0) > 0, 10_000, 'host audio');
    await waitFor(() => packetsForProducer(listener, hostMic), (n) => (n ?? 0) > a!, 10_000, 'host audio still arriving');
  });
});

describe('an invited teacher whose browser will not open her microphone', () => {
  it('is told the true reason and what helps, never that she turned it off herself', async () => {
    const ctx = await newContext(browser);
    contexts.push(ctx);
    // Her browser refuses the microphone (as after "Block" on the permission prompt).
    await ctx.addInitScript(() => {
      const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = (c?: MediaStreamConstraints) =>
        c?.audio ? Promise.reject(new DOMException('Permission denied', 'NotAllowedError')) : real(c);
    });
    const denied = await ctx.newPage();
    await signIn(denied, server.url, 'gv-hn-2');
    await denied.click('button[data-action="hand"]');
    const row = host.locator('.queue-row[data-user-id="gv-hn-2"]');
    await row.waitFor({ timeout: 10_000 });
    await row.locator('button[data-action="invite"]').click();
    await denied.click('button[data-action="accept"]', { timeout: 10_000 });
    await denied.waitForSelector('[data-speaking="true"] [data-mic-state="failed"]', { timeout: 10_000 });
    const text = (await denied.textContent('[data-speaking="true"]')) ?? '';
    expect(text).toContain('Trình duyệt chưa cho phép');
    expect(text).not.toContain('Bạn đã tắt micrô');
    // The host's console sees her as invited but sending nothing.
    expect([...(server.sockets.registry.get(MEETING)?.peers.get('gv-hn-2')?.producers.values() ?? [])]).toHaveLength(0);
    await host.click('[data-speaker="gv-hn-2"] button[data-action="revoke"]');
    await denied.waitForSelector('button[data-action="hand"]', { timeout: 10_000 });
  });
});
