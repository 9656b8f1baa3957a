/**
 * SFU control shared by several signaling processes: three ClusterSfu instances in this process
 * (each its own controller, as three signaling nodes would have) drive three real SFU node
 * processes (one worker, two viewers each) through one real redis-server, with a fan-out of one
 * so that the tree has a relay. Nodes are killed with SIGKILL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { types } from 'mediasoup';
import { ClusterSfu } from '../../sfu/cluster/ClusterSfu';
import { NodeLink } from '../../sfu/cluster/NodeLink';
import type { ConsumerParams } from '../../sfu/types';
import { SFU_SECRET, startRedis, startSfuNode, type RedisProcess, type SfuNodeProcess } from '../../harness/cluster';
import { audioRtpParameters, videoRtpParameters } from '../../harness/media';
import { printed, sleep, until } from '../../harness/wait';
import { waitFor } from '../../harness/browser';

const MEETING = 'shared-meeting';
const RACE = 'race-meeting';

let redis: RedisProcess;
const nodes = new Map<string, SfuNodeProcess>();
let A: ClusterSfu;
let B: ClusterSfu;
let C: ClusterSfu;
const instances = (): ClusterSfu[] => [A, B, C];
const name = (i: ClusterSfu): string => (i === A ? 'A' : i === B ? 'B' : 'C');
let caps: types.RtpCapabilities;
const lostBy = new Map<ClusterSfu, string[]>();
const closedBy = new Map<ClusterSfu, string[]>();

interface Seat {
  via: ClusterSfu;
  edge: string;
  transportId: string;
  node: string;
  consumers: ConsumerParams[];
}

const open = (via: ClusterSfu) => (room: string, group?: string) => via.openRoom(room, group);

async function seat(via: ClusterSfu, origin = MEETING): Promise<Seat> {
  const edge = await via.placeViewer(origin);
  const t = await via.createWebRtcTransport(edge, 'recv');
  return { via, edge, transportId: t.id, node: via.nodeOf(edge)!, consumers: [] };
}

async function consumeAll(s: Seat, producers: string[]): Promise<void> {
  for (const p of producers) {
    const id = await s.via.pipeProducer(p, s.edge);
    const c = await s.via.consume(s.transportId, id, caps);
    s.consumers.push(c!);
  }
}

async function publish(via: ClusterSfu, origin: string): Promise<string[]> {
  const send = await via.createWebRtcTransport(origin, 'send');
  const cam = await via.produce(send.id, 'video', videoRtpParameters() as unknown as types.RtpParameters);
  const mic = await via.produce(send.id, 'audio', audioRtpParameters() as unknown as types.RtpParameters);
  return [cam.producerId, mic.producerId].sort();
}

/** Node-to-node link figures summed over the nodes (from their load reports). */
function linkTotals(via: ClusterSfu): { transports: number; consumers: number; replicas: number } {
  const sum = { transports: 0, consumers: 0, replicas: 0 };
  for (const s of Object.values(via.nodePipeStats())) {
    sum.transports += s.transports;
    sum.consumers += s.consumers;
    sum.replicas += s.replicas;
  }
  return sum;
}

const repairs = (...list: ClusterSfu[]): number => list.reduce((n, i) => n + i.clusterStats().repairs, 0);

beforeAll(async () => {
  redis = await startRedis();
  for (const id of ['sfu-1', 'sfu-2', 'sfu-3']) nodes.set(id, await startSfuNode(redis.url, id, { HOINGHI_VIEWERS_PER_WORKER: '2' }));
  const made = await Promise.all([0, 1, 2].map(() => ClusterSfu.create({ redisUrl: redis.url, secret: SFU_SECRET, fanout: 1 }, 3)));
  [A, B, C] = made as [ClusterSfu, ClusterSfu, ClusterSfu];
  for (const i of instances()) {
    lostBy.set(i, []);
    closedBy.set(i, []);
    i.on('roomsLost', ({ roomIds }) => lostBy.get(i)!.push(...roomIds));
    i.on('consumerClosed', ({ consumerId }) => closedBy.get(i)!.push(consumerId));
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(instances().map((i) => i?.close()));
  await Promise.all([...nodes.values()].map((n) => n.stop()));
  await redis?.stop();
});

describe('three signaling processes sharing three SFU nodes', () => {
  it('makes one origin for a meeting, and its breakout on the same node, however many processes open them at once', async () => {
    const all = await Promise.all(instances().flatMap((i) => [open(i)(MEETING), open(i)(MEETING), open(i)(`${MEETING}-breakout`, MEETING)]));
    caps = all[0]!;
    const origin = A.nodeOf(MEETING)!;
    for (const i of instances()) {
      expect(i.nodeOf(MEETING)).toBe(origin);
      expect(i.nodeOf(`${MEETING}-breakout`)).toBe(origin);
    }
    const topo = await A.sharedTopology(MEETING);
    expect(topo.origin).toMatchObject({ node: origin, room: MEETING });
    expect(topo.members.map((m) => m.node)).toEqual([origin]);
    // Two routers in the whole cluster (the meeting's and its breakout's), both on the origin node.
    const stats = await waitFor(async () => A.stats(), (s) => s.routers === 2, 5_000, 'the nodes to report their routers');
    expect(stats.workers.filter((w) => w.routers > 0).map((w) => w.node)).toEqual([origin]);
    await A.closeRoom(`${MEETING}-breakout`);
  });

  it('lets viewers placed through every process consume producers published through another, with one replica per producer per node', async () => {
    // A meeting of its own, whose viewers all consume at once, so that the processes race to
    // make the relay tree and the replicas.
    await Promise.all(instances().map((i) => i.openRoom(RACE)));
    const producers = await publish(B, RACE);
    const origin = B.nodeOf(RACE)!;
    const seats: Seat[] = [];
    for (const via of [A, B, C, A, B, C]) seats.push(await seat(via, RACE));
    expect(new Set(seats.map((s) => s.node)).size).toBe(3);
    await Promise.all(seats.map((s) => consumeAll(s, producers)));
    for (const s of seats) expect(s.consumers.map((c) => c.producerId).sort()).toEqual(producers);

    const topo = await A.sharedTopology(RACE);
    expect(topo.origin!.node).toBe(origin);
    expect(topo.members).toHaveLength(3);
    expect(Math.max(...topo.members.map((m) => m.depth))).toBe(2);
    expect(topo.members.every((m) => m.parent === '' || (m.up && m.down))).toBe(true);
    // Two producers on each of the two other nodes: four replicas, four pipe consumers, and two ends per link.
    expect(topo.replicas).toBe(4);
    await waitFor(async () => linkTotals(A), (t) => t.replicas === 4 && t.consumers === 4 && t.transports === 4, 5_000, 'the nodes to report their links');
    // Asking again, from every process at once, makes nothing more.
    await Promise.all(seats.map((s) => Promise.all(instances().flatMap(() => producers.map((p) => s.via.pipeProducer(p, s.edge))))));
    // Deliberate: "nothing more" has no event to wait for; give a wrong extra link time to be reported.
    await sleep(1_500);
    expect(linkTotals(A)).toEqual({ transports: 4, consumers: 4, replicas: 4 });
    expect((await A.sharedTopology(RACE)).replicas).toBe(4);
    await until(() => instances().every((i) => i.stats().pipes >= 4), { timeoutMs: 5_000, what: 'every process counting the node pipes' });

    // The meeting ends: closed once, for every process and on every node.
    await C.closeRoom(RACE);
    expect(await A.sharedTopology(RACE)).toEqual({ origin: null, members: [], replicas: 0 });
    await waitFor(async () => [A.stats().transports, A.stats().producers, linkTotals(A).transports], (v) => v.every((n) => n === 0), 5_000, 'the rooms closed on every node');
    await expect(A.pipeProducer(producers[0]!, seats[0]!.edge)).rejects.toMatchObject({ code: 'not_found' });
  });

  // The main meeting, its viewers placed one after another, each consuming at once: A and B on
  // the origin node, then C and A on a second node (linked to the origin through C), then B and C
  // on a third (linked below the second, a relay, through B).
  const seats: Seat[] = [];
  let producers: string[] = [];
  let origin = '';

  it('grows the relay tree through whichever process places a viewer on a new node', async () => {
    await waitFor(async () => instances().map((i) => i.stats().transports), (v) => v.every((n) => n === 0), 5_000, 'every process seeing the empty nodes');
    producers = await publish(A, MEETING);
    origin = A.nodeOf(MEETING)!;
    const trips: number[] = [];
    for (const via of [A, B, C, A, B, C]) {
      const before = via.clusterStats().topologyRoundTrips;
      await via.openRoom(MEETING);
      const s = await seat(via);
      await consumeAll(s, producers);
      seats.push(s);
      trips.push(via.clusterStats().topologyRoundTrips - before);
    }
    // Reported, not asserted: the cost in Redis of a viewer's join (openRoom, placeViewer, two pipes).
    console.log(`Redis round trips per viewer join (origin node ×2, first on a new node, second there, first below a relay, second there): ${trips.join(', ')}`);
    const nodeOfSeat = seats.map((s) => s.node);
    expect(nodeOfSeat[0]).toBe(origin);
    expect(nodeOfSeat[1]).toBe(origin);
    expect(nodeOfSeat[2]).toBe(nodeOfSeat[3]);
    expect(nodeOfSeat[4]).toBe(nodeOfSeat[5]);
    const topo = await B.sharedTopology(MEETING);
    const relay = topo.members.find((m) => m.depth === 1)!;
    const leaf = topo.members.find((m) => m.depth === 2)!;
    expect([relay.node, leaf.node]).toEqual([nodeOfSeat[2], nodeOfSeat[4]]);
    expect(leaf.parent).toBe(relay.node);
    expect(topo.replicas).toBe(4);
    for (const s of seats) expect(s.consumers.map((c) => c.producerId).sort()).toEqual(producers);
  });

  it('pauses and resumes a producer through any process, on replicas that another process made', async () => {
    const [cam, mic] = producers as [string, string];
    const onRelay = seats.find((s) => s.via === A && s.node === seats[2]!.node)!;
    const onLeaf = seats.find((s) => s.via === B && s.node === seats[4]!.node)!;
    const freshConsumer = async (s: Seat, producerId: string): Promise<ConsumerParams> => {
      const c = (await s.via.consume(s.transportId, await s.via.pipeProducer(producerId, s.edge), caps))!;
      s.consumers.push(c);
      return c;
    };
    // Published through A, replicated on the relay through C: paused through B.
    await B.pauseProducer(mic);
    expect((await freshConsumer(onRelay, mic)).producerPaused).toBe(true);
    expect((await freshConsumer(onLeaf, mic)).producerPaused).toBe(true);
    expect((await freshConsumer(seats[0]!, cam)).producerPaused).toBe(false);
    await C.resumeProducer(mic);
    expect((await freshConsumer(onRelay, mic)).producerPaused).toBe(false);
    expect((await freshConsumer(onLeaf, mic)).producerPaused).toBe(false);
  });

  it('keeps the meeting whole when one process is gone, and serves new viewers through the others without rebuilding', async () => {
    const before = await A.sharedTopology(MEETING);
    // The nodes report replicas, pipe transports and their consumers as each is made: wait for all
    // three (waiting for the replicas alone read the links before the last ones were reported).
    const links = await waitFor(async () => linkTotals(A), (t) => t.replicas === 4 && t.transports === 4 && t.consumers === 4, 15_000, 'the nodes to report their links');
    expect(links).toEqual({ transports: 4, consumers: 4, replicas: 4 });
    await C.close();
    // A's viewer on the relay leaves: room for one more there.
    const leaving = seats.find((s) => s.via === A && s.node === seats[2]!.node)!;
    await A.closeTransport(leaving.transportId);
    // Deliberate: the nodes must keep what they hold; give a wrong closing time to happen.
    await sleep(1_500);
    // The nodes kept C's rooms (other controllers are connected) and every consumer of A and B.
    for (const s of seats.filter((x) => x.via !== C && x !== leaving)) {
      for (const c of s.consumers) await expect(s.via.consumerStats(c.id)).resolves.toMatchObject({ kind: c.kind });
    }
    const late = await seat(B);
    expect(late.node).toBe(leaving.node);
    await consumeAll(late, producers);
    seats.push(late);
    expect(late.consumers.map((c) => c.producerId).sort()).toEqual(producers);
    expect(await B.sharedTopology(MEETING)).toEqual(before);
    // Deliberate: no rebuild means no new link; give a wrong one time to be reported.
    await sleep(1_200);
    expect(linkTotals(A)).toEqual(links);
  });

  it('reports a dead relay node\'s edges to the process that placed them, and repairs the tree once', async () => {
    const topo = await A.sharedTopology(MEETING);
    const relay = topo.members.find((m) => m.depth === 1)!.node;
    const leaf = topo.members.find((m) => m.depth === 2)!.node;
    const repairsBefore = repairs(A, B);
    const expected = (i: ClusterSfu): string[] => [...new Set(seats.filter((s) => s.via === i && s.node === relay).map((s) => s.edge))].sort();
    expect(expected(A).length + expected(B).length).toBeGreaterThan(0);
    lostBy.get(A)!.length = 0;
    lostBy.get(B)!.length = 0;

    nodes.get(relay)!.kill();
    await until(() => [A, B].every((i) => expected(i).every((e) => lostBy.get(i)!.includes(e))), { timeoutMs: 10_000, what: 'each process reporting its edges on the dead node' });
    for (const i of [A, B]) expect([...new Set(lostBy.get(i))].sort(), name(i)).toEqual(expected(i));

    // The leaf below lost its feed: its viewers' consumers close, reported to their own process only.
    const onLeaf = seats.filter((s) => s.node === leaf && s.via !== C);
    expect(onLeaf.length).toBeGreaterThan(0);
    await until(() => onLeaf.every((s) => s.consumers.every((c) => closedBy.get(s.via)!.includes(c.id))), { timeoutMs: 15_000, what: 'consumers below the dead relay closed' });
    for (const s of onLeaf) {
      const other = s.via === A ? B : A;
      for (const c of s.consumers) expect(closedBy.get(other)).not.toContain(c.id);
    }
    const after = await waitFor(() => A.sharedTopology(MEETING), (t) => t.members.length === 1, 10_000, 'the dead subtree detached');
    expect(after.members[0]!.node).toBe(origin);
    expect(after.replicas).toBe(0);
    expect(after.origin).toEqual(topo.origin);
    expect(repairs(A, B) - repairsBefore).toBe(1);

    // Offered again, the leaf's viewers are fed straight from the origin.
    for (const s of onLeaf) {
      s.consumers = [];
      await consumeAll(s, producers);
      expect(s.consumers.map((c) => c.producerId).sort()).toEqual(producers);
    }
    const healed = await A.sharedTopology(MEETING);
    expect(healed.members.map((m) => [m.node, m.depth]).sort()).toEqual([[leaf, 1], [origin, 0]].sort());
    expect(healed.replicas).toBe(2);
  });

  it('reports the rooms of a dead worker to the process that placed viewers there, and detaches its replica once', async () => {
    const topo = await A.sharedTopology(MEETING);
    const leaf = topo.members.find((m) => m.depth === 1)!.node;
    const pid = A.stats().workers.find((w) => w.node === leaf)!.pid;
    const expected = (i: ClusterSfu): string[] => [...new Set(seats.filter((s) => s.via === i && s.node === leaf).map((s) => s.edge))].sort();
    expect(expected(B).length).toBeGreaterThan(0);
    const repairsBefore = repairs(A, B);
    lostBy.get(A)!.length = 0;
    lostBy.get(B)!.length = 0;
    process.kill(pid, 'SIGKILL');
    await until(() => expected(B).every((e) => lostBy.get(B)!.includes(e)), { timeoutMs: 15_000, what: 'B reporting its edge on the dead worker' });
    const after = await waitFor(() => A.sharedTopology(MEETING), (t) => t.members.length === 1, 10_000, 'the replica detached');
    expect(after.replicas).toBe(0);
    for (const i of [A, B]) expect([...new Set(lostBy.get(i))].sort(), name(i)).toEqual(expected(i));
    // The repair is counted once the detach is written, which may be just after Redis shows it.
    await until(() => repairs(A, B) - repairsBefore >= 1, { timeoutMs: 10_000, what: 'the repair counted' });
    expect(repairs(A, B) - repairsBefore).toBe(1);
    // The node's new worker takes viewers again, fed from the origin.
    await waitFor(async () => A.stats().workers.filter((w) => w.node === leaf).map((w) => w.pid), (p) => p.length === 1 && p[0] !== pid, 15_000, 'the replacement worker');
    const again = await seat(B);
    expect(again.node).toBe(leaf);
    await consumeAll(again, producers);
    seats.push(again);
    expect(again.consumers.map((c) => c.producerId).sort()).toEqual(producers);
    expect((await A.sharedTopology(MEETING)).members).toHaveLength(2);
  });

  it('reports a dead origin node to every process, and the next openRoom from all of them makes exactly one new origin', async () => {
    const old = (await A.sharedTopology(MEETING)).origin!;
    const repairsBefore = repairs(A, B);
    lostBy.get(A)!.length = 0;
    lostBy.get(B)!.length = 0;
    nodes.get(origin)!.kill();
    await until(() => [A, B].every((i) => lostBy.get(i)!.includes(MEETING)), { timeoutMs: 10_000, what: 'every process reporting the origin lost' });

    const D = await ClusterSfu.create({ redisUrl: redis.url, secret: SFU_SECRET, fanout: 1 }, 1);
    try {
      await Promise.all([A, B, D, A, B, D].map((i) => i.openRoom(MEETING)));
      const survivor = [...nodes.keys()].find((n) => nodes.get(n)!.child.exitCode === null && nodes.get(n)!.child.signalCode === null)!;
      const fresh = (await A.sharedTopology(MEETING)).origin!;
      expect(fresh.node).toBe(survivor);
      expect(fresh.gen).toBeGreaterThan(old.gen);
      for (const i of [A, B, D]) expect(i.nodeOf(MEETING)).toBe(survivor);
      expect(repairs(A, B, D) - repairsBefore).toBe(1);
      // One router on the survivor for the meeting: its old replica room went with the repair.
      await waitFor(async () => A.stats().routers, (r) => r === 1, 5_000, 'one router for the new origin');
    } finally {
      await D.close();
    }
  });
});

describe('an SFU node with several controllers', () => {
  it('keeps its rooms while any controller is connected, and closes them after the grace period once none is', async () => {
    const ownRedis = await startRedis();
    const node = await startSfuNode(ownRedis.url, 'sfu-shared', { HOINGHI_SFU_ORPHAN_GRACE_MS: '1000' });
    const routers = async (): Promise<number> => {
      const probe = await NodeLink.connect(node.controlUrl, 'sfu-shared', 'x', SFU_SECRET);
      const load = await new Promise<{ stats: { routers: number } }>((resolve) => probe.once('load', resolve));
      probe.close();
      return load.stats.routers;
    };
    try {
      const first = await NodeLink.connect(node.controlUrl, 'sfu-shared', 'x', SFU_SECRET);
      const second = await NodeLink.connect(node.controlUrl, 'sfu-shared', 'x', SFU_SECRET);
      await first.call('openRoom', 'kept', 'kept');
      first.close();
      // Deliberate: the grace period (1 s) is the subject, and a probe is a controller that would
      // restart it, so the node is read once, after the grace has passed.
      await sleep(2_500);
      expect(await routers()).toBe(1);
      const closed = printed(node.child.stdout!, 'no controller for the grace period: rooms closed', { timeoutMs: 15_000 });
      second.close();
      // The node says when it closes them (a probe before that would be a controller again).
      await closed;
      expect(await routers()).toBe(0);
    } finally {
      await node.stop();
      await ownRedis.stop();
    }
  });
});
