/**
 * Regenerates the README's screenshots: the sign-in page a newcomer sees at the printed URL, the
 * host console on air at 1280×800 (a speaker, two hands waiting), a teacher's view, a province breakout (its host's console and a teacher
 * there, and a province without its host on a phone), and the teacher page on a phone (390×844).
 * and a rehearsal of a produced broadcast (the producer's controls, a presenter backstage, and
 * the teacher on a phone with sign language and captions). Loopback only.
 *   node --import tsx scripts/screenshots.ts              (all)
 *   node --import tsx scripts/screenshots.ts rehearsal    (the rehearsal's only)
 */
import { startServer } from '../harness/server';
import type { BrowserContext } from 'playwright-core';
import { launchChromium, newContext, signIn, inboundStats, waitFor } from '../harness/browser';
import { stageRehearsal } from '../harness/rehearsal';

const onlyRehearsal = process.argv[2] === 'rehearsal';
if (!onlyRehearsal) await meetingScreens();
await rehearsalScreens();

async function meetingScreens(): Promise<void> {
const server = await startServer({ HOINGHI_WORKERS: '2', HOINGHI_DEMO_MEETING: 'hoi-nghi-toan-quoc' });
const browser = await launchChromium();
try {
  const hostCtx = await newContext(browser);
  const host = await hostCtx.newPage();
  await host.goto(server.url);
  await host.waitForSelector('button[data-account="bo-truong"]');
  await host.screenshot({ path: 'docs/sign-in.png' });
  await signIn(host, server.url, 'bo-truong');
  await host.click('button[data-control="camera"]');
  await host.click('button[data-control="mic"]');
  const teacherCtx = await newContext(browser);
  const teacher = await teacherCtx.newPage();
  await signIn(teacher, server.url, 'gv-lc-1');
  await waitFor(() => inboundStats(teacher), (s) => s.framesDecoded > 30, 30_000, 'frames');
  const provinceCtx = await newContext(browser);
  const provinceHost = await provinceCtx.newPage();
  await signIn(provinceHost, server.url, 'so-ha-noi');
  await provinceHost.click('button[data-control="camera"]');
  await provinceHost.click('button[data-control="mic"]');
  const hnCtx = await newContext(browser);
  const hn = await hnCtx.newPage();
  await signIn(hn, server.url, 'gv-hn-1');
  const phoneCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await phoneCtx.grantPermissions(['camera', 'microphone']);
  const phone = await phoneCtx.newPage();
  await signIn(phone, server.url, 'gv-hcm-1');
  await waitFor(() => host.textContent('[data-testid="viewer-count"]'), (t) => t === '4', 15_000, 'viewer count (three teachers and a province host)');
  await host.waitForSelector('[data-testid="on-air"]', { timeout: 20_000 });
  // A teacher speaks (invited from the queue) while two others wait with their hands up.
  const speakerCtx = await newContext(browser);
  const speaker = await speakerCtx.newPage();
  await signIn(speaker, server.url, 'gv-dn-1');
  await speaker.click('button[data-action="hand"]');
  await host.locator('.queue-row[data-user-id="gv-dn-1"] button[data-action="invite"]').click();
  await speaker.click('button[data-action="accept"]');
  await host.waitForSelector('[data-speaker="gv-dn-1"][data-state="speaking"]');
  await teacher.click('button[data-action="hand"]');
  await phone.click('button[data-action="hand"]');
  await host.waitForSelector('.queue-row[data-user-id="gv-lc-1"]');
  await host.waitForSelector('.queue-row[data-user-id="gv-hcm-1"]');
  await new Promise((r) => setTimeout(r, 1_500));
  await teacher.screenshot({ path: 'docs/teacher.png' });
  // The console as a host sees it on a 1280×800 screen, without scrolling.
  await host.screenshot({ path: 'docs/host.png' });
  await host.click('[data-speaker="gv-dn-1"] button[data-action="revoke"]');
  await phone.click('button[data-action="hand"]');
  await phone.waitForSelector('video[data-consumer-id]');
  await new Promise((r) => setTimeout(r, 1_000));
  await phone.screenshot({ path: 'docs/mobile.png' });

  await host.fill('.breakout-panel input[type="number"]', '15');
  await host.click('button[data-action="start-breakouts"]');
  await hn.waitForSelector('[data-session="01"]');
  await provinceHost.waitForSelector('[data-testid="on-air"]', { timeout: 20_000 });
  // TP.HCM has no province host signed in: its teacher (on the phone) sees the national session, labelled.
  await phone.waitForSelector('[data-testid="national-fallback"]', { timeout: 20_000 });
  // (The phone's context does not record its peer connections: count the frames the video presented.)
  const presented = (): Promise<number> =>
    phone.$eval('.main-video video', (v) => (v as HTMLVideoElement).getVideoPlaybackQuality().totalVideoFrames).catch(() => 0);
  await waitFor(presented, (n) => n > 30, 30_000, 'fallback frames');
  await new Promise((r) => setTimeout(r, 1_500));
  await phone.screenshot({ path: 'docs/province-fallback.png' });
  await host.click('button[data-action="speak-to-all"]');
  await hn.waitForSelector('[data-testid="speak-to-all-cue"]');
  await waitFor(() => inboundStats(hn), (s) => s.framesDecoded > 60, 30_000, 'province frames');
  await new Promise((r) => setTimeout(r, 1_500));
  await hn.screenshot({ path: 'docs/province-teacher.png' });
  await provinceHost.screenshot({ path: 'docs/province-host.png', fullPage: true });
  console.log('wrote docs/sign-in.png, docs/host.png, docs/teacher.png, docs/mobile.png, docs/province-teacher.png, docs/province-host.png, docs/province-fallback.png');
} finally {
  await browser.close();
  await server.close();
}
}

/** The rehearsal of harness/rehearsal.ts, on a node of its own. */
async function rehearsalScreens(): Promise<void> {
  const meeting = 'tong-duyet-hoi-nghi';
  const server = await startServer({ HOINGHI_WORKERS: '2', HOINGHI_DEMO_MEETING: meeting });
  const browser = await launchChromium();
  const contexts: BrowserContext[] = [];
  try {
    const r = await stageRehearsal(server, browser, contexts, meeting);
    await r.teacher.waitForSelector('[data-testid="interpreter-pip"] video');
    await waitFor(() => inboundStats(r.teacher), (s) => s.framesDecoded > 60, 30_000, 'stage frames');
    await waitFor(() => r.teacher.textContent('[data-testid="captions"]').then((t) => t ?? ''), (t) => t.includes(r.caption), 15_000, 'the caption');
    await new Promise((done) => setTimeout(done, 1_500));
    await r.teacher.evaluate(() => window.scrollTo(0, 0));
    await r.teacher.screenshot({ path: 'docs/rehearsal-teacher.png' });
    // The host console at 1280×800, its side column scrolled to the producer's controls.
    await r.host.evaluate(() => document.querySelector('[data-testid="producer-panel"]')?.scrollIntoView({ block: 'start' }));
    await r.host.screenshot({ path: 'docs/rehearsal-producer.png' });
    await r.presenter.screenshot({ path: 'docs/rehearsal-presenter.png' });
    console.log('wrote docs/rehearsal-teacher.png, docs/rehearsal-producer.png, docs/rehearsal-presenter.png');
  } finally {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser.close();
    await server.close();
  }
}
