/**
 * A meeting across hosts of their own (harness/netns.ts): Redis, PostgreSQL, two SFU nodes, two
 * signaling processes and HAProxy each in a network namespace with its own address, the minister's
 * Chromium in a "studio" host and a teacher's Chromium in a "school" host. SFU nodes listen on
 * every address and announce their own, so a wrong announced address, a missing route or a
 * one-way cut shows here as it would between machines.
 *
 * - The teacher's media crosses two SFU hosts: the host publishes on sfu-a (the origin; its one
 *   viewer slot holds the host's own receiving transport), the teacher is placed on sfu-b, and the
 *   teacher's page reads sfu-b's address as its remote ICE candidate while decoding frames.
 * - A partition between the SFU hosts (both still reach Redis and signaling): what the design
 *   promises is that nothing is torn down (both nodes stay in the directory, no viewer is moved,
 *   no page reloads) and that the teacher's frames come back on the same tracks by themselves once
 *   the link heals; during the cut the relayed viewers on the far side get no media (the node-to-
 *   node pipe is plain RTP, nothing detects its loss: docs/operations.md).
 * - A machine lost: every process of the origin's host killed at once; the host's page republishes
 *   on the live host and the teacher decodes again, without a reload.
 * - A signaling host lost: every process of the teacher's signaling host killed; the page
 *   reconnects through HAProxy to the other one and decodes again, without a reload.
 */
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startRedis, startSfuNode, type RedisProcess, type SfuNodeProcess } from '../../harness/cluster';
import { startSignalingNode, type SignalingProcess } from '../../harness/signaling';
import { startHaproxy, type HaproxyProcess } from '../../harness/haproxy';
import { startPostgres, type PostgresServer } from '../../harness/postgres';
import { createTopology, type NetHost, type Topology } from '../../harness/netns';
import { framesOnNewTracks, framesRise, inboundStats, launchChromium, openAs, trackIds, waitFor } from '../../harness/browser';
import { sleep } from '../../harness/wait';

const MEETING = 'e2e-topology';
const TEACHER = 'gv-hn-1';
let net: Topology;
let redis: RedisProcess;
let pg: PostgresServer;
const sfu = new Map<string, SfuNodeProcess>();
const sig: SignalingProcess[] = [];
let lb: HaproxyProcess;
const browsers: Browser[] = [];
const contexts: BrowserContext[] = [];
let hostPage: Page;
let teacherPage: Page;
const hosts: Record<string, NetHost> = {};

/** Remote ICE candidate addresses of the page's connected transports that receive (or send) video. */
async function mediaPeers(page: Page, direction: 'receive' | 'send' = 'receive'): Promise<string[]> {
  return page.evaluate(async (direction) => {
    const pcs = (window as unknown as { __testPcs: RTCPeerConnection[] }).__testPcs ?? [];
    const out: string[] = [];
    for (const pc of pcs) {
      if (pc.connectionState !== 'connected') continue;
      const stats = [...(await pc.getStats()).values()] as Array<Record<string, unknown>>;
      const flowing = direction === 'receive'
        ? (s: Record<string, unknown>) => s.type === 'inbound-rtp' && s.kind === 'video' && Number(s.packetsReceived) > 0
        : (s: Record<string, unknown>) => s.type === 'outbound-rtp' && s.kind === 'video' && Number(s.packetsSent) > 0;
      if (!stats.some(flowing)) continue;
      const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
      const pair = stats.find((s) => s.id === transport?.selectedCandidatePairId);
      const remote = stats.find((s) => s.id === pair?.remoteCandidateId);
      if (remote?.address) out.push(String(remote.address));
    }
    return out;
  }, direction);
}

async function redisHGet(key: string, field: string): Promise<string | null> {
  const client = createClient({ url: redis.url });
  await client.connect();
  try {
    return (await client.hGet(key, field)) ?? null;
  } finally {
    await client.quit();
  }
}

const signalingNodeOf = async (userId: string) => {
  const raw = await redisHGet(`hn:m:{${MEETING}}:roster`, userId);
  return raw ? (JSON.parse(raw) as { node: string }).node : null;
};

async function startSfu(id: string, viewers: string): Promise<void> {
  sfu.set(id, await startSfuNode(redis.url, id, { HOINGHI_VIEWERS_PER_WORKER: viewers }, { host: hosts[id]! }));
}

beforeAll(async () => {
  net = createTopology();
  for (const name of ['redis', 'pg', 'sfu-a', 'sfu-b', 'sig-1', 'sig-2', 'lb', 'studio', 'school']) hosts[name] = net.addHost(name);
  redis = await startRedis({ host: hosts.redis });
  pg = await startPostgres({ host: hosts.pg });
  const databaseUrl = await pg.createDatabase('topology');
  // The origin's node first, alone: the meeting's origin is placed there.
  await startSfu('sfu-a', '1');
  for (const id of ['sig-1', 'sig-2']) {
    sig.push(
      await startSignalingNode(
        redis.url,
        id,
        {
          HOINGHI_DEMO_SIGNIN: 'true',
          HOINGHI_DEMO_MEETING: MEETING,
          HOINGHI_DATABASE_URL: databaseUrl,
          HOINGHI_TRUSTED_PROXIES: hosts.lb!.address,
          HOINGHI_SIGNIN_PER_MIN: '600',
        },
        { host: hosts[id]! },
      ),
    );
  }
  lb = await startHaproxy(sig.map((s) => new URL(s.url).host), { checkIntervalMs: 500, host: hosts.lb! });
  for (const s of sig) await lb.waitFor(new URL(s.url).host, 'UP');

  const studio = await launchChromium({ host: hosts.studio!, secureOrigins: [lb.url] });
  browsers.push(studio);
  hostPage = await openAs(studio, contexts, lb.url, 'bo-truong');
  // With a database the host lands on the list of meetings; the meeting has a page of its own.
  await hostPage.goto(`${lb.url}/m/${MEETING}`);
  await hostPage.click('button[data-control="camera"]');
  // The host's own receiving transport fills sfu-a's one viewer slot; then sfu-b comes up.
  await waitFor(() => signalingNodeOf('bo-truong'), (n) => n !== null, 60_000, 'the host in the roster');
  await startSfu('sfu-b', '20');
  const school = await launchChromium({ host: hosts.school!, secureOrigins: [lb.url] });
  browsers.push(school);
  teacherPage = await openAs(school, contexts, lb.url, TEACHER);
  await teacherPage.goto(`${lb.url}/m/${MEETING}`);
}, 300_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  for (const b of browsers) await b.close().catch(() => undefined);
  await lb?.stop();
  await Promise.all(sig.map((s) => s.stop()));
  await Promise.all([...sfu.values()].map((s) => s.stop()));
  await redis?.stop();
  await pg?.stop();
  net?.destroy();
}, 60_000);

describe('a meeting across hosts of their own', () => {
  it('relays the host\'s media to a teacher in another namespace across two SFU hosts, each announcing its own address', async () => {
    await framesRise(teacherPage, 'the teacher decodes the host');
    const peers = await mediaPeers(teacherPage);
    expect(peers).toContain(hosts['sfu-b']!.address);
    expect(peers).not.toContain('127.0.0.1');
    expect(await mediaPeers(hostPage, 'send')).toEqual([hosts['sfu-a']!.address]);
  });

  it('keeps everything through a partition between the SFU hosts, and the teacher\'s frames return on the same tracks when it heals', async () => {
    await teacherPage.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
    const tracks = await trackIds(teacherPage);
    net.cut(hosts['sfu-a']!, hosts['sfu-b']!);
    // The cut shows: the teacher's decoded frames stop rising.
    const stalled = async () => {
      const a = (await inboundStats(teacherPage)).framesDecoded;
      await sleep(1_500); // the subject is "nothing arrives for a while"
      return (await inboundStats(teacherPage)).framesDecoded - a;
    };
    await waitFor(stalled, (n) => n === 0, 30_000, 'no frames while the SFU hosts are cut apart');
    // Held for longer than the node directory's liveness bound: neither node is declared lost.
    await sleep(12_000);
    net.heal(hosts['sfu-a']!, hosts['sfu-b']!);
    await framesRise(teacherPage, 'frames again after the heal');
    expect(await trackIds(teacherPage)).toEqual(tracks);
    expect(await mediaPeers(teacherPage)).toContain(hosts['sfu-b']!.address);
    expect(await teacherPage.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
  }, 120_000);

  it('brings the teacher\'s frames back, without a reload, when every process of the origin\'s SFU host is killed at once', async () => {
    const tracks = await trackIds(teacherPage);
    hosts['sfu-a']!.killAll();
    await waitFor(() => framesOnNewTracks(teacherPage, tracks), (n) => n > 0, 90_000, 'frames on new tracks after sfu-a is lost');
    const first = await framesOnNewTracks(teacherPage, tracks);
    await waitFor(() => framesOnNewTracks(teacherPage, tracks), (n) => n > first, 20_000, 'rising');
    expect(await mediaPeers(teacherPage)).toEqual([hosts['sfu-b']!.address]);
    expect(await teacherPage.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
  }, 150_000);

  it('brings the teacher\'s frames back through the other signaling host, without a reload, when theirs is lost', async () => {
    const node = await signalingNodeOf(TEACHER);
    expect(node).not.toBeNull();
    const tracks = await trackIds(teacherPage);
    hosts[node!]!.killAll();
    await waitFor(() => framesOnNewTracks(teacherPage, tracks), (n) => n > 0, 90_000, 'frames on new tracks after the signaling host is lost');
    await waitFor(() => signalingNodeOf(TEACHER), (n) => n !== null && n !== node, 30_000, 'the teacher on the other signaling node');
    expect(await teacherPage.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
  }, 150_000);
});
