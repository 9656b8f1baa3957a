/**
 * End-to-end in Chromium through HAProxy onto three signaling processes (cluster mode, one Redis,
 * two SFU node processes): a host and two teachers land on signaling nodes chosen by HAProxy's
 * leastconn (one teacher on a node of its own) and the teachers decode the host's frames. The signaling node of one teacher is
 * killed with SIGKILL: the page reconnects through HAProxy to a live node, rejoins without a
 * reload and decodes frames again on new tracks, while the other teacher is unaffected.
 */
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startRedis, startSfuNode, type RedisProcess, type SfuNodeProcess } from '../../harness/cluster';
import { clusterToken, connectTo, startSignalingNode, type SignalingProcess } from '../../harness/signaling';
import { request, type TestSocket } from '../../harness/server';
import { joinWhenAdmitted } from '../helpers/admission';
import { startHaproxy, type HaproxyProcess } from '../../harness/haproxy';
import { closeAll, framesOnNewTracks, framesRise, launchChromium, openAs, trackIds, waitFor } from '../../harness/browser';

const MEETING = 'e2e-signaling-cluster';
const TEACHERS = ['gv-hn-1', 'gv-hcm-1'];
let redis: RedisProcess;
const sfuNodes: SfuNodeProcess[] = [];
const sig: SignalingProcess[] = [];
let haproxy: HaproxyProcess;
let browser: Browser;
const contexts: BrowserContext[] = [];
const pages: Record<string, Page> = {};
const bots: TestSocket[] = [];

/** The signaling node a participant is connected through, as the meeting store has it. */
async function nodeOf(userId: string): Promise<string | null> {
  const client = createClient({ url: redis.url });
  await client.connect();
  try {
    const raw = await client.hGet(`hn:m:{${MEETING}}:roster`, userId);
    return raw ? (JSON.parse(raw) as { node: string }).node : null;
  } finally {
    await client.quit();
  }
}

beforeAll(async () => {
  redis = await startRedis();
  for (const id of ['sfu-1', 'sfu-2']) sfuNodes.push(await startSfuNode(redis.url, id));
  for (const id of ['sig-1', 'sig-2', 'sig-3']) {
    sig.push(
      await startSignalingNode(redis.url, id, {
        HOINGHI_DEMO_SIGNIN: 'true',
        HOINGHI_DEMO_MEETING: MEETING,
        HOINGHI_TRUSTED_PROXIES: '127.0.0.1',
        HOINGHI_SIGNIN_PER_MIN: '600',
        // One cluster-wide join every 4 s after a burst of 6 (the pages, and a rejoin): the last test
        // fills the queue to show the progress bar through HAProxy.
        HOINGHI_JOIN_RATE: '0.25',
        HOINGHI_JOIN_BURST: '6',
      }),
    );
  }
  haproxy = await startHaproxy(sig.map((s) => new URL(s.url).host), { checkIntervalMs: 500 });
  for (const s of sig) await haproxy.waitFor(new URL(s.url).host, 'UP');
  browser = await launchChromium();
  pages['bo-truong'] = await openAs(browser, contexts, haproxy.url, 'bo-truong');
  await pages['bo-truong'].click('button[data-control="camera"]');
  for (const id of TEACHERS) pages[id] = await openAs(browser, contexts, haproxy.url, id);
}, 240_000);

afterAll(async () => {
  for (const b of bots) b.close();
  await closeAll(contexts, browser, undefined);
  await haproxy?.stop();
  await Promise.all(sig.map((s) => s.stop()));
  await Promise.all(sfuNodes.map((s) => s.stop()));
  await redis?.stop();
});

describe('a meeting through HAProxy on three signaling nodes', () => {
  it('brings a teacher\'s frames back through another signaling node, without a reload, when theirs is killed', async () => {
    for (const id of TEACHERS) await framesRise(pages[id]!, `${id} decodes the host`);
    const hostNode = await nodeOf('bo-truong');
    // HAProxy's leastconn usually puts the three pages on three nodes, but it counts every
    // connection (sign-in requests kept alive too), so two may share one. The test needs a victim
    // whose node serves neither the host nor the other teacher: a teacher sharing a node reloads
    // (a new connection, to the least loaded node) until that holds.
    const placement = async () => Promise.all(TEACHERS.map(async (id) => ({ id, node: (await nodeOf(id))! })));
    const pick = (placed: { id: string; node: string }[]) => {
      const victim = placed.find((p) => p.node !== hostNode && placed.every((q) => q === p || q.node !== p.node));
      return victim ? { victim, other: placed.find((p) => p !== victim)! } : null;
    };
    let placed = await placement();
    for (let attempt = 0; !pick(placed) && attempt < 6; attempt++) {
      const crowded = placed.find((p) => p.node === hostNode || placed.some((q) => q !== p && q.node === p.node))!;
      await pages[crowded.id]!.reload();
      await framesRise(pages[crowded.id]!, `${crowded.id} decodes the host after a reload`);
      placed = await placement();
    }
    const picked = pick(placed);
    expect(picked, `placement ${JSON.stringify({ hostNode, placed })}`).not.toBeNull();
    const { victim, other } = picked!;
    const page = pages[victim.id]!;
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
    const oldTracks = await trackIds(page);

    sig.find((s) => s.nodeId === victim.node)!.kill();

    await waitFor(() => framesOnNewTracks(page, oldTracks), (n) => n > 0, 60_000, 'frames on new tracks');
    const first = await framesOnNewTracks(page, oldTracks);
    await waitFor(() => framesOnNewTracks(page, oldTracks), (n) => n > first, 20_000, 'frames on new tracks, rising');
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    const now = await nodeOf(victim.id);
    expect(now).not.toBe(victim.node);
    expect(now).not.toBeNull();
    // The host and the other teacher never noticed.
    await framesRise(pages[other.id]!, `${other.id} still decodes`);
    expect(await nodeOf(other.id)).toBe(other.node);
    expect(await nodeOf('bo-truong')).toBe(hostNode);
  });

  it('shows a teacher arriving through HAProxy the cluster\'s queued-join progress bar, which clears when admitted; frames follow', async () => {
    // Bots on one node take the cluster's tokens until two of them wait: the page, on whichever
    // node HAProxy picks, is queued behind them by the same Redis bucket.
    let queued = 0;
    const waiting: TestSocket[] = [];
    while (queued < 2) {
      const bot = await connectTo(sig.find((n) => n.child.exitCode === null && n.child.signalCode === null)!.url, clusterToken({ role: 'teacher', meetings: [MEETING] }));
      bots.push(bot);
      const res = await request(bot, 'join', { meetingId: MEETING });
      if (res.ok) continue;
      expect(res.error.code).toBe('queued');
      queued += 1;
      waiting.push(bot);
      void joinWhenAdmitted(bot, { meetingId: MEETING }, 120_000).catch(() => undefined);
    }
    const page = await openAs(browser, contexts, haproxy.url, 'gv-hn-2');
    const bar = await page.waitForSelector('section.join-queue', { timeout: 30_000 });
    expect((await bar.textContent()) ?? '').toMatch(/Đang xếp hàng vào hội nghị: vị trí \d+, còn khoảng \d+ giây/);
    expect(await page.getAttribute('[role="status"][data-status]', 'data-status')).toBe('queued');
    // Those ahead give up: the teacher is admitted next and the bar clears.
    for (const b of waiting) b.close();
    await page.waitForSelector('section.join-queue', { state: 'detached', timeout: 60_000 });
    await framesRise(page, 'the admitted teacher decoding the host through HAProxy');
  }, 180_000);
});
