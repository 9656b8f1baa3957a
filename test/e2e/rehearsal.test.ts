/**
 * End-to-end in Chromium (issue 25, "done when"): a rehearsal with two presenters in backstage, a
 * studio encoder over WHIP, a sign-language interpreter and a captioner (harness/rehearsal.ts).
 * What each sees is read from their pages and the teacher's WebRTC stats: the teacher decodes the
 * host and the encoder side by side on the live stage, not the presenter who stays backstage; the
 * interpreter's picture plays over the stage; the captioner's line is on the teacher's screen;
 * every presenter's page says whether they are on air. Accessible (axe) on the phone and the host
 * console.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { closeAll, inboundForProducer, launchChromium, openAs, waitFor } from '../../harness/browser';
import { stageRehearsal, type Rehearsal } from '../../harness/rehearsal';
import { expectAccessible, expectPhoneLayout } from '../helpers/a11y';

const MEETING = 'e2e-rehearsal';
let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let r: Rehearsal;

beforeAll(async () => {
  server = await startServer({ HOINGHI_DEMO_MEETING: MEETING });
  browser = await launchChromium();
  r = await stageRehearsal(server, browser, contexts, MEETING);
}, 180_000);

afterAll(() => closeAll(contexts, browser, server));

function producerOf(peerId: string, source: 'camera' | 'mic' = 'camera'): string {
  const p = [...(server.sockets.registry.get(MEETING)?.published.values() ?? [])].find((x) => x.peerId === peerId && x.source === source);
  if (!p) throw new Error(`${peerId} publishes no ${source}`);
  return p.id;
}

async function frames(page: Page, producerId: string): Promise<number> {
  return (await inboundForProducer(page, producerId))?.framesDecoded ?? 0;
}

describe('a rehearsal of a produced broadcast', () => {
  it('brings the host and the encoder to the teacher side by side, with sign language and captions, and keeps the presenter backstage', async () => {
    const { teacher, host, presenter, interpreter, captioner } = r;
    await waitFor(() => frames(teacher, producerOf('bo-truong')), (n) => n > 0, 30_000, "the host's picture at the teacher");
    await waitFor(() => frames(teacher, producerOf(r.encoderKey)), (n) => n > 0, 30_000, "the encoder's picture at the teacher");
    await waitFor(async () => (await inboundForProducer(teacher, producerOf(r.encoderKey, 'mic')))?.packetsReceived ?? 0, (n) => n > 0, 30_000, "the encoder's sound at the teacher");
    expect(await teacher.getAttribute('[data-testid="program"]', 'data-layout')).toBe('sideBySide');
    expect(await teacher.getAttribute('[data-testid="program"]', 'data-count')).toBe('2');
    // The presenter stays backstage: the teacher has nothing of theirs.
    expect(await teacher.$('[data-peer-id="gv-hn-2"]')).toBeNull();

    // The interpreter over the stage, decoded.
    await teacher.waitForSelector('[data-testid="interpreter-pip"] video', { timeout: 20_000 });
    await waitFor(() => frames(teacher, producerOf('gv-hcm-2')), (n) => n > 0, 30_000, "the interpreter's picture at the teacher");

    // The captioner's line on the teacher's screen.
    await waitFor(() => teacher.textContent('[data-testid="captions"]').then((t) => t ?? ''), (t) => t.includes(r.caption), 15_000, 'the caption at the teacher');

    // Each presenter's own state, unmistakable.
    await host.waitForSelector('[data-testid="stage-status"][data-state="on-air"]');
    await presenter.waitForSelector('[data-testid="stage-status"][data-state="backstage"]');
    await interpreter.waitForSelector('[data-testid="stage-status"][data-state="on-air"]');
    expect(await captioner.$('main.presenter-console')).toBeNull();

    await expectAccessible(teacher);
    await expectPhoneLayout(teacher);
    await expectAccessible(host);
    await expectAccessible(interpreter);
  }, 120_000);

  it('gives a teacher joining late on a desktop the same: the interpreter when turned on, and the last caption', async () => {
    const late = await openAs(browser, contexts, server.url, 'gv-lc-1');
    await waitFor(() => frames(late, producerOf('bo-truong')), (n) => n > 0, 30_000, "the host's picture at the late teacher");
    expect(await late.$('[data-testid="interpreter-pip"]')).toBeNull();
    await late.click('button[data-action="interpreter"]');
    await late.waitForSelector('[data-testid="interpreter-pip"] video', { timeout: 20_000 });
    await waitFor(() => frames(late, producerOf('gv-hcm-2')), (n) => n > 0, 30_000, "the interpreter's picture at the late teacher");
    await late.click('button[data-action="captions"]');
    await waitFor(() => late.textContent('[data-testid="captions"]').then((t) => t ?? ''), (t) => t.includes(r.caption), 15_000, 'the last caption at the late teacher');
    await expectAccessible(late);
  }, 90_000);
});
