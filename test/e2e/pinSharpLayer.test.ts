/**
 * Pin and full screen ask for the sharp layer (issue 10), in Chromium: with
 * HOINGHI_MASS_AUDIENCE_VIEWERS=1 the teacher receives with the mass-audience profile, so the
 * host's simulcast camera (320/640/1280 wide) arrives on the middle layer; full screen (or a pin)
 * asks the SFU for the top layer and the decoded frames grow; leaving full screen (Escape or the
 * button) or unpinning asks for the default back and they shrink to the middle layer again. The
 * same for the host's camera pinned from its thumbnail beside a screen share.
 * Success is read from the teacher's own WebRTC stats (inbound-rtp frameHeight) and from the
 * server's consumer (preferred and current spatial layer), not from the page alone.
 *
 * Heights are compared with the middle layer's height as measured in this run, not with 360 and
 * 720: Chromium's encoder on a loaded two-core machine may scale its layers down (CPU adaptation),
 * so the test asks for "strictly higher than the middle layer" and "back at or below it".
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { closeAll, launchChromium, openAs, signIn, waitFor } from '../../harness/browser';
import { expectAccessible, expectPhoneLayout, phoneContext } from '../helpers/a11y';

const MEETING = 'e2e-pin';
/** A layer switch waits for a keyframe (and, with REMB, for the estimate to climb); a slow machine is allowed for. */
const RAMP_MS = 90_000;
vi.setConfig({ testTimeout: 4 * RAMP_MS, hookTimeout: 120_000 });

let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let host: Page;
let teacher: Page;
/** The large video on the teacher page. */
const LARGE = '.spotlight video[data-consumer-id]';

interface MainVideo {
  consumerId: string;
  /** Decoded frame size of the large video's track (0 before the first frame). */
  frameHeight: number;
  frameWidth: number;
  framesDecoded: number;
}

/** The large video (or the one `selector` finds): its consumer and its inbound-rtp frame size, from the page's RTCPeerConnections. */
async function mainVideo(page: Page, selector = LARGE): Promise<MainVideo | null> {
  return page.evaluate(async (sel) => {
    const el = document.querySelector<HTMLVideoElement>(sel);
    const track = (el?.srcObject as MediaStream | null)?.getVideoTracks()[0];
    if (!el || !track) return null;
    const out = { consumerId: el.dataset.consumerId!, frameHeight: 0, frameWidth: 0, framesDecoded: 0 };
    for (const pc of (window as unknown as { __testPcs: RTCPeerConnection[] }).__testPcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s: { type: string; trackIdentifier?: string; frameHeight?: number; frameWidth?: number; framesDecoded?: number }) => {
        if (s.type === 'inbound-rtp' && s.trackIdentifier === track.id) {
          out.frameHeight = s.frameHeight ?? 0;
          out.frameWidth = s.frameWidth ?? 0;
          out.framesDecoded = s.framesDecoded ?? 0;
        }
      });
    }
    return out;
  }, selector);
}

/** The page's large video, with the server's view of its consumer (layers). */
async function observe(page: Page, selector = LARGE): Promise<(MainVideo & { preferred?: number; current?: number }) | null> {
  const v = await mainVideo(page, selector);
  if (!v) return null;
  const stats = await server.sfu.consumerStats(v.consumerId).catch(() => null);
  return { ...v, preferred: stats?.preferredSpatialLayer, current: stats?.currentSpatialLayer };
}

/** Waits until the large video is on the middle layer (server) with frames decoded at that size; returns the height. */
async function onMiddleLayer(page: Page, what: string, atMost = Infinity, selector = LARGE): Promise<number> {
  const seen = await waitFor(
    () => observe(page, selector),
    (o) => o !== null && o.preferred === 1 && o.current === 1 && o.frameHeight > 0 && o.frameHeight <= atMost,
    RAMP_MS,
    what,
  );
  // Frames keep coming at that size (not a frame left over from before the switch).
  const rising = await waitFor(() => observe(page, selector), (o) => o !== null && o.framesDecoded > seen!.framesDecoded, 30_000, `${what}, frames rising`);
  expect(rising!.current).toBe(1);
  return rising!.frameHeight;
}

/** Waits until the large video is on the top layer (server) with decoded frames taller than `middle`. */
async function onTopLayer(page: Page, middle: number, what: string, selector = LARGE): Promise<void> {
  await waitFor(() => observe(page, selector), (o) => o !== null && o.preferred === 2 && o.current === 2 && o.frameHeight > middle, RAMP_MS, what);
}

beforeAll(async () => {
  // One viewer is a mass audience here: the teacher gets the profile at its first consume.
  server = await startServer({ HOINGHI_WORKERS: '1', HOINGHI_DEMO_MEETING: MEETING, HOINGHI_MASS_AUDIENCE_VIEWERS: '1' });
  browser = await launchChromium();
  host = await openAs(browser, contexts, server.url, 'bo-truong');
  await host.click('button[data-control="camera"]');
  teacher = await openAs(browser, contexts, server.url, 'gv-hn-1');
  await teacher.waitForSelector('.spotlight video[data-consumer-id]', { timeout: 60_000 });
});

afterAll(() => closeAll(contexts, browser, server));

describe('pin and full screen ask for the sharp layer in the mass-audience profile', () => {
  it('full screen takes the teacher\'s main video from the middle layer to the top one, and Escape brings it back', async () => {
    const middle = await onMiddleLayer(teacher, 'the middle layer at first');
    // The middle layer is the 640×360 encoding, or smaller if the host's encoder scaled it down.
    expect(middle).toBeLessThanOrEqual(360);

    await teacher.click('button[data-action="fullscreen"]');
    expect(await teacher.evaluate(() => document.fullscreenElement?.classList.contains('spotlight') ?? false)).toBe(true);
    await onTopLayer(teacher, middle, 'a taller frame from the top layer in full screen');

    await teacher.keyboard.press('Escape');
    await waitFor(() => teacher.evaluate(() => document.fullscreenElement === null), (gone) => gone, 10_000, 'full screen left with Escape');
    await onMiddleLayer(teacher, 'the middle layer again after full screen', middle);
  });

  it('the full-screen button leaves full screen too, and the layer follows', async () => {
    const middle = await onMiddleLayer(teacher, 'the middle layer before full screen');
    await teacher.click('button[data-action="fullscreen"]');
    await onTopLayer(teacher, middle, 'the top layer in full screen');
    await teacher.click('button[data-action="fullscreen"]');
    expect(await teacher.evaluate(() => document.fullscreenElement)).toBeNull();
    await onMiddleLayer(teacher, 'the middle layer after the button', middle);
  });

  it('pinning the main video asks for the top layer, and unpinning for the middle one back', async () => {
    const middle = await onMiddleLayer(teacher, 'the middle layer before the pin');
    await teacher.click('.spotlight button[data-action="pin"]');
    expect(await teacher.getAttribute('.spotlight button[data-action="pin"]', 'aria-pressed')).toBe('true');
    await onTopLayer(teacher, middle, 'the top layer while pinned');
    await teacher.click('.spotlight button[data-action="pin"]');
    await onMiddleLayer(teacher, 'the middle layer after unpinning', middle);
  });

  it('pinning the host camera beside a screen share makes it the large one on the top layer, and unpinning returns it to a middle-layer thumbnail', async () => {
    const camera = 'video[data-source="camera"]';
    await host.click('button[data-control="screen"]');
    // The screen share takes the stage; the camera becomes a thumbnail, on the middle layer.
    await teacher.waitForSelector('.spotlight video[data-source="screen"]', { timeout: 60_000 });
    await teacher.waitForSelector(`.thumbs ${camera}`);
    const middle = await onMiddleLayer(teacher, 'the camera thumbnail on the middle layer', Infinity, camera);
    await teacher.click('.thumbs button[data-action="pin"]');
    await teacher.waitForSelector(`.spotlight ${camera}`);
    await onTopLayer(teacher, middle, 'the pinned camera on the top layer', camera);
    await teacher.click('.spotlight button[data-action="pin"]');
    await teacher.waitForSelector(`.thumbs ${camera}`);
    await onMiddleLayer(teacher, 'the camera thumbnail back on the middle layer', middle, camera);
  });

  it('data saver turned on under a pinned video puts it on the lowest layer, and turned off brings the top one back', async () => {
    const camera = 'video[data-source="camera"]';
    const middle = await onMiddleLayer(teacher, 'the camera thumbnail on the middle layer', Infinity, camera);
    await teacher.click('.thumbs button[data-action="pin"]');
    await onTopLayer(teacher, middle, 'the pinned camera on the top layer', camera);
    await teacher.click('button[data-action="data-saver"]');
    // The lowest layer with data saver on, pinned or not (the SFU estimates nothing for this viewer,
    // so its 250 kbps cap alone would not hold it). The screen share shares the link and may hold
    // the camera back longer, so frames are not asked for here.
    await waitFor(() => observe(teacher, camera), (o) => o !== null && o.preferred === 0 && (o.current ?? 0) === 0, RAMP_MS, 'the lowest layer with data saver');
    expect(await teacher.getAttribute('.spotlight', 'data-top-layer')).toBe('false');
    await teacher.click('button[data-action="data-saver"]');
    await onTopLayer(teacher, middle, 'the pinned camera on the top layer again with data saver off', camera);
    expect(await teacher.getAttribute('.spotlight', 'data-top-layer')).toBe('true');
    await teacher.click('.spotlight button[data-action="pin"]');
    await waitFor(() => observe(teacher, camera), (o) => o !== null && o.preferred === 1, 30_000, 'the middle layer preferred after unpinning');
  });

  it('data saver puts a screen share on its lower layer too (half its size), and turned off brings the full size back', async () => {
    const screen = 'video[data-source="screen"]';
    await teacher.waitForSelector(screen, { timeout: 30_000 });
    // Full size first: the screen's upper layer (of two) is the one a viewer gets.
    const full = await waitFor(() => observe(teacher, screen), (o) => o !== null && o.current === 1 && o.frameWidth > 0, RAMP_MS, 'the screen share at full size');
    await teacher.click('button[data-action="data-saver"]');
    const low = await waitFor(
      () => observe(teacher, screen),
      (o) => o !== null && o.preferred === 0 && o.current === 0 && o.frameWidth > 0 && o.frameWidth <= full!.frameWidth * 0.6,
      RAMP_MS,
      'the screen share on its lower layer with data saver',
    );
    expect(low!.frameWidth).toBeLessThan(full!.frameWidth);
    await teacher.click('button[data-action="data-saver"]');
    await waitFor(() => observe(teacher, screen), (o) => o !== null && o.current === 1 && o.frameWidth > low!.frameWidth, RAMP_MS, 'the screen share at full size again');
  });

  it('the teacher page with its pin and full-screen buttons is accessible on a 390×844 phone', async () => {
    const ctx = await phoneContext(browser, contexts);
    const page = await ctx.newPage();
    await signIn(page, server.url, 'gv-hcm-1');
    await page.waitForSelector('.spotlight button[data-action="fullscreen"]', { timeout: 60_000 });
    await waitFor(() => page.$eval('.spotlight video', (v) => (v as HTMLVideoElement).videoWidth), (w) => w > 0, 60_000, 'video playing on the phone');
    await expectAccessible(page);
    await expectPhoneLayout(page);
  });
});
