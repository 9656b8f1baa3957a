/**
 * Schools behind firewalls, in hosts of their own (harness/netns.ts): a node (signaling with its
 * SFU) in one host, Debian's coturn with the shipped configuration (deploy/coturn/turnserver.conf)
 * in another, the minister's Chromium in a third. A teacher's Chromium sits in a "school" host
 * whose firewall lets out only TCP to the node's web port and TCP 443 to the relay: every UDP
 * packet and every other TCP connection (ICE-TCP to the SFU included) is dropped. The page gets
 * TURN credentials of its own with each transport (HOINGHI_TURN_*).
 *
 * - The teacher receives the minister's video, through the relay over TLS (read from the selected
 *   candidate pair), and the firewall shows it dropped the direct attempts.
 * - Invited to speak, the teacher publishes through the relay: another teacher hears her.
 * - The extra delay is reported (not asserted): round trip to the SFU and time to first frame,
 *   relayed against a teacher at home whose network lets everything through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTopology, type NetHost, type Topology } from '../../harness/netns';
import { startSignalingProcess, type SignalingProcess } from '../../harness/signalingProcess';
import { startTurn, type TurnProcess } from '../../harness/turn';
import { framesRise, launchChromium, newContext, packetsForProducer, signIn, waitFor } from '../../harness/browser';

const MEETING = 'e2e-turn';
const SECRET = 'turn-test-secret-0123456789-abcdefghij';
let net: Topology;
const hosts: Record<string, NetHost> = {};
let node: SignalingProcess;
let turn: TurnProcess;
const browsers: Browser[] = [];
const contexts: BrowserContext[] = [];
let minister: Page;
let schoolTeacher: Page;
let homeTeacher: Page;
const firstFrameMs: Record<string, number> = {};

/** The selected ICE path of each connected transport of the page that carries media in `direction`. */
async function mediaPaths(page: Page, direction: 'receive' | 'send'): Promise<Array<{ type: string; relayProtocol?: string; remote: string; rttMs?: number }>> {
  return page.evaluate(async (direction) => {
    const pcs = (window as unknown as { __testPcs: RTCPeerConnection[] }).__testPcs ?? [];
    const out: Array<{ type: string; relayProtocol?: string; remote: string; rttMs?: number }> = [];
    for (const pc of pcs) {
      if (pc.connectionState !== 'connected') continue;
      const stats = [...(await pc.getStats()).values()] as Array<Record<string, unknown>>;
      const flowing = stats.some((s) =>
        direction === 'receive' ? s.type === 'inbound-rtp' && Number(s.packetsReceived) > 0 : s.type === 'outbound-rtp' && Number(s.packetsSent) > 0,
      );
      if (!flowing) continue;
      const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
      const pair = stats.find((s) => s.id === transport?.selectedCandidatePairId);
      const local = stats.find((s) => s.id === pair?.localCandidateId);
      const remote = stats.find((s) => s.id === pair?.remoteCandidateId);
      out.push({
        type: String(local?.candidateType),
        relayProtocol: local?.relayProtocol as string | undefined,
        remote: String(remote?.address),
        // The mean over every STUN check answered on the pair (currentRoundTripTime has whole
        // milliseconds, and between namespaces of one machine it is often 0).
        rttMs: Number(pair?.responsesReceived) > 0 ? (Number(pair?.totalRoundTripTime) / Number(pair?.responsesReceived)) * 1000 : undefined,
      });
    }
    return out;
  }, direction);
}

/** Packets the school's firewall dropped so far, by the rule's comment. */
function dropped(host: NetHost): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of host.run('nft', ['list', 'table', 'inet', 'hn_fw']).matchAll(/counter packets (\d+) bytes \d+ drop comment "([^"]+)"/g)) out[m[2]!] = Number(m[1]);
  return out;
}

async function teacher(host: NetHost, accountId: string): Promise<Page> {
  const browser = await launchChromium({ host, secureOrigins: [node.url], trustSpki: [turn.spki] });
  browsers.push(browser);
  const ctx = await newContext(browser);
  contexts.push(ctx);
  const page = await ctx.newPage();
  const start = Date.now();
  await signIn(page, node.url, accountId);
  await framesRise(page, `${accountId} decodes the minister`);
  firstFrameMs[accountId] = Date.now() - start;
  return page;
}

beforeAll(async () => {
  net = createTopology();
  for (const name of ['node', 'turn', 'studio', 'school', 'home']) hosts[name] = net.addHost(name);
  turn = await startTurn({ host: hosts.turn!, secret: SECRET, peers: [hosts.node!.address] });
  node = await startSignalingProcess(
    { HOINGHI_DEMO_SIGNIN: 'true', HOINGHI_DEMO_MEETING: MEETING, HOINGHI_TURN_URLS: turn.url, HOINGHI_TURN_SECRET: SECRET, HOINGHI_SIGNIN_PER_MIN: '600' },
    { host: hosts.node! },
  );
  const nodePort = new URL(node.url).port;
  // The school: out only to the node's web port and the relay's 443; the rest is dropped and counted.
  hosts.school!.firewall({
    output: [
      'oifname "lo" accept',
      'ct state established,related accept',
      `ip daddr ${hosts.node!.address} tcp dport ${nodePort} accept`,
      `ip daddr ${hosts.turn!.address} tcp dport 443 accept`,
      'meta l4proto udp counter drop comment "udp"',
      'counter drop comment "other"',
    ],
  });

  const studio = await launchChromium({ host: hosts.studio!, secureOrigins: [node.url] });
  browsers.push(studio);
  const ctx = await newContext(studio);
  contexts.push(ctx);
  minister = await ctx.newPage();
  await signIn(minister, node.url, 'bo-truong');
  await minister.click('button[data-control="camera"]');

  homeTeacher = await teacher(hosts.home!, 'gv-hcm-1');
  schoolTeacher = await teacher(hosts.school!, 'gv-hn-1');
}, 240_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  for (const b of browsers) await b.close().catch(() => undefined);
  await node?.stop();
  await turn?.stop();
  net?.destroy();
}, 60_000);

describe('a school that lets out only TCP 443', () => {
  it('receives the minister\'s video through the TURN relay over TLS, the direct paths dropped', async () => {
    const paths = await mediaPaths(schoolTeacher, 'receive');
    expect(paths.length).toBeGreaterThan(0);
    for (const p of paths) expect(p).toMatchObject({ type: 'relay', relayProtocol: 'tls', remote: hosts.node!.address });
    // Chromium did try the SFU directly (UDP, and ICE-TCP); the school's firewall dropped it.
    expect(dropped(hosts.school!).udp).toBeGreaterThan(0);
    // The teacher at home, for comparison, reaches the SFU directly.
    const home = await mediaPaths(homeTeacher, 'receive');
    expect(home.map((p) => p.type)).not.toContain('relay');
  });

  it('publishes through the relay when invited to speak, and another teacher hears her', async () => {
    await schoolTeacher.click('button[data-action="hand"]');
    const row = minister.locator('.queue-row[data-user-id="gv-hn-1"]');
    await row.waitFor({ timeout: 15_000 });
    await row.locator('button[data-action="invite"]').click();
    await schoolTeacher.click('button[data-action="accept"]', { timeout: 15_000 });
    await schoolTeacher.waitForSelector('[data-speaking="true"]', { timeout: 15_000 });

    const sent = await waitFor(() => mediaPaths(schoolTeacher, 'send'), (p) => p.length > 0, 30_000, 'the school teacher sending');
    for (const p of sent) expect(p).toMatchObject({ type: 'relay', relayProtocol: 'tls', remote: hosts.node!.address });

    // The minister publishes video only: the one audio element at home is the school teacher's.
    const producerId = await waitFor(
      () => homeTeacher.evaluate(() => document.querySelector('audio[data-producer-id]')?.getAttribute('data-producer-id') ?? null),
      (id) => id !== null,
      20_000,
      'the speaker\'s audio at the teacher at home',
    );
    const first = await waitFor(() => packetsForProducer(homeTeacher, producerId!), (n) => (n ?? 0) > 0, 20_000, 'her audio at home');
    await waitFor(() => packetsForProducer(homeTeacher, producerId!), (n) => (n ?? 0) > first!, 15_000, 'her audio still arriving');
  });

  it('reports the delay the relay adds', async () => {
    const rtt = async (page: Page) => {
      const paths = await waitFor(() => mediaPaths(page, 'receive'), (p) => p.some((x) => x.rttMs !== undefined), 15_000, 'a measured round trip');
      return paths.find((x) => x.rttMs !== undefined)!.rttMs!;
    };
    const relayed = await rtt(schoolTeacher);
    const direct = await rtt(homeTeacher);
    console.log(
      `TURN over TLS: round trip to the SFU ${relayed.toFixed(2)} ms relayed vs ${direct.toFixed(2)} ms direct (+${(relayed - direct).toFixed(2)} ms); ` +
        `sign-in to first frame ${firstFrameMs['gv-hn-1']} ms relayed vs ${firstFrameMs['gv-hcm-1']} ms direct (one machine, namespaces: no wire delay)`,
    );
    // A measurement exists on both paths (a value, not a bound: the machine is shared and noisy).
    expect(Number.isFinite(relayed) && relayed >= 0).toBe(true);
    expect(Number.isFinite(direct) && direct >= 0).toBe(true);
  });
});
