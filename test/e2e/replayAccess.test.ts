/**
 * Replays within reach (issue 23), in Debian's Chromium on a node with a database (PGlite): a host
 * on air records a while; a teacher in the meeting replays it while the meeting goes on, and the
 * live sound is muted meanwhile (said on the page) and comes back when the replay closes. In
 * "Hội nghị của tôi" the join link is a real link with a copy button, and once the meeting ended
 * its card offers "Xem lại", which leads to the replay.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { closeAll, framesRise, launchChromium, openAs, waitFor } from '../../harness/browser';
import { plays } from '../../harness/videoPlayback';
import { openMeetingNow } from '../helpers/openMeeting';

let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let host: Page;
let teacher: Page;
let meetingId = '';
let dir = '';

/** Whether each live <audio> of the page is muted. */
const liveAudioMuted = (page: Page): Promise<boolean[]> =>
  page.evaluate(() => [...document.querySelectorAll<HTMLAudioElement>('audio[data-consumer-id]')].map((a) => a.muted));

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-e2e-replay-'));
  server = await startServer({
    HOINGHI_WORKERS: '1',
    HOINGHI_DATA_DIR: 'memory://',
    HOINGHI_DEMO_SCHOOLS: '68',
    HOINGHI_DEMO_TEACHERS: '200',
    HOINGHI_RECORDINGS_DIR: dir,
    HOINGHI_RECORDING_MIN_FREE_MB: '1',
    HOINGHI_HLS_SEGMENT_S: '1',
  });
  meetingId = await openMeetingNow(server, 'Họp xem lại');
  browser = await launchChromium();
  host = await openAs(browser, contexts, server.url, 'bo-truong');
  await host.goto(`${server.url}/m/${meetingId}`);
  await host.click('button[data-control="camera"]');
  await host.click('button[data-control="mic"]');
  await host.waitForSelector('button[data-control="mic"][data-on="true"]');
  teacher = await openAs(browser, contexts, server.url, 'gv-hn-1');
  await teacher.goto(`${server.url}/m/${meetingId}`);
  await framesRise(teacher, 'teacher frames');
  await teacher.waitForSelector('audio[data-consumer-id]', { state: 'attached', timeout: 20_000 });
}, 180_000);

afterAll(async () => {
  await closeAll(contexts, browser, server);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('a replay during the live meeting', () => {
  it('mutes the live sound while it plays, says so, and restores the sound when closed', async () => {
    await host.click('button[data-control="record"]');
    await host.waitForSelector('button[data-control="record"][data-on="true"]', { timeout: 20_000 });
    await waitFor(async () => server.recordings.recorderOf(meetingId, 'main')?.segments ?? 0, (n) => n >= 4, 90_000, 'four recorded segments');
    await host.click('button[data-control="record"]');
    await host.waitForSelector('button[data-control="record"][data-on="false"]', { timeout: 20_000 });

    await teacher.waitForSelector('[data-testid="recordings"] [data-action="replay"]', { timeout: 30_000 });
    expect(await liveAudioMuted(teacher)).toEqual([false]);
    await teacher.click('[data-testid="recordings"] [data-action="replay"]');
    expect(await teacher.textContent('[data-testid="live-muted"]')).toContain('Đã tắt tiếng buổi họp trực tiếp trong khi xem lại');
    expect(await liveAudioMuted(teacher)).toEqual([true]);
    await plays(teacher, 'video[data-testid="hls-replay"]', 'replay during the meeting');
    // The meeting goes on meanwhile: its picture still plays.
    await framesRise(teacher, 'teacher frames during the replay');

    await teacher.click('[data-testid="recordings"] [data-action="replay"]');
    await teacher.waitForSelector('[data-testid="live-muted"]', { state: 'detached' });
    expect(await liveAudioMuted(teacher)).toEqual([false]);
  }, 180_000);
});

describe('"Hội nghị của tôi"', () => {
  let other: Page;

  it('shows the join link as a link that opens the meeting, with a button that copies it', async () => {
    other = await openAs(browser, contexts, server.url, 'gv-hn-2');
    await other.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const card = `li.meeting-card[data-meeting="${meetingId}"]`;
    await other.waitForSelector(card, { timeout: 20_000 });
    const link = `${card} a[data-testid="join-link"]`;
    expect(await other.getAttribute(link, 'href')).toBe(`/m/${meetingId}`);
    expect(await other.textContent(link)).toBe(`${server.url}/m/${meetingId}`);
    await other.click(`${card} button[data-action="copy-link"]`);
    await other.waitForSelector(`${card} [data-testid="copy-result"][data-copied="yes"]`);
    expect(await other.textContent(`${card} [data-testid="copy-result"]`)).toContain('Đã sao chép');
    expect(await other.evaluate(() => navigator.clipboard.readText())).toBe(`${server.url}/m/${meetingId}`);
    await other.click(link);
    await other.waitForURL(`${server.url}/m/${meetingId}`);
    await other.waitForSelector('main.meetings', { state: 'detached' });
  });

  it('offers "Xem lại" on the ended meeting, leading to its replay', async () => {
    await host.click('.meeting-bar button[data-action="end-meeting"]');
    await host.click('[data-confirm="end-meeting"] button[data-action="confirm"]');
    await other.waitForSelector('main.lobby.ended', { timeout: 30_000 });
    await other.goto(server.url);
    const replay = `li.meeting-card[data-meeting="${meetingId}"] a[data-action="replay-meeting"]`;
    await other.waitForSelector(replay, { timeout: 20_000 });
    expect(await other.textContent(replay)).toContain('Xem lại');
    await other.click(replay);
    await other.waitForURL(`${server.url}/m/${meetingId}#recordings`);
    await other.waitForSelector('main.lobby.ended [data-testid="recordings"] [data-action="replay"]', { timeout: 20_000 });
    await other.click('[data-testid="recordings"] [data-action="replay"]');
    await plays(other, 'video[data-testid="hls-replay"]', 'replay from "My meetings"');
    // The meeting is over: nothing live to mute, and so nothing said about it.
    expect(await other.$('[data-testid="live-muted"]')).toBeNull();
  }, 120_000);
});
