/**
 * Whether a page's <video> plays, read from the element itself (its clock and the frames the
 * browser presented), not from the DOM around it.
 */
import type { Page } from 'playwright-core';
import { waitFor } from './browser';

/** Playback progress of a <video>: its clock, frames the browser presented, and the page's measured delay. */
export async function playback(page: Page, selector: string): Promise<{ currentTime: number; frames: number; delay: number | null }> {
  return page.evaluate((sel) => {
    const v = document.querySelector<HTMLVideoElement>(sel);
    if (!v) return { currentTime: -1, frames: -1, delay: null };
    const q = v.getVideoPlaybackQuality();
    const d = v.getAttribute('data-delay-s');
    return { currentTime: v.currentTime, frames: q.totalVideoFrames - q.droppedVideoFrames, delay: d === null ? null : Number(d) };
  }, selector);
}

/** The video plays: its clock advances by 2 s and new frames are shown. */
export async function plays(page: Page, selector: string, what: string): Promise<void> {
  await page.waitForSelector(selector, { timeout: 30_000 });
  const first = await waitFor(() => playback(page, selector), (p) => p.currentTime > 0 && p.frames > 0, 45_000, `${what}: first frames`);
  await waitFor(() => playback(page, selector), (p) => p.currentTime > first.currentTime + 2 && p.frames > first.frames + 10, 30_000, `${what}: advancing`);
}
