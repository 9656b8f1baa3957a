/**
 * End-to-end in Debian's Chromium, on a node with a database (PGlite): a host schedules a meeting
 * for Hà Nội; a Hà Nội teacher sees it in "My meetings", waits in the lobby with a countdown, and
 * is let in when the host opens it (video frames decoded, from WebRTC stats); the host's
 * dashboard shows the teacher present. A teacher of another province never sees it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { closeAll, framesRise, launchChromium, openAs, waitFor } from '../../harness/browser';

let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let host: Page;
let teacher: Page;
let meetingId = '';
const TITLE = 'Hội nghị giáo viên Hà Nội — thử nghiệm';
const SHOTS = process.env.HOINGHI_SCREENSHOTS; // a folder: save the README's screenshots there

beforeAll(async () => {
  server = await startServer({
    HOINGHI_WORKERS: '1',
    HOINGHI_DEMO_MEETING: 'e2e-demo',
    HOINGHI_DATA_DIR: 'memory://',
    HOINGHI_DEMO_SCHOOLS: '68',
    HOINGHI_DEMO_TEACHERS: '600',
    HOINGHI_ATTENDANCE_FLUSH_MS: '200',
  });
  browser = await launchChromium();
  host = await openAs(browser, contexts, server.url, 'bo-truong');
  teacher = await openAs(browser, contexts, server.url, 'gv-hn-1');
}, 180_000);

afterAll(() => closeAll(contexts, browser, server));

describe('a scheduled meeting from the form to attendance', () => {
  it('the host schedules a meeting for Hà Nội from "My meetings"', async () => {
    await host.waitForSelector('main.meetings h1');
    expect(new URL(host.url()).pathname).toBe('/meetings');
    await host.click('button.primary');
    await host.fill('input[name="title"]', TITLE);
    await host.fill('textarea[name="agenda"]', '1. Khai mạc\n2. Triển khai chương trình mới\n3. Hỏi đáp');
    // Three minutes from now, in the browser's local time (the input's precision is a minute).
    const start = await host.evaluate(() => {
      const d = new Date(Date.now() + 3 * 60_000);
      const pad = (n: number): string => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
    });
    await host.fill('input[name="start"]', start);
    await host.check('input[name="audience"][value="provinces"]');
    await host.check('.checks input[value="01"]');
    await host.click('form.schedule-form button[type="submit"]');
    const card = await host.waitForSelector(`li.meeting-card:has-text("${TITLE}")`);
    meetingId = (await card.getAttribute('data-meeting'))!;
    expect(meetingId).toMatch(/^hn-[0-9a-f]{12}$/);
    expect(await card.textContent()).toContain('Đã lên lịch');
    if (SHOTS) await host.screenshot({ path: `${SHOTS}/my-meetings.png`, fullPage: true });
  });

  it('the teacher sees it in "My meetings" and waits in the lobby with a countdown', async () => {
    await teacher.reload();
    const card = await teacher.waitForSelector(`li.meeting-card[data-meeting="${meetingId}"]`, { timeout: 20_000 });
    expect(await card.textContent()).toContain(TITLE);
    await card.$('a.button').then((a) => a!.click());
    await teacher.waitForSelector('main.lobby[data-state="lobby"]');
    const first = await teacher.textContent('[data-countdown]');
    expect(first).toMatch(/^0[0-3]:[0-5]\d$/);
    await waitFor(() => teacher.textContent('[data-countdown]'), (t) => t !== first, 5_000, 'the countdown ticking');
    expect(await teacher.textContent('main.lobby')).toContain('Triển khai chương trình mới');
    // No media before the meeting opens.
    expect(await teacher.evaluate(() => (window as unknown as { __testPcs: unknown[] }).__testPcs.length)).toBe(0);
    if (SHOTS) await teacher.screenshot({ path: `${SHOTS}/lobby.png`, fullPage: true });
  });

  it('a teacher of another province does not see it', async () => {
    const other = await openAs(browser, contexts, server.url, 'gv-hcm-1');
    await other.waitForSelector('main.meetings section');
    expect(await other.$(`li.meeting-card[data-meeting="${meetingId}"]`)).toBeNull();
    await other.goto(`${server.url}/m/${meetingId}`);
    await other.waitForSelector('main.lobby .error');
  });

  it('the host opens it; the waiting teacher is let in without a reload and decodes the host\'s video', async () => {
    await host.goto(`${server.url}/m/${meetingId}`);
    await host.click('main.lobby button.primary');
    await host.click('button[data-control="camera"]');
    await host.click('button[data-control="mic"]');
    await host.waitForSelector('button[data-control="camera"][data-on="true"]');
    await teacher.waitForSelector('main.lobby', { state: 'detached', timeout: 15_000 });
    await framesRise(teacher, 'teacher frames after the meeting opened');
    expect(new URL(teacher.url()).pathname).toBe(`/m/${meetingId}`);
  });

  it('the host\'s dashboard shows the teacher present, down to their row', async () => {
    // The host leaves the meeting page for the dashboard (the same tab keeps the sign-in).
    const dash = host;
    await dash.goto(`${server.url}/m/${meetingId}/attendance`, { waitUntil: 'domcontentloaded' });
    await waitFor(() => dash.textContent('[data-present]'), (t) => t === '1', 20_000, 'one present');
    const totals = await dash.textContent('[data-testid="totals"]');
    expect(totals).toContain('Dự kiến');
    await dash.click('tr[data-group="01"] button');
    await dash.waitForSelector('tr[data-group] button');
    const schoolRow = await dash.waitForSelector('tr[data-group]:has(td:nth-child(2):text-is("1")) button');
    await schoolRow.click();
    const row = await dash.waitForSelector('tr[data-teacher="gv-hn-1"]');
    expect(await row.getAttribute('class')).toContain('is-present');
    expect(await row.textContent()).toContain('Nguyễn Thị Lan');
    await dash.click('nav.crumbs button.link >> nth=0');
    await dash.waitForSelector('tr[data-group="01"]');
    if (SHOTS) await dash.screenshot({ path: `${SHOTS}/dashboard.png`, fullPage: true });
  });

  it('when the host ends it, the teacher sees the summary instead of a black video', async () => {
    await host.goto(`${server.url}/m/${meetingId}`, { waitUntil: 'domcontentloaded' });
    await host.click('.meeting-bar button[data-action="end-meeting"]');
    await host.click('[data-confirm="end-meeting"] button[data-action="confirm"]');
    await teacher.waitForSelector('main.lobby.ended', { timeout: 15_000 });
    expect(await teacher.textContent('main.lobby.ended')).toContain(TITLE);
    expect(await teacher.$('video')).toBeNull();
  });
});
