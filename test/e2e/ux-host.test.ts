/**
 * End-to-end in Chromium, the host's experience: the on-air badge follows the media actually
 * leaving, remote tiles are labelled, a host invites from the participant list (search, no typed
 * ids), "invite with video" turns the teacher's camera on and puts it beside the host's video, a
 * decline reaches the host, the invitation dialog takes and returns focus, and no tile outlives
 * its consumer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { closeAll, framesRise, inboundForProducer, launchChromium, openAs, waitFor } from '../../harness/browser';

const MEETING = 'e2e-ux-host';
let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let host: Page;
let speaker: Page;
let listener: Page;

const open = (accountId: string): Promise<Page> => openAs(browser, contexts, server.url, accountId);

function producerOf(userId: string, source: 'camera' | 'mic'): string | undefined {
  const peer = server.sockets.registry.get(MEETING)?.peers.get(userId);
  return [...(peer?.producers.values() ?? [])].find((p) => p.source === source)?.id;
}

beforeAll(async () => {
  server = await startServer({ HOINGHI_WORKERS: '2', HOINGHI_DEMO_MEETING: MEETING });
  browser = await launchChromium();
  host = await open('bo-truong');
  speaker = await open('gv-hn-1');
  listener = await open('gv-hcm-1');
}, 120_000);

afterAll(() => closeAll(contexts, browser, server));

describe('the host console', () => {
  it('shows "on air" only while media flows, with elapsed time and viewers, and a live microphone level', async () => {
    await host.waitForSelector('[data-testid="off-air"]');
    await host.click('button[data-control="camera"]');
    await host.click('button[data-control="mic"]');
    await host.waitForSelector('[data-testid="on-air"]', { timeout: 20_000 });
    await waitFor(() => host.textContent('[data-testid="on-air-viewers"]'), (t) => t === '2', 10_000, 'two viewers on the badge');
    const t0 = await host.textContent('[data-testid="on-air-time"]');
    await waitFor(() => host.textContent('[data-testid="on-air-time"]'), (t) => t !== t0, 5_000, 'elapsed time moving');
    // The fake microphone beeps: the meter moves above zero.
    await waitFor(() => host.getAttribute('[data-testid="mic-meter"]', 'aria-valuenow'), (v) => Number(v) > 10, 10_000, 'mic level');
    // Stopping everything takes the badge off within a few polls.
    await host.click('button[data-control="camera"]');
    await host.click('button[data-control="mic"]');
    await host.waitForSelector('[data-testid="off-air"]', { timeout: 10_000 });
    await host.click('button[data-control="camera"]');
    await host.click('button[data-control="mic"]');
    await host.waitForSelector('[data-testid="on-air"]', { timeout: 20_000 });
  });

  it('labels every remote tile with who it is and whether it is a camera or a screen', async () => {
    await framesRise(listener, 'host video at the teacher');
    const captions = await listener.$$eval('figure.tile', (tiles) => tiles.map((t) => [t.querySelector('video')?.getAttribute('data-source'), t.querySelector('figcaption')?.textContent]));
    expect(captions.length).toBeGreaterThan(0);
    for (const [source, caption] of captions) {
      expect(source).toBe('camera');
      expect(caption).toContain('Bộ trưởng (Host)');
      expect(caption).toContain('Camera');
    }
  });

  it('finds a teacher in the participant list by name without diacritics', async () => {
    await host.fill('[data-testid="participant-search"]', 'nguyen thi lan');
    await host.waitForSelector('[data-participant="gv-hn-1"]');
    await waitFor(() => host.$$eval('[data-participant]', (rows) => rows.length), (n) => n === 1, 5_000, 'one match');
  });

  it('a declined invitation reaches the host, and the dialog gives focus back', async () => {
    await speaker.focus('button[data-action="hand"]');
    await host.click('[data-participant="gv-hn-1"] button[data-action="invite"]');
    await speaker.waitForSelector('[data-invitation="open"]', { timeout: 10_000 });
    await waitFor(() => speaker.evaluate(() => document.activeElement?.getAttribute('data-action')), (a) => a === 'accept', 5_000, 'focus on accept');
    await speaker.click('button[data-action="decline"]');
    await host.waitForSelector('[data-declined="gv-hn-1"]', { timeout: 10_000 });
    await waitFor(() => speaker.evaluate(() => document.activeElement?.getAttribute('data-action')), (a) => a === 'hand', 5_000, 'focus back on the hand button');
  });

  it('"invite with video" turns the teacher\'s camera on, next to the host\'s video, and never says listen-only while speaking', async () => {
    await host.click('[data-participant="gv-hn-1"] button[data-action="invite-video"]');
    await speaker.click('button[data-action="accept"]', { timeout: 10_000 });
    await speaker.waitForSelector('[data-speaking="true"]');
    const camera = await waitFor(async () => producerOf('gv-hn-1', 'camera'), (id) => id !== undefined, 20_000, 'speaker camera producer');
    expect(await speaker.isVisible('text=Bạn đang ở chế độ chỉ nghe và xem.')).toBe(false);
    // The other teacher decodes it, in a tile beside the main video (same row), labelled.
    const first = await waitFor(() => inboundForProducer(listener, camera!), (s) => (s?.framesDecoded ?? 0) > 0, 30_000, 'speaker frames');
    await waitFor(() => inboundForProducer(listener, camera!), (s) => (s?.framesDecoded ?? 0) > first!.framesDecoded, 15_000, 'more speaker frames');
    const beside = await listener.$eval(`video[data-producer-id="${camera}"]`, (v) => ({
      inRow: v.closest('.stage-row')?.querySelector('.main-video') !== null,
      caption: v.closest('figure')?.querySelector('figcaption')?.textContent ?? '',
    }));
    expect(beside.inRow).toBe(true);
    expect(beside.caption).toContain('Nguyễn Thị Lan');
    // And on the host's console, beside the self preview.
    await host.waitForSelector(`.stage-row video[data-producer-id="${camera}"]`, { timeout: 10_000 });
    await host.click('[data-speaker="gv-hn-1"] button[data-action="revoke"]');
    await speaker.waitForSelector('button[data-action="hand"]', { timeout: 10_000 });
  });

  it('leaves no orphan tile when a publish is closed while viewers are still setting it up', async () => {
    // Camera on and off in quick succession: consumers are closed while teachers create them.
    for (let i = 0; i < 4; i++) {
      await host.click('button[data-control="camera"]');
      await host.waitForSelector(`button[data-control="camera"][data-on="${i % 2 === 0 ? 'false' : 'true'}"]`);
    }
    await host.click('button[data-control="camera"]');
    await host.waitForSelector('button[data-control="camera"][data-on="false"]');
    const live = (): string[] => [...(server.sockets.registry.get(MEETING)?.peers.get('gv-hcm-1')?.consumers.keys() ?? [])];
    // Once settled, every tile on the page is a consumer the server still has, and none is left of the camera.
    await waitFor(
      () => listener.$$eval('video[data-consumer-id]', (vs) => vs.map((v) => v.getAttribute('data-consumer-id')!)),
      (ids) => ids.length === 0,
      15_000,
      'no video tile without a camera',
    );
    const audio = await listener.$$eval('audio[data-consumer-id]', (as) => as.map((a) => a.getAttribute('data-consumer-id')!));
    for (const id of audio) expect(live()).toContain(id);
  });
});
