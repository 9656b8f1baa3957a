/**
 * The rehearsal's people in Chromium (harness/browser.ts: Debian's Chromium, fake camera and
 * microphone): the national host, province hosts, and a teacher who speaks. They act through the
 * page as a person does (clicks on the controls), and every request their page sends is timed
 * from the WebSocket frames themselves: a socket.io request `42<id>["event",…]` and its
 * acknowledgement `43<id>[…]`, so that a control that answers late (or never) is seen whatever
 * the page shows.
 */
import { EventEmitter } from 'node:events';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { newContext, signIn } from '../../harness/browser';
import type { AckRecord } from './teacherBots';

const REQUEST = /^42(\d+)\["([A-Za-z]+)"/;
const ACK = /^43(\d+)\[([\s\S]*)\]$/;

export class PageAcks extends EventEmitter<{ ack: [AckRecord] }> {
  records: AckRecord[] = [];
  /** Requests sent and not answered yet: who, event, sent at (epoch ms). */
  readonly #open = new Map<string, { who: string; event: string; at: number; t: number }>();
  #socket = 0;

  /** Times every request of `page`'s socket.io connections (attach before the page connects). */
  watch(page: Page, who: string): void {
    page.on('websocket', (ws) => {
      if (!ws.url().includes('/socket.io/')) return;
      const conn = ++this.#socket;
      ws.on('framesent', ({ payload }) => {
        const m = REQUEST.exec(String(payload));
        if (m) this.#open.set(`${conn}:${m[1]}`, { who, event: m[2]!, at: Date.now(), t: performance.now() });
      });
      ws.on('framereceived', ({ payload }) => {
        const m = ACK.exec(String(payload));
        if (!m) return;
        const key = `${conn}:${m[1]}`;
        const sent = this.#open.get(key);
        if (!sent) return;
        this.#open.delete(key);
        let outcome = 'ok';
        try {
          const res = JSON.parse(m[2]!) as { ok: boolean; error?: { code: string } };
          if (!res.ok) outcome = res.error?.code ?? 'error';
        } catch {
          outcome = 'unreadable';
        }
        this.#record({ who: sent.who, event: sent.event, ms: Math.round(performance.now() - sent.t), outcome, at: sent.at });
      });
      ws.on('close', () => {
        // The connection went with requests unanswered (a killed node): they never will be.
        for (const [key, sent] of this.#open) {
          if (!key.startsWith(`${conn}:`)) continue;
          this.#open.delete(key);
          this.#record({ who: sent.who, event: sent.event, ms: Math.round(performance.now() - sent.t), outcome: 'connection_lost', at: sent.at });
        }
      });
    });
  }

  #record(r: AckRecord): void {
    this.records.push(r);
    this.emit('ack', r);
  }

  /** Hands over what was recorded since the last call. */
  drain(): AckRecord[] {
    const out = this.records;
    this.records = [];
    return out;
  }

  /** Requests waiting for an answer longer than `ms` now. */
  waiting(ms: number): { who: string; event: string; ageMs: number }[] {
    const now = performance.now();
    return [...this.#open.values()].filter((o) => now - o.t > ms).map((o) => ({ who: o.who, event: o.event, ageMs: Math.round(now - o.t) }));
  }
}

/** What one click led to: the acknowledgement of the request it sent. */
export interface ActionResult {
  outcome: string;
  ms: number;
}

export class MeetingPage {
  readonly who: string;
  readonly page: Page;
  readonly #acks: PageAcks;

  private constructor(who: string, page: Page, acks: PageAcks) {
    this.who = who;
    this.page = page;
    this.#acks = acks;
  }

  /** A new person (own context), their requests timed, signed in as a demo account. */
  static async open(browser: Browser, contexts: BrowserContext[], url: string, accountId: string, acks: PageAcks): Promise<MeetingPage> {
    const ctx = await newContext(browser);
    contexts.push(ctx);
    const page = await ctx.newPage();
    acks.watch(page, accountId);
    await signIn(page, url, accountId);
    return new MeetingPage(accountId, page, acks);
  }

  /** Resolves with the next acknowledgement of `event` from this page (outcome 'no_answer' after `timeoutMs`). */
  nextAck(event: string, timeoutMs: number): Promise<ActionResult> {
    return new Promise((resolve) => {
      const onAck = (r: AckRecord): void => {
        if (r.who !== this.who || r.event !== event) return;
        clearTimeout(timer);
        this.#acks.off('ack', onAck);
        resolve({ outcome: r.outcome, ms: r.ms });
      };
      const timer = setTimeout(() => {
        this.#acks.off('ack', onAck);
        resolve({ outcome: 'no_answer', ms: timeoutMs });
      }, timeoutMs);
      this.#acks.on('ack', onAck);
    });
  }

  /**
   * Clicks the control `selector` (waiting up to 15 s for it to be shown) and resolves with the
   * acknowledgement of the request it sends, `event`. A control never shown is `control_missing`.
   */
  async click(selector: string, event: string, timeoutMs = 30_000): Promise<ActionResult> {
    try {
      await this.page.waitForSelector(selector, { state: 'visible', timeout: 20_000 });
    } catch {
      await this.#shot(`missing ${selector}`);
      return { outcome: 'control_missing', ms: 0 };
    }
    const acked = this.nextAck(event, timeoutMs);
    try {
      // noWaitAfter: a starved page may take long to settle after the click, which was made.
      await this.page.click(selector, { timeout: 30_000, noWaitAfter: true });
    } catch {
      await this.#shot(`click ${selector}`);
      // The click may have gone through before the error: its request says.
      const r = await acked;
      return r.outcome === 'no_answer' ? { outcome: 'click_failed', ms: 0 } : r;
    }
    return acked;
  }

  /**
   * A control that asks first (web/src/components/ConfirmDialog.tsx): clicks it, then the
   * dialog's confirming button, and resolves with the acknowledgement of the request, `event`.
   */
  async clickConfirmed(selector: string, dialog: string, event: string): Promise<ActionResult> {
    try {
      await this.page.click(selector, { timeout: 30_000, noWaitAfter: true });
    } catch {
      await this.#shot(`click ${selector}`);
      return { outcome: 'control_missing', ms: 0 };
    }
    return this.click(`[data-confirm="${dialog}"] [data-action="confirm"]`, event);
  }

  /** Whether `selector` shows within `ms`. */
  async shows(selector: string, ms: number): Promise<boolean> {
    return this.page.waitForSelector(selector, { state: 'visible', timeout: ms }).then(() => true, () => false);
  }

  /**
   * A session host invites `userId`: from the hand queue's row, or (when the row is not shown)
   * from the participants list, as a host who looks the teacher up would.
   */
  async invite(userId: string, video: boolean): Promise<ActionResult & { from: string }> {
    const action = video ? 'invite-video' : 'invite';
    const row = `.queue-row[data-user-id="${userId}"] [data-action="${action}"]`;
    if (await this.shows(row, 10_000)) return { ...(await this.click(row, 'inviteSpeaker')), from: 'hand queue' };
    // Not among the hand queue's rows on screen (the queue shows what fits, and twenty hands came
    // first): found as a host finds anyone, by searching the participants.
    await this.page.fill('[data-testid="participant-search"]', userId).catch(() => undefined);
    const found = await this.click(`[data-participant="${userId}"] [data-action="${action}"]`, 'inviteSpeaker');
    await this.page.fill('[data-testid="participant-search"]', '').catch(() => undefined);
    return { ...found, from: 'participants, searched (not on screen in the hand queue)' };
  }

  /** With REHEARSAL_SHOTS=<folder>: what the page showed when a control was missing. */
  async #shot(what: string): Promise<void> {
    const dir = process.env.REHEARSAL_SHOTS;
    if (!dir) return;
    const name = `${Date.now()}-${this.who}-${what.replace(/[^a-z0-9-]+/gi, '_').slice(0, 80)}.png`;
    await this.page.screenshot({ path: `${dir}/${name}`, fullPage: true }).catch(() => undefined);
  }

  /** Turns a camera or microphone on unless it is on (the ack is the `produce` it sends, when it can send). */
  async ensureOn(source: 'camera' | 'mic'): Promise<ActionResult> {
    const selector = `button[data-control="${source}"]`;
    await this.page.waitForSelector(selector, { timeout: 15_000 });
    if ((await this.page.getAttribute(selector, 'data-on')) === 'true') return { outcome: 'already_on', ms: 0 };
    return this.click(selector, 'produce');
  }

  /** National host: starts breakouts (`minutes` long, or untimed), with the national camera as an overlay or not. */
  async startBreakouts(minutes: number | null, overlay: boolean): Promise<ActionResult> {
    const panel = '.breakout-panel[data-breakouts="idle"]';
    try {
      await this.page.waitForSelector(panel, { timeout: 15_000 });
    } catch {
      return { outcome: 'control_missing', ms: 0 };
    }
    await this.page.fill(`${panel} input[type="number"]`, minutes === null ? '' : String(minutes));
    await this.page.setChecked(`${panel} input[type="checkbox"]`, overlay);
    return this.click('[data-action="start-breakouts"]', 'startBreakouts');
  }

  /** National host: sends a notice to every session. */
  async notice(text: string): Promise<ActionResult> {
    const input = '.breakout-panel form input';
    await this.page.fill(input, text);
    return this.click('.breakout-panel form button[type="submit"]', 'sendNotice');
  }

  /** National host: creates and launches a poll. */
  async launchPoll(question: string, options: string[]): Promise<ActionResult> {
    await this.page.fill('[data-testid="poll-question"]', question);
    for (let i = 0; i < options.length; i++) {
      if (i >= 2) await this.page.click('.poll-form button.link');
      await this.page.fill(`[data-testid="poll-option-${i}"]`, options[i]!);
    }
    return this.click('[data-action="poll-create-launch"]', 'pollCreate');
  }

  /** RTP packets the page has sent so far, per kind, over its open peer connections (its outbound-rtp stats). */
  async packetsSent(): Promise<{ audio: number; video: number }> {
    return this.page.evaluate(async () => {
      const out = { audio: 0, video: 0 };
      for (const pc of (window as unknown as { __testPcs?: RTCPeerConnection[] }).__testPcs ?? []) {
        if (pc.connectionState === 'closed') continue;
        (await pc.getStats()).forEach((s: { type: string; kind?: string; packetsSent?: number }) => {
          if (s.type === 'outbound-rtp' && (s.kind === 'audio' || s.kind === 'video')) out[s.kind] += s.packetsSent ?? 0;
        });
      }
      return out;
    });
  }

  /** Whether the page shows breakouts running (national host's panel). */
  async breakoutsShown(): Promise<boolean> {
    return (await this.page.getAttribute('.breakout-panel', 'data-breakouts').catch(() => null)) === 'active';
  }
}
