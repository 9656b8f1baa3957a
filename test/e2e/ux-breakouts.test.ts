/**
 * End-to-end in Chromium, breakouts as people see them: the hosts' own previews stay live when
 * breakouts start; a province without its host shows the national session, labelled; a
 * warning comes a minute before the end and can be dismissed, like notices; speak-to-all shows
 * a cue and ducks the province host under the national host; the province host sees the
 * national feed labelled and the number of their own viewers. A province whose host goes on air
 * gets its own breakout back.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Several browsers share two cores with the servers (and other engineers' tests): generous deadlines.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 400_000 });
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { closeAll, inboundForProducer, launchChromium, newContext, signIn, waitFor } from '../../harness/browser';

const MEETING = 'e2e-ux-breakouts';
let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let national: Page;
let provinceHost: Page;
let teacherHn: Page;
let teacherDn: Page;

/** A person in a fresh context; generous navigation timeouts (five browsers share two cores with the servers). */
async function open(accountId: string): Promise<Page> {
  const ctx = await newContext(browser);
  contexts.push(ctx);
  ctx.setDefaultNavigationTimeout(120_000);
  ctx.setDefaultTimeout(60_000);
  const page = await ctx.newPage();
  await signIn(page, server.url, accountId);
  return page;
}

function producerOf(userId: string, source: 'camera' | 'mic'): string | undefined {
  const peer = server.sockets.registry.get(MEETING)?.peers.get(userId);
  return [...(peer?.producers.values() ?? [])].find((p) => p.source === source)?.id;
}

/** Frames the page's own camera preview has presented so far. */
function previewFrames(page: Page): Promise<number> {
  return page.$eval('video[data-local-source="camera"]', (v) => (v as HTMLVideoElement).getVideoPlaybackQuality().totalVideoFrames);
}

async function previewLive(page: Page, what: string): Promise<void> {
  const a = await waitFor(() => previewFrames(page), (n) => n > 0, 15_000, `${what} preview frames`);
  await waitFor(() => previewFrames(page), (n) => n > a + 5, 15_000, `${what} preview frames rising`);
  const dark = await page.$eval('video[data-local-source="camera"]', (v) => {
    const video = v as HTMLVideoElement;
    return video.srcObject === null || (video.srcObject as MediaStream).getVideoTracks()[0]?.readyState !== 'live' || video.paused;
  });
  expect(dark).toBe(false);
}

async function decodes(page: Page, producerId: string): Promise<void> {
  const first = await waitFor(() => inboundForProducer(page, producerId), (s) => (s?.framesDecoded ?? 0) > 0, 30_000, `frames of ${producerId}`);
  await waitFor(() => inboundForProducer(page, producerId), (s) => (s?.framesDecoded ?? 0) > first!.framesDecoded, 15_000, `more frames of ${producerId}`);
}

beforeAll(async () => {
  server = await startServer({ HOINGHI_WORKERS: '2', HOINGHI_DEMO_MEETING: MEETING });
  browser = await launchChromium();
  national = await open('bo-truong');
  await national.click('button[data-control="camera"]');
  await national.click('button[data-control="mic"]');
  provinceHost = await open('so-ha-noi');
  await provinceHost.click('button[data-control="camera"]');
  await provinceHost.click('button[data-control="mic"]');
  teacherHn = await open('gv-hn-1');
  // Đà Nẵng's province host never signs in.
  teacherDn = await open('gv-dn-1');
  await waitFor(async () => producerOf('bo-truong', 'camera'), (id) => id !== undefined, 20_000, 'national camera');
}, 400_000);

afterAll(() => closeAll(contexts, browser, server));

describe('breakouts, as people see them', () => {
  it('shows the province host the national feed as a labelled tile', async () => {
    const camera = producerOf('bo-truong', 'camera')!;
    await decodes(provinceHost, camera);
    const caption = await provinceHost.$eval(`video[data-producer-id="${camera}"]`, (v) => v.closest('figure')?.querySelector('figcaption')?.textContent ?? '');
    expect(caption).toContain('Bộ trưởng (Host)');
    expect(caption).toContain('Camera');
  });

  it('keeps the hosts\' own previews live when breakouts start, and warns a minute before a breakout ends', async () => {
    await previewLive(national, 'national host before');
    await previewLive(provinceHost, 'province host before');
    await national.fill('input[type="number"]', '1');
    await national.click('button[data-action="start-breakouts"]');
    await teacherHn.waitForSelector('[data-session="01"]', { timeout: 15_000 });
    // One minute: the warning shows at once, and can be dismissed; then more time for the rest.
    await teacherHn.waitForSelector('[data-notice="ending"]', { timeout: 10_000 });
    await teacherHn.click('[data-notice="ending"] button');
    await teacherHn.waitForSelector('[data-notice="ending"]', { state: 'detached' });
    await national.click('text=Thêm 5 phút');
    await waitFor(async () => producerOf('so-ha-noi', 'camera'), (id) => id !== undefined, 20_000, 'province camera');
    await previewLive(national, 'national host after');
    await previewLive(provinceHost, 'province host after');
  });

  it('shows a province without its host the national session, labelled, instead of a black room', async () => {
    await teacherDn.waitForSelector('[data-session="48"]');
    await teacherDn.waitForSelector('[data-testid="national-fallback"]', { timeout: 15_000 });
    await decodes(teacherDn, producerOf('bo-truong', 'camera')!);
    expect(await teacherDn.$('[data-testid="placeholder"]')).toBeNull();
    // The national sound is not held for them (it is for a province with its host).
    const nationalMic = producerOf('bo-truong', 'mic')!;
    const a = await waitFor(() => inboundForProducer(teacherDn, nationalMic), (s) => s !== null, 10_000, 'national audio element');
    await waitFor(() => inboundForProducer(teacherDn, nationalMic), (s) => (s?.packetsReceived ?? 0) > a!.packetsReceived + 20, 10_000, 'national audio flowing');
    // The province with its host does not get the fallback.
    await decodes(teacherHn, producerOf('so-ha-noi', 'camera')!);
    expect(await teacherHn.$('[data-testid="national-fallback"]')).toBeNull();
  });

  it('gives the breakout back to its province host once they go on air', async () => {
    const dnHost = await open('so-da-nang');
    await dnHost.waitForSelector('[data-session="48"]', { timeout: 15_000 });
    await dnHost.click('button[data-control="camera"]');
    const camera = await waitFor(async () => producerOf('so-da-nang', 'camera'), (id) => id !== undefined, 20_000, 'Đà Nẵng camera');
    await decodes(teacherDn, camera!);
    await teacherDn.waitForSelector('[data-testid="national-fallback"]', { state: 'detached', timeout: 15_000 });
    // The national camera is no longer sent to them (no overlay was asked for).
    const national = producerOf('bo-truong', 'camera')!;
    await waitFor(() => inboundForProducer(teacherDn, national), (s) => s === null, 15_000, 'national camera gone');
  });

  it('gives the province host their own breakout\'s viewer count, and their province\'s participants', async () => {
    await waitFor(() => provinceHost.textContent('[data-testid="viewer-count"]'), (t) => t === '1', 10_000, 'one viewer in Hà Nội');
    // Their participant list follows that count (Hà Nội only).
    await provinceHost.waitForSelector('li[data-participant="gv-hn-1"]', { timeout: 10_000 });
    expect(await provinceHost.$('li[data-participant="gv-dn-1"]')).toBeNull();
  });

  it('lets a participant dismiss a notice', async () => {
    await national.fill('.breakout-panel form input', 'Nghỉ giải lao 5 phút');
    await national.click('.breakout-panel form button[type="submit"]');
    await teacherHn.waitForSelector('[data-notice="text"]', { timeout: 10_000 });
    expect(await teacherHn.textContent('[data-notice="text"]')).toContain('Nghỉ giải lao 5 phút');
    await teacherHn.click('[data-notice="text"] button[data-action="dismiss-notice"]');
    await teacherHn.waitForSelector('[data-notice="text"]', { state: 'detached' });
  });

  it('shows a cue when the national host speaks to all, and ducks the province host under it', async () => {
    const provinceMic = producerOf('so-ha-noi', 'mic')!;
    const nationalMic = producerOf('bo-truong', 'mic')!;
    expect(await teacherHn.getAttribute(`audio[data-producer-id="${provinceMic}"]`, 'data-volume')).toBe('1');
    await national.click('button[data-action="speak-to-all"]');
    await teacherHn.waitForSelector('[data-testid="speak-to-all-cue"]', { timeout: 10_000 });
    await waitFor(() => teacherHn.$eval(`audio[data-producer-id="${provinceMic}"]`, (a) => (a as HTMLAudioElement).volume), (v) => v < 0.5, 5_000, 'province host ducked');
    expect(await teacherHn.$eval(`audio[data-producer-id="${nationalMic}"]`, (a) => (a as HTMLAudioElement).volume)).toBe(1);
    // The national audio really flows (not only the cue).
    const a = await waitFor(() => inboundForProducer(teacherHn, nationalMic), (s) => s !== null, 10_000, 'national audio element');
    await waitFor(() => inboundForProducer(teacherHn, nationalMic), (s) => (s?.packetsReceived ?? 0) > a!.packetsReceived + 20, 10_000, 'national audio flowing');
    await national.click('button[data-action="speak-to-all"]');
    await teacherHn.waitForSelector('[data-testid="speak-to-all-cue"]', { state: 'detached', timeout: 10_000 });
    await waitFor(() => teacherHn.$eval(`audio[data-producer-id="${provinceMic}"]`, (a) => (a as HTMLAudioElement).volume), (v) => v === 1, 5_000, 'province host back to full volume');
  });

  // Last: it ends this round of breakouts and starts another.
  it('says a province\'s raised hands were lowered when its breakout ends, and leaves that out of the next round', async () => {
    await teacherHn.click('button[data-action="hand"]');
    await teacherHn.waitForSelector('button[data-action="hand"][data-raised="true"]');
    await national.click('button[data-action="recall"]');
    await national.click('[data-confirm="recall"] button[data-action="confirm"]');
    await teacherHn.waitForSelector('[data-session="main"]', { timeout: 15_000 });
    await teacherHn.waitForSelector('[data-notice="hands_cleared"]', { timeout: 10_000 });
    await national.click('button[data-action="start-breakouts"]');
    await teacherHn.waitForSelector('[data-session="01"]', { timeout: 15_000 });
    expect(await teacherHn.$('[data-notice="hands_cleared"]')).toBeNull();
  });
});
