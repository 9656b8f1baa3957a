/**
 * One meeting across SFU node processes: real redis-server, four `sfu/main.ts` processes (one
 * worker each, two viewers per worker) and a signaling node in cluster mode with a fan-out of
 * one, so that the third node is fed through the second (a relay). Nodes are killed with SIGKILL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { ClusterSfu } from '../../sfu/cluster/ClusterSfu';
import fc from 'fast-check';
import { NodeLink } from '../../sfu/cluster/NodeLink';
import { methodArgs, proof } from '../../sfu/node/protocol';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as ioClient } from 'socket.io-client';
import { SfuError } from '../../sfu/errors';
import { MEETING, next, startServer } from '../../harness/server';
import { collect, joinAndPublish, joinAsViewer, type Publisher, type Viewer } from '../helpers/flows';
import { printed, sleep, until } from '../../harness/wait';
import { SFU_SECRET, startRedis, startSfuNode, type RedisProcess, type SfuNodeProcess } from '../../harness/cluster';
import type { ConsumerInfo } from '../../signaling/protocol/events';
import { waitFor } from '../../harness/browser';

let redis: RedisProcess;
const nodes = new Map<string, SfuNodeProcess>();
let server: HoinghiServer;
let host: Publisher;
const viewers: Viewer[] = [];

const cluster = (): ClusterSfu => server.sfu as ClusterSfu;
const peerOf = (v: Viewer) => server.sockets.registry.get(MEETING)!.peers.get(v.join.self.userId)!;
const nodeOf = (v: Viewer): string => cluster().nodeOf(peerOf(v).edgeRoomId!)!;
const hostProducers = (): string[] => Object.values(host.producers).sort();

beforeAll(async () => {
  redis = await startRedis();
  for (const id of ['sfu-a', 'sfu-b', 'sfu-c', 'sfu-d']) {
    nodes.set(id, await startSfuNode(redis.url, id, { HOINGHI_VIEWERS_PER_WORKER: '2' }));
  }
  server = await startServer({
    HOINGHI_SFU: 'cluster',
    HOINGHI_REDIS_URL: redis.url,
    HOINGHI_SFU_SECRET: SFU_SECRET,
    HOINGHI_SFU_FANOUT: '1',
  });
  await until(() => cluster().clusterStats().nodes.length === 4, { timeoutMs: 10_000, what: 'four SFU nodes discovered' });
}, 120_000);

afterAll(async () => {
  host?.socket.close();
  for (const v of viewers) v.socket.close();
  await server?.close();
  await Promise.all([...nodes.values()].map((n) => n.stop()));
  await redis?.stop();
});

describe('starting in cluster mode', () => {
  it('stops with a clear message when Redis cannot be reached, or no SFU node is announced', async () => {
    await expect(ClusterSfu.create({ redisUrl: 'redis://127.0.0.1:1', secret: SFU_SECRET, fanout: 1 }, 1, 1_000)).rejects.toThrow(/cannot reach Redis at 127\.0\.0\.1:1/);
    const empty = await startRedis();
    try {
      await expect(ClusterSfu.create({ redisUrl: empty.url, secret: SFU_SECRET, fanout: 1 }, 1, 1_000)).rejects.toThrow(/found 0 SFU node\(s\) in Redis, need 1/);
    } finally {
      await empty.stop();
    }
  });
});

describe('an SFU node control endpoint', () => {
  it('never sends the secret, and does not trust an endpoint that cannot prove it', async () => {
    // A stranger's endpoint (as anyone able to write to Redis could announce) that accepts anything.
    const http = createServer();
    const rogue = new Server(http);
    const seen: unknown[] = [];
    rogue.use((socket, next) => {
      seen.push(socket.handshake.auth);
      next();
    });
    rogue.on('connection', (socket) => socket.emit('hello', { nodeId: 'sfu-a', mac: 'made-up' }));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
      await expect(NodeLink.connect(url, 'sfu-a', 'x', SFU_SECRET, 2_000)).rejects.toThrow(/failed to prove the secret/);
      expect(seen).toHaveLength(1);
      expect(JSON.stringify(seen)).not.toContain(SFU_SECRET);
      // A proof replayed later than the allowed clock skew is refused by a real node.
      const stale = { nonce: 'n'.repeat(20), ts: Date.now() - 10 * 60_000 };
      const replay = ioClient(nodes.get('sfu-a')!.controlUrl, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { ...stale, mac: proof(SFU_SECRET, 'controller', stale.nonce, stale.ts) } });
      await expect(new Promise((_, reject) => replay.once('connect_error', reject))).rejects.toThrow(/unauthorized/);
      replay.close();
    } finally {
      rogue.close();
    }
  });

  it('refuses a controller with the wrong secret, and answers malformed calls with typed errors', async () => {
    const url = nodes.get('sfu-a')!.controlUrl;
    await expect(NodeLink.connect(url, 'sfu-a', 'x', 'wrong-secret-wrong-secret-wrong-secret')).rejects.toThrow(/unauthorized/);
    const link = await NodeLink.connect(url, 'sfu-a', 'x', SFU_SECRET);
    try {
      // @ts-expect-error a room id that is not a string, on purpose
      await expect(link.call('openRoom', 42)).rejects.toMatchObject({ code: 'bad_request' });
      // @ts-expect-error a method the node does not have, on purpose
      await expect(link.call('nonsense')).rejects.toMatchObject({ code: 'bad_request' });
      // @ts-expect-error empty DTLS parameters, on purpose
      await expect(link.call('connectTransport', 'no-such-transport', {})).rejects.toBeInstanceOf(SfuError);
    } finally {
      link.close();
    }
  });
});

describe('a meeting across four SFU nodes with a fan-out of one', () => {
  it('places viewers on the nodes by load, all consuming the host who publishes on another node', async () => {
    host = await joinAndPublish(server, { sub: 'host' });
    for (let i = 0; i < 6; i++) viewers.push(await joinAsViewer(server, { sub: `v${i}` }));
    const origin = cluster().nodeOf(MEETING)!;
    const perNode = new Map<string, number>();
    for (const v of viewers) perNode.set(nodeOf(v), (perNode.get(nodeOf(v)) ?? 0) + 1);
    // Two per node on three nodes; the fourth stays empty (fill before spreading).
    expect([...perNode.values()]).toEqual([2, 2, 2]);
    expect(perNode.get(origin)).toBe(2);
    for (const v of viewers) expect(v.consumers.map((c) => c.producerId).sort()).toEqual(hostProducers());
    // Fan-out 1: origin → relay → edge.
    const tree = cluster().treeOf(MEETING);
    expect(tree).toHaveLength(3);
    expect(Math.max(...tree.map((m) => m.depth))).toBe(2);
    // One pipe per producer per node link, not per viewer: 2 producers × 2 links.
    expect(cluster().clusterStats().nodePipes).toBe(4);
    // Per-node figures on /metrics, from the nodes' load reports (one a second).
    const metrics = await waitFor(
      async () => (await fetch(server.metricsUrl)).text(),
      (m) => (m.match(/hoinghi_node_viewers\{node="sfu-[a-d]"\} 2/g) ?? []).length === 3,
      5_000,
      'per-node viewers on /metrics',
    );
    expect(metrics).toMatch(/hoinghi_sfu_nodes 4/);
  });

  it('re-homes the viewers of a killed relay node, and feeds the node below it again', async () => {
    const tree = cluster().treeOf(MEETING);
    const relay = tree.find((m) => m.depth === 1)!.nodeId;
    const below = tree.find((m) => m.depth === 2)!.nodeId;
    const onRelay = viewers.filter((v) => nodeOf(v) === relay);
    const onBelow = viewers.filter((v) => nodeOf(v) === below);
    const others = viewers.filter((v) => !onRelay.includes(v));
    let othersRejoined = 0;
    for (const o of [host, ...others]) o.socket.on('rejoin', () => (othersRejoined += 1));
    const offered = onBelow.map((v) => collect<ConsumerInfo>(v.socket, 'newConsumer'));
    const rejoins = onRelay.map((v) => next(v.socket, 'rejoin'));

    nodes.get(relay)!.kill();
    await Promise.all(rejoins);
    for (let i = 0; i < onRelay.length; i++) {
      const again = await joinAsViewer(server, {}, onRelay[i]!.socket);
      viewers[viewers.indexOf(onRelay[i]!)] = again;
      expect(again.consumers.map((c) => c.producerId).sort()).toEqual(hostProducers());
      expect(nodeOf(again)).not.toBe(relay);
    }
    // The node below lost its feed with the relay: its viewers are offered the host again.
    await until(() => offered.every((o) => o.map((c) => c.producerId).sort().join() === hostProducers().join()), { timeoutMs: 10_000, what: 'producers offered again below the dead relay' });
    expect(othersRejoined).toBe(0);
    expect(server.sockets.registry.get(MEETING)!.rehomes).toBe(2);
    expect(cluster().treeOf(MEETING).map((m) => m.nodeId)).not.toContain(relay);
    expect(cluster().clusterStats().nodeDeaths).toBe(1);
  });

  it('when the origin node dies, everyone rejoins and the host republishes on a live node', async () => {
    const origin = cluster().nodeOf(MEETING)!;
    const everyone = [host.socket, ...viewers.map((v) => v.socket)];
    const rejoins = everyone.map((s) => next(s, 'rejoin'));
    nodes.get(origin)!.kill();
    await Promise.all(rejoins);
    // Two viewers leave; the four others fit on the two nodes left.
    for (const v of viewers.splice(4)) v.socket.close();
    host = await joinAndPublish(server, {}, host.socket);
    expect(cluster().nodeOf(MEETING)).not.toBe(origin);
    for (let i = 0; i < viewers.length; i++) {
      viewers[i] = await joinAsViewer(server, {}, viewers[i]!.socket);
      expect(viewers[i]!.consumers.map((c) => c.producerId).sort()).toEqual(hostProducers());
      expect(nodeOf(viewers[i]!)).not.toBe(origin);
    }
    expect(cluster().clusterStats().nodeDeaths).toBe(2);
  });
});

describe('an SFU node left without a controller', () => {
  it('closes every room after its grace period', async () => {
    // Its own Redis: no signaling node finds it, so the test's link is its only controller.
    const lonelyRedis = await startRedis();
    const node = await startSfuNode(lonelyRedis.url, 'sfu-orphan', { HOINGHI_SFU_ORPHAN_GRACE_MS: '1000' });
    try {
      const link = await NodeLink.connect(node.controlUrl, 'sfu-orphan', 'x', SFU_SECRET);
      await link.call('openRoom', 'orphan-meeting', 'orphan-meeting');
      await link.call('createWebRtcTransport', 'orphan-meeting', 'recv');
      const closed = printed(node.child.stdout!, 'no controller for the grace period: rooms closed', { timeoutMs: 15_000 });
      link.close();
      // The node says when it closes them; a probe before that would be a controller again.
      await closed;
      const again = await NodeLink.connect(node.controlUrl, 'sfu-orphan', 'x', SFU_SECRET);
      const load = await new Promise<{ stats: { routers: number; transports: number } }>((resolve) => again.once('load', resolve));
      again.close();
      expect(load.stats).toMatchObject({ routers: 0, transports: 0 });
    } finally {
      await node.stop();
      await lonelyRedis.stop();
    }
  });
});

describe('an SFU node whose controller is gone', () => {
  it('closes the transports that controller created once it stays away for the grace period, and no others', async () => {
    const ownRedis = await startRedis();
    const node = await startSfuNode(ownRedis.url, 'sfu-owners', { HOINGHI_SFU_CONTROLLER_GRACE_MS: '1000' });
    const transportsSeenBy = async (link: NodeLink): Promise<number> =>
      (await new Promise<{ stats: { transports: number } }>((resolve) => link.once('load', resolve))).stats.transports;
    try {
      // Controller B (alive throughout) and controller A, each with a transport.
      const b = await NodeLink.connect(node.controlUrl, 'sfu-owners', 'x', SFU_SECRET, 5_000, 'ctl-b');
      await b.call('openRoom', 'owners-meeting', 'owners-meeting');
      const tb = (await b.call('createWebRtcTransport', 'owners-meeting', 'recv')) as { id: string };
      const a = await NodeLink.connect(node.controlUrl, 'sfu-owners', 'x', SFU_SECRET, 5_000, 'ctl-a');
      await a.call('createWebRtcTransport', 'owners-meeting', 'send');
      await a.call('createWebRtcTransport', 'owners-meeting', 'recv');
      expect(await transportsSeenBy(b)).toBe(3);
      // A's link flaps: back within the grace, nothing is closed.
      a.close();
      const again = await NodeLink.connect(node.controlUrl, 'sfu-owners', 'x', SFU_SECRET, 5_000, 'ctl-a');
      // Deliberate: "nothing is closed" has no event to wait for; let the grace (1 s) run out twice.
      await sleep(2_000);
      expect(await transportsSeenBy(b)).toBe(3);
      // A gone for good (as a killed signaling process): its two transports close, B's stays.
      again.close();
      const deadline = Date.now() + 10_000;
      let left = await transportsSeenBy(b);
      while (left !== 1 && Date.now() < deadline) left = await transportsSeenBy(b);
      expect(left).toBe(1);
      await b.call('closeTransport', tb.id);
      expect(await transportsSeenBy(b)).toBe(0);
      b.close();
    } finally {
      await node.stop();
      await ownRedis.stop();
    }
  });
});

describe('a watched transport whose client is gone, in a cluster', () => {
  it('is reported lost by its node, relayed to the controller that made it only; unwatched transports are not', async () => {
    const ownRedis = await startRedis();
    const node = await startSfuNode(ownRedis.url, 'sfu-lost', { HOINGHI_TRANSPORT_LOST_GRACE_MS: '1000' });
    const one = await ClusterSfu.create({ redisUrl: ownRedis.url, secret: SFU_SECRET, fanout: 1 }, 1, 10_000);
    const other = await ClusterSfu.create({ redisUrl: ownRedis.url, secret: SFU_SECRET, fanout: 1 }, 1, 10_000);
    try {
      const heard: { by: string; transportId: string; reason: string }[] = [];
      one.on('transportLost', (e) => heard.push({ by: 'one', ...e }));
      other.on('transportLost', (e) => heard.push({ by: 'other', ...e }));
      await one.openRoom('lost-meeting');
      const watched = await one.createWebRtcTransport('lost-meeting', 'send', { watch: true });
      const unwatched = await one.createWebRtcTransport('lost-meeting', 'send');
      // Nobody ever connects to either: the watched one is silent past the grace.
      await waitFor(async () => heard.length, (n) => n >= 1, 15_000, 'transportLost relayed from the node');
      expect(heard[0]).toEqual({ by: 'one', transportId: watched.id, reason: 'silent' });
      // Deliberate: that nothing more comes has no event to wait for; give the unwatched one three graces.
      await sleep(3_000);
      expect(heard.map((h) => h.transportId)).toEqual([watched.id]);
      await one.closeTransport(watched.id);
      await one.closeTransport(unwatched.id);
    } finally {
      await one.close();
      await other.close();
      await node.stop();
      await ownRedis.stop();
    }
  }, 60_000);
});

describe('fuzzing an SFU node control endpoint', () => {
  it('answers 2,000 random calls with results or typed errors, and stays up', async () => {
    const ownRedis = await startRedis();
    const node = await startSfuNode(ownRedis.url, 'sfu-fuzz');
    const link = await NodeLink.connect(node.controlUrl, 'sfu-fuzz', 'x', SFU_SECRET);
    const methods = Object.keys(methodArgs);
    const codes = new Map<string, number>();
    try {
      await link.call('openRoom', 'fuzz-room', 'fuzz-room');
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.constantFrom(...methods), fc.string({ maxLength: 30 }), fc.constantFrom('__proto__', 'constructor', 'close', 'load')),
          fc.array(fc.oneof(fc.constant('fuzz-room'), fc.jsonValue({ maxDepth: 4 }), fc.constantFrom('send', 'recv', 'video', 'audio')), { maxLength: 4 }),
          async (method, args) => {
            try {
              // @ts-expect-error random methods and arguments, on purpose
              await link.call(method, ...args);
              codes.set('ok', (codes.get('ok') ?? 0) + 1);
            } catch (error) {
              // Typed refusals only: an untyped 'internal' failure would be a bug in the node.
              expect(error).toBeInstanceOf(SfuError);
              const code = (error as SfuError).code;
              codes.set(code, (codes.get(code) ?? 0) + 1);
            }
          },
        ),
        { numRuns: 2_000 },
      );
      expect(node.child.exitCode).toBeNull();
      // Still serving: a room none of the random calls can have touched.
      const fresh = `after-fuzz-${process.hrtime.bigint()}`;
      await link.call('openRoom', fresh, fresh);
      expect(await link.call('placeViewer', fresh)).toBe(`${fresh}@0`);
      console.log(`node fuzz: ${JSON.stringify(Object.fromEntries(codes))}`);
    } finally {
      link.close();
      await node.stop();
      await ownRedis.stop();
    }
  });
});
