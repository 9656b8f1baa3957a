/**
 * The main journeys of a national meeting, walked in Debian's Chromium against a running
 * product at `baseUrl` (scripts/start.sh, scripts/start-cluster.sh's HAProxy address), as its
 * people would: the minister, the Hà Nội province host and teachers of Hà Nội and TP.HCM sign
 * in with the demo accounts; the minister schedules a meeting, the others wait in its lobby until
 * it opens; on air; a hand, an invitation, a teacher heard; province breakouts started while that
 * teacher speaks; the province host on air in their breakout; speak to all; recall; a question
 * and a poll; recording; the delayed stream (HLS) a teacher chooses; the end; the replay.
 *
 * Only what the pages show and what their RTCPeerConnections report is read (no handle on the
 * server): Vietnamese texts, no error banner, and media proven by inbound-rtp counters rising.
 * Each step is a test; once one fails the later ones are skipped (they would only fail after it).
 * One file of ~440 lines on purpose: the steps are one story, each using the pages and the
 * meeting the steps before it made; read in order, it is the journey.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { inboundForProducer, launchChromium, newContext, signIn, waitFor } from '../../harness/browser';

export interface JourneyTarget {
  /** Where a person opens the product. */
  baseUrl: string;
  /** Text to add to a failure (the server's log tail). */
  diagnostics?: () => string;
}

const MINISTER = 'bo-truong';
const HN_HOST = 'so-ha-noi';
const LAN = 'gv-hn-1'; // Nguyễn Thị Lan, Hà Nội: raises her hand and speaks
const HONG = 'gv-hcm-1'; // Lê Thị Hồng, TP.HCM: a province whose host stays away
const TITLE = 'Hội nghị triển khai năm học mới';
/**
 * Deadlines, never waited out when things work: for the page to show what an action changed, and
 * for media to arrive. Generous, because five browsers, ffmpeg and the server share two cores
 * (and, on a developer's machine, other tests).
 */
const UI_MS = 30_000;
const MEDIA_MS = 60_000;
const AGENDA = '1. Khai mạc\n2. Thảo luận theo tỉnh\n3. Hỏi đáp';

/** Texts of the error banners a page shows (server unreachable, an action refused, …). */
export async function errorBanners(page: Page): Promise<string[]> {
  return page.$$eval('.error', (els) => els.filter((e) => (e as HTMLElement).offsetParent !== null).map((e) => e.textContent ?? ''));
}

/** The producer behind the page's element of `peerId`'s `kind` (and `source` for video), once it exists. */
async function producerAt(page: Page, peerId: string, kind: 'video' | 'audio', source = 'camera', timeoutMs = MEDIA_MS): Promise<string> {
  const selector = kind === 'video' ? `video[data-peer-id="${peerId}"][data-source="${source}"]` : `audio[data-peer-id="${peerId}"]`;
  const el = await page.waitForSelector(selector, { state: 'attached', timeout: timeoutMs });
  return (await el.getAttribute('data-producer-id'))!;
}

/**
 * Inbound counters of the track that the page's element of `peerId`'s `kind` plays now, read from
 * its RTCPeerConnection: null while there is no such element (or no stats for it yet).
 */
async function peerInbound(page: Page, peerId: string, kind: 'video' | 'audio'): Promise<{ producer: string; count: number } | null> {
  const el = await page.$(kind === 'video' ? `video[data-peer-id="${peerId}"][data-source="camera"]` : `audio[data-peer-id="${peerId}"]`);
  const producer = await el?.getAttribute('data-producer-id').catch(() => null);
  if (!producer) return null;
  const s = await inboundForProducer(page, producer);
  return s && { producer, count: kind === 'video' ? s.framesDecoded : s.packetsReceived };
}

/**
 * The page receives `peerId`'s camera (video frames decoded) or microphone (audio packets), and
 * keeps receiving: the count rises past a first reading of the same track. A track that changes
 * meanwhile (the publisher's page republished after a reconnect, as it does by itself) starts over.
 */
async function receives(page: Page, peerId: string, kind: 'video' | 'audio', what: string): Promise<void> {
  const more = kind === 'video' ? 10 : 25;
  let first: { producer: string; count: number } | null = null;
  await waitFor(
    () => peerInbound(page, peerId, kind),
    (now) => {
      if (!now || now.count === 0) return false;
      if (first?.producer !== now.producer) {
        first = now;
        return false;
      }
      return now.count > first.count + more;
    },
    MEDIA_MS,
    `${what} (${kind === 'video' ? 'frames decoded' : 'audio packets'} rising)`,
  );
}

const seesVideo = (page: Page, peerId: string, what: string): Promise<void> => receives(page, peerId, 'video', what);
const hearsAudio = (page: Page, peerId: string, what: string): Promise<void> => receives(page, peerId, 'audio', what);

/** The session key the page shows (main or a province code). */
const sessionOf = (page: Page): Promise<string | null> => page.getAttribute('[data-session]', 'data-session');

/** A GET made by the page itself, with its own sign-in token (as the web client does). */
async function pageFetch<T>(page: Page, url: string): Promise<{ status: number; body: T }> {
  return page.evaluate(async (u) => {
    const token = (JSON.parse(sessionStorage.getItem('hoinghi.session') ?? '{}') as { token?: string }).token;
    const res = await fetch(u, { headers: { Authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json().catch(() => null)) as never };
  }, url);
}

/** The playback clock and shown frames of a <video>. */
async function playback(page: Page, selector: string): Promise<{ currentTime: number; frames: number }> {
  return page.evaluate((sel) => {
    const v = document.querySelector<HTMLVideoElement>(sel);
    if (!v) return { currentTime: -1, frames: -1 };
    const q = v.getVideoPlaybackQuality();
    return { currentTime: v.currentTime, frames: q.totalVideoFrames - q.droppedVideoFrames };
  }, selector);
}

/** The video plays: its clock advances by 2 s and new frames are shown. */
async function plays(page: Page, selector: string, what: string): Promise<void> {
  await page.waitForSelector(selector, { timeout: UI_MS });
  const first = await waitFor(() => playback(page, selector), (p) => p.currentTime > 0 && p.frames > 0, 2 * MEDIA_MS, `${what}: first frames`);
  await waitFor(() => playback(page, selector), (p) => p.currentTime > first.currentTime + 2 && p.frames > first.frames + 10, UI_MS, `${what}: advancing`);
}

/** Registers the journeys as one describe block, walked in order against `target().baseUrl`. */
export function journeys(name: string, target: () => JourneyTarget): void {
  describe(`the main journeys in Chromium (${name})`, () => {
    let browser: Browser;
    const contexts: BrowserContext[] = [];
    const pages: Record<string, Page> = {};
    /** Each page's console warnings and errors (the client's own reports), for a failure's message. */
    const consoles: Record<string, string[]> = {};
    let meetingId = '';
    let broken: string | null = null;
    const base = (): string => target().baseUrl;
    const minister = (): Page => pages[MINISTER]!;
    const hnHost = (): Page => pages[HN_HOST]!;
    const lan = (): Page => pages[LAN]!;
    const hong = (): Page => pages[HONG]!;

    /** No page shows an error banner, and every page in the meeting says it is connected. */
    async function allWell(inMeeting: Page[] = []): Promise<void> {
      for (const [who, page] of Object.entries(pages)) expect({ who, errors: await errorBanners(page) }).toEqual({ who, errors: [] });
      for (const page of inMeeting) await page.waitForSelector('[data-status="connected"]', { timeout: UI_MS });
    }

    /** One step of the journey: a test that is skipped once an earlier step failed. */
    function step(title: string, timeoutMs: number, run: () => Promise<void>): void {
      it(title, async (ctx) => {
        if (broken) ctx.skip(`an earlier step failed: ${broken}`);
        try {
          await run();
        } catch (error) {
          broken = title;
          const banners: string[] = [];
          for (const [who, page] of Object.entries(pages)) {
            const shown = await errorBanners(page).catch(() => []);
            const status = await page.$$eval('[data-status]', (els) => els.map((e) => e.getAttribute('data-status'))).catch(() => []);
            const text = await page.evaluate(() => (document.querySelector('main')?.textContent ?? '').slice(0, 400)).catch(() => '');
            banners.push(`${who} at ${page.url()}: status ${JSON.stringify(status)}, errors ${JSON.stringify(shown)}\n  shows: ${text}`);
            for (const line of (consoles[who] ?? []).slice(-8)) banners.push(`  console: ${line}`);
          }
          const extra = target().diagnostics?.() ?? '';
          (error as Error).message += `\n-- pages:\n${banners.join('\n')}${extra ? `\n-- server:\n${extra}` : ''}`;
          throw error;
        }
      }, timeoutMs);
    }

    beforeAll(async () => {
      browser = await launchChromium();
    }, 60_000);

    afterAll(async () => {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser?.close();
    });

    step('each person signs in with a demo account and lands on "Hội nghị của tôi"', 240_000, async () => {
      for (const account of [MINISTER, HN_HOST, LAN, HONG]) {
        const ctx = await newContext(browser);
        contexts.push(ctx);
        ctx.setDefaultTimeout(UI_MS);
        ctx.setDefaultNavigationTimeout(2 * UI_MS);
        const page = await ctx.newPage();
        consoles[account] = [];
        page.on('console', (m) => {
          if (m.type() === 'warning' || m.type() === 'error') consoles[account]!.push(`${new Date().toISOString().slice(11, 23)} ${m.type()}: ${m.text().slice(0, 300)}`);
        });
        await signIn(page, base(), account);
        pages[account] = page;
        await page.waitForSelector('main.meetings h1');
        expect(await page.textContent('main.meetings h1')).toBe('Hội nghị của tôi');
        expect(new URL(page.url()).pathname).toBe('/meetings');
      }
      expect(await minister().textContent('.topbar')).toContain('Bộ trưởng (Host)');
      // Only hosts may schedule.
      expect(await minister().textContent('main.meetings button.primary')).toBe('Lên lịch hội nghị');
      expect(await lan().$('main.meetings button.primary')).toBeNull();
      await allWell();
    });

    step('the minister schedules a meeting for Hà Nội and TP.HCM', 120_000, async () => {
      const page = minister();
      await page.click('main.meetings button.primary');
      await page.fill('input[name="title"]', TITLE);
      await page.fill('textarea[name="agenda"]', AGENDA);
      // Ten minutes from now in the browser's time (the input's precision is a minute): the
      // lobby counts down, and the minister opens it early.
      const start = await page.evaluate(() => {
        const d = new Date(Date.now() + 10 * 60_000);
        const pad = (n: number): string => String(n).padStart(2, '0');
        return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
      });
      await page.fill('input[name="start"]', start);
      await page.check('input[name="audience"][value="provinces"]');
      await page.check('.checks input[value="01"]');
      await page.check('.checks input[value="79"]');
      await page.click('form.schedule-form button[type="submit"]');
      const card = await page.waitForSelector(`li.meeting-card:has-text("${TITLE}")`);
      meetingId = (await card.getAttribute('data-meeting'))!;
      expect(meetingId).toMatch(/^[a-z0-9-]{1,64}$/);
      expect(await card.textContent()).toContain('Đã lên lịch');
      await allWell();
    });

    step('teachers of both provinces and the province host find it and wait in its lobby', 180_000, async () => {
      for (const page of [lan(), hong(), hnHost()]) {
        await page.reload();
        const card = await page.waitForSelector(`li.meeting-card[data-meeting="${meetingId}"]`, { timeout: UI_MS });
        expect(await card.textContent()).toContain(TITLE);
        await (await card.$('a.button'))!.click();
        await page.waitForSelector('main.lobby[data-state="lobby"]');
        expect(await page.textContent('main.lobby h1')).toBe(TITLE);
        expect(await page.textContent('main.lobby')).toContain('Thảo luận theo tỉnh');
        // No media before the meeting opens.
        expect(await page.evaluate(() => (window as unknown as { __testPcs: unknown[] }).__testPcs.length)).toBe(0);
      }
      for (const page of [lan(), hong()]) {
        expect(await page.textContent('main.lobby')).toContain('Bạn sẽ được đưa vào hội nghị ngay khi hội nghị mở');
        const first = await page.textContent('[data-countdown]');
        expect(first).toMatch(/^(0\d|10):[0-5]\d$/);
        await waitFor(() => page.textContent('[data-countdown]'), (t) => t !== first, UI_MS, 'the lobby countdown ticking');
      }
      await allWell();
    });

    step('the minister opens the meeting and goes on air; the teachers are let in and receive video and sound', 300_000, async () => {
      const page = minister();
      await page.goto(`${base()}/m/${meetingId}`);
      await page.click('main.lobby button.primary:has-text("Mở hội nghị")');
      await page.click('button[data-control="camera"]');
      await page.click('button[data-control="mic"]');
      await page.waitForSelector('button[data-control="camera"][data-on="true"]');
      await page.waitForSelector('[data-testid="on-air"]', { timeout: UI_MS });
      expect(await page.textContent('[data-testid="on-air"]')).toContain('Đang phát trực tiếp');
      for (const [who, teacher] of [['Lan', lan()], ['Hồng', hong()]] as const) {
        await teacher.waitForSelector('main.lobby', { state: 'detached', timeout: UI_MS });
        expect(await sessionOf(teacher)).toBe('main');
        await seesVideo(teacher, MINISTER, `${who} sees the minister`);
        await hearsAudio(teacher, MINISTER, `${who} hears the minister`);
        const caption = await teacher.$eval(`video[data-peer-id="${MINISTER}"]`, (v) => v.closest('figure')?.querySelector('figcaption')?.textContent ?? '');
        expect(caption).toContain('Bộ trưởng (Host) · Camera');
        expect(await teacher.textContent('main.stage')).toContain('Bạn đang ở chế độ chỉ nghe và xem.');
      }
      // The province host waits in the national session, watching it, camera and microphone ready.
      await hnHost().waitForSelector('main.lobby', { state: 'detached', timeout: UI_MS });
      await seesVideo(hnHost(), MINISTER, 'the province host sees the minister');
      expect(await hnHost().textContent('main.console')).toContain('Bạn sẽ phát hình trong phiên của tỉnh khi chủ trì chia phiên.');
      await hnHost().click('button[data-control="camera"]');
      await hnHost().click('button[data-control="mic"]');
      await hnHost().waitForSelector('button[data-control="camera"][data-on="true"]');
      await waitFor(() => page.textContent('[data-testid="on-air-viewers"]'), (t) => Number(t) >= 2, UI_MS, 'the minister counts the teachers watching');
      await allWell([page, lan(), hong(), hnHost()]);
    });

    step('a teacher raises her hand, the minister invites her, and her voice reaches the minister and the other teacher', 240_000, async () => {
      await lan().click('button[data-action="hand"]');
      await lan().waitForSelector('button[data-action="hand"][data-raised="true"]');
      expect(await lan().textContent('main.stage')).toContain('Bạn đang giơ tay. Chủ trì sẽ thấy bạn trong hàng chờ.');
      const row = minister().locator(`.queue-row[data-user-id="${LAN}"]`);
      await row.waitFor({ timeout: UI_MS });
      expect(await row.textContent()).toContain('Nguyễn Thị Lan');
      await waitFor(() => minister().textContent('[data-testid="hand-total"]'), (t) => t === '1', UI_MS, 'one hand at the minister');
      await row.locator('button[data-action="invite"]').click();
      await lan().waitForSelector('[data-invitation="open"]', { timeout: UI_MS });
      expect(await lan().textContent('[data-invitation="open"]')).toContain('Chủ trì mời bạn phát biểu');
      await lan().click('button[data-action="accept"]');
      await lan().waitForSelector('[data-speaking="true"] [data-mic-state="on"]', { timeout: UI_MS });
      expect(await lan().textContent('[data-speaking="true"]')).toContain('Bạn đang phát biểu');
      await minister().waitForSelector(`[data-speaker="${LAN}"][data-state="speaking"]`, { timeout: UI_MS });
      await hearsAudio(minister(), LAN, 'the minister hears Lan');
      await hearsAudio(hong(), LAN, 'Hồng hears Lan');
      await waitFor(() => minister().textContent('[data-testid="hand-total"]'), (t) => t === '0', UI_MS, 'her hand lowered once she speaks');
      await allWell([minister(), lan(), hong()]);
    });

    step('the minister returns her to listening, and her voice stops', 120_000, async () => {
      const producer = await producerAt(hong(), LAN, 'audio');
      await minister().click(`[data-speaker="${LAN}"] button[data-action="revoke"]`);
      await lan().waitForSelector('button[data-action="hand"][data-raised="false"]', { timeout: UI_MS });
      await lan().waitForSelector('[data-speaking="true"]', { state: 'detached' });
      expect(await lan().textContent('main.stage')).toContain('Bạn đang ở chế độ chỉ nghe và xem.');
      for (const page of [minister(), hong()]) {
        await page.waitForSelector(`audio[data-peer-id="${LAN}"]`, { state: 'detached', timeout: UI_MS });
        expect(await inboundForProducer(page, producer)).toBeNull();
      }
      await minister().waitForSelector(`[data-speaker="${LAN}"]`, { state: 'detached', timeout: UI_MS });
      await allWell([minister(), lan(), hong()]);
    });

    step('province breakouts start while she speaks again; the province host goes on air to his province, and the meeting goes on', 360_000, async () => {
      // Invited again, straight from the participant list this time, and speaking.
      await minister().fill('[data-testid="participant-search"]', 'nguyen thi lan');
      await minister().click(`[data-participant="${LAN}"] button[data-action="invite"]`);
      await lan().click('button[data-action="accept"]', { timeout: UI_MS });
      await lan().waitForSelector('[data-speaking="true"] [data-mic-state="on"]', { timeout: UI_MS });
      await hearsAudio(minister(), LAN, 'the minister hears Lan again');
      // Breakouts while she speaks: this froze the whole meeting once (issue 20).
      await minister().click('button[data-action="start-breakouts"]');
      await minister().waitForSelector('.breakout-panel[data-breakouts="active"]', { timeout: UI_MS });
      await waitFor(() => sessionOf(lan()), (s) => s === '01', UI_MS, 'Lan in the Hà Nội breakout');
      await waitFor(() => sessionOf(hong()), (s) => s === '79', UI_MS, 'Hồng in the TP.HCM breakout');
      await waitFor(() => sessionOf(hnHost()), (s) => s === '01', UI_MS, 'the province host in his breakout');
      // Moving to her breakout ended her turn; she listens there.
      await lan().waitForSelector('[data-speaking="true"]', { state: 'detached', timeout: UI_MS });
      // The province host is on air in his breakout, and its teacher receives him.
      await hnHost().waitForSelector('[data-testid="on-air"]', { timeout: UI_MS });
      await seesVideo(lan(), HN_HOST, 'Lan sees her province host');
      await hearsAudio(lan(), HN_HOST, 'Lan hears her province host');
      await lan().waitForSelector(`video[data-peer-id="${MINISTER}"]`, { state: 'detached', timeout: UI_MS });
      await waitFor(() => hnHost().textContent('[data-testid="viewer-count"]'), (t) => t === '1', UI_MS, 'one viewer in Hà Nội');
      // TP.HCM has no province host on air: its teacher watches the national session, labelled.
      await hong().waitForSelector('[data-testid="national-fallback"]', { timeout: UI_MS });
      expect(await hong().textContent('[data-testid="national-fallback"]')).toContain('Tỉnh của bạn chưa có chủ trì — đang xem phiên toàn quốc');
      await seesVideo(hong(), MINISTER, 'Hồng sees the national session');
      expect(await hong().$(`[data-peer-id="${HN_HOST}"]`)).toBeNull();
      // The minister sees who is where.
      await waitFor(() => minister().textContent('.breakout-status tr[data-province="01"]'), (t) => (t ?? '').includes('Có chủ trì'), UI_MS, 'Hà Nội with its host');
      expect(await minister().textContent('.breakout-status tr[data-province="79"]')).toContain('Chưa có chủ trì');
      await allWell([minister(), lan(), hong(), hnHost()]);
    });

    step('the minister speaks to every breakout: the Hà Nội teacher hears him over her ducked province host', 180_000, async () => {
      await minister().click('button[data-action="speak-to-all"]');
      await lan().waitForSelector('[data-testid="speak-to-all-cue"]', { timeout: UI_MS });
      expect(await lan().textContent('[data-testid="speak-to-all-cue"]')).toContain('Chủ trì toàn quốc đang nói với tất cả các tỉnh');
      await hearsAudio(lan(), MINISTER, 'Lan hears the minister speaking to all');
      await waitFor(() => lan().getAttribute(`audio[data-peer-id="${HN_HOST}"]`, 'data-volume'), (v) => Number(v) < 0.5, UI_MS, 'her province host ducked');
      await minister().click('button[data-action="speak-to-all"]');
      await lan().waitForSelector('[data-testid="speak-to-all-cue"]', { state: 'detached', timeout: UI_MS });
      await allWell([minister(), lan(), hong(), hnHost()]);
    });

    step('recall brings everyone back to the national session', 180_000, async () => {
      await minister().click('button[data-action="recall"]');
      await minister().click('[data-confirm="recall"] button[data-action="confirm"]');
      await minister().waitForSelector('.breakout-panel[data-breakouts="idle"]', { timeout: UI_MS });
      for (const [who, teacher] of [['Lan', lan()], ['Hồng', hong()]] as const) {
        await waitFor(() => sessionOf(teacher), (s) => s === 'main', UI_MS, `${who} back in the national session`);
        await seesVideo(teacher, MINISTER, `${who} sees the minister again`);
        await hearsAudio(teacher, MINISTER, `${who} hears the minister again`);
        await teacher.waitForSelector(`[data-peer-id="${HN_HOST}"]`, { state: 'detached', timeout: UI_MS });
      }
      await waitFor(() => sessionOf(hnHost()), (s) => s === 'main', UI_MS, 'the province host back in the national session');
      await allWell([minister(), lan(), hong(), hnHost()]);
    });

    step('a teacher asks a question and the minister sees it; a poll answered by both provinces shows its results by province', 180_000, async () => {
      const question = 'Khi nào có hướng dẫn đánh giá học sinh theo chương trình mới?';
      await hong().fill('[data-testid="qa-input"]', question);
      await hong().click('button[data-action="qa-ask"]');
      const row = minister().locator('[data-testid="qa-host-panel"] li[data-question]', { hasText: question });
      await row.waitFor({ timeout: UI_MS });
      await minister().fill('[data-testid="poll-question"]', 'Trường thầy cô đã có phòng máy chưa?');
      await minister().fill('[data-testid="poll-option-0"]', 'Đã có');
      await minister().fill('[data-testid="poll-option-1"]', 'Chưa có');
      await minister().click('button[data-action="poll-create-launch"]');
      for (const [teacher, option] of [[lan(), 0], [hong(), 1]] as const) {
        const panel = teacher.locator('[data-testid="poll-panel"]');
        await panel.locator(`input[data-option="${option}"]`).check({ timeout: UI_MS });
        await panel.locator('button[data-action="poll-vote"]').click();
        await panel.locator('[data-testid="poll-voted"]').waitFor({ timeout: UI_MS });
      }
      const cells = (province: string): Promise<string[]> =>
        minister().locator(`[data-testid="poll-host-panel"] [data-testid="poll-by-province"] tr[data-province="${province}"] td`).allTextContents();
      await waitFor(() => cells('01'), (c) => c.join('/') === '1/1/0', UI_MS, 'Hà Nội: one voter, "Đã có"');
      await waitFor(() => cells('79'), (c) => c.join('/') === '1/0/1', UI_MS, 'TP.HCM: one voter, "Chưa có"');
      await allWell([minister(), lan(), hong()]);
    });

    step('the minister records; the teachers see "Đang ghi hình"', 180_000, async () => {
      await minister().click('button[data-control="record"]');
      await minister().waitForSelector('button[data-control="record"][data-on="true"]', { timeout: UI_MS });
      for (const teacher of [lan(), hong()]) {
        await teacher.waitForSelector('[data-testid="recording-indicator"]', { timeout: UI_MS });
        expect(await teacher.textContent('[data-testid="recording-indicator"]')).toContain('Đang ghi hình');
      }
      await allWell([minister(), lan(), hong()]);
    });

    step('a teacher chooses the delayed stream: the HLS video plays, and she comes back to real time', 300_000, async () => {
      const page = hong();
      expect(await page.textContent('button[data-action="watch-delayed"]')).toContain('Xem bản phát trễ');
      await page.click('button[data-action="watch-delayed"]');
      await page.waitForSelector('[data-testid="hls-fallback"][data-reason="chosen"]', { timeout: UI_MS });
      expect(await page.textContent('[data-testid="hls-fallback"] .hls-reason')).toContain('Bạn đã chọn xem bản phát trễ để tiết kiệm dữ liệu.');
      await plays(page, 'video[data-testid="hls-live"]', 'the delayed stream');
      await page.click('button[data-action="realtime"]');
      await page.waitForSelector('[data-testid="hls-fallback"]', { state: 'detached', timeout: UI_MS });
      await seesVideo(page, MINISTER, 'Hồng back on real time');
      await allWell([minister(), lan(), hong()]);
    });

    step('the minister stops recording and ends the meeting; everyone sees that it has ended', 240_000, async () => {
      // A few seconds of recording at least (the delayed stream above took some), so the replay has something to play.
      await waitFor(
        () => pageFetch<{ recordings: { endedAt: number | null; durationS: number }[] }>(minister(), `/api/meetings/${meetingId}/recordings`),
        (r) => r.status === 200 && r.body.recordings.some((x) => x.endedAt === null && x.durationS >= 4),
        2 * MEDIA_MS,
        'a live recording of 4 s or more',
      );
      await minister().click('button[data-control="record"]');
      await minister().waitForSelector('button[data-control="record"][data-on="false"]', { timeout: UI_MS });
      await minister().click('.meeting-bar button:has-text("Kết thúc hội nghị")');
      await minister().click('[data-confirm="end-meeting"] button[data-action="confirm"]');
      for (const page of [minister(), lan(), hong(), hnHost()]) {
        // At once the page says it ended (the server told it); the meeting's summary follows.
        await page.waitForSelector('main.lobby.ended', { timeout: UI_MS });
        expect(await page.textContent('main.lobby.ended h1')).toBe('Hội nghị đã kết thúc');
        await waitFor(() => page.textContent('main.lobby.ended'), (t) => (t ?? '').includes(TITLE), UI_MS, 'the meeting\'s summary');
        expect(await page.textContent('main.lobby.ended')).toContain(page === minister() ? 'Hội nghị đã được kết thúc cho mọi người tham dự' : 'Chủ trì đã kết thúc hội nghị.');
        expect(await page.$('main.lobby.ended video:not([data-testid="hls-replay"])')).toBeNull();
      }
      await allWell();
    });

    step('a teacher replays the recording from the ended meeting\'s page: the video plays', 300_000, async () => {
      const page = lan();
      await page.waitForSelector('main.lobby.ended [data-testid="recordings"] [data-action="replay"]', { timeout: MEDIA_MS });
      expect(await page.textContent('main.lobby.ended [data-testid="recordings"]')).toContain('Phiên toàn quốc');
      await page.click('[data-testid="recordings"] [data-action="replay"]');
      await plays(page, 'video[data-testid="hls-replay"]', 'the replay');
      await allWell();
    });
  });
}
