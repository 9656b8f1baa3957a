import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import type { LocalSfu } from '../../sfu/LocalSfu';
import { chooseWorker, orderNodes, type NodeLoadView, type WorkerLoad } from '../../sfu/placement';
import { RelayTree } from '../../sfu/cluster/RelayTree';
import type { PooledWorker } from '../../sfu/WorkerPool';
import { MEETING, call, connectClient, next, request, startServer, tokenFor } from '../../harness/server';
import { joinAndPublish, joinAsViewer, type Publisher, type Viewer } from '../helpers/flows';
import { until } from '../../harness/wait';

describe('the placement policy', () => {
  const w = (index: number): PooledWorker => ({ index }) as PooledWorker;
  const load = (index: number, viewers: number, hasRouter: boolean): WorkerLoad => ({ worker: w(index), viewers, hasRouter });

  it('prefers the least-loaded worker where the meeting already has a router', () => {
    expect(chooseWorker([load(0, 5, true), load(1, 2, true), load(2, 0, false)], 10)!.index).toBe(1);
  });
  it('grows onto the least-loaded other worker when the meeting\'s workers are full', () => {
    expect(chooseWorker([load(0, 10, true), load(1, 7, false), load(2, 3, false)], 10)!.index).toBe(2);
  });
  it('refuses when every worker is at capacity', () => {
    expect(chooseWorker([load(0, 10, true), load(1, 10, false)], 10)).toBeNull();
  });
});

describe('the placement policy across SFU nodes', () => {
  const n = (nodeId: string, viewers: number, capacity: number, hasMeeting: boolean): NodeLoadView => ({ nodeId, viewers, capacity, hasMeeting });

  it('fills nodes that already serve the meeting first, least filled first, then the others, full ones last', () => {
    expect(orderNodes([n('a', 90, 100, false), n('b', 50, 100, true), n('c', 10, 100, true), n('d', 100, 100, true), n('e', 0, 50, false)])).toEqual(['c', 'b', 'e', 'a', 'd']);
  });
  it('compares nodes of different sizes by how full they are', () => {
    expect(orderNodes([n('small', 40, 50, false), n('big', 300, 1000, false)])).toEqual(['big', 'small']);
  });
});

describe('the relay tree of an origin', () => {
  const ready = async () => undefined;

  it('feeds at most `fanout` nodes from each node, filling the shallowest level first', () => {
    const tree = new RelayTree('m', 'm', 'a');
    for (const id of ['b', 'c']) tree.add(id, tree.chooseParent(2, () => true)!, ready);
    expect(tree.chooseParent(2, () => true)).toBe('b');
    tree.add('d', 'b', ready);
    expect(tree.chooseParent(2, () => true)).toBe('c');
    expect(tree.depth).toBe(2);
  });
  it('never hangs a new member below a dead one', () => {
    const tree = new RelayTree('m', 'm', 'a');
    tree.add('b', 'a', ready);
    tree.add('c', 'b', ready);
    expect(tree.chooseParent(1, (id) => id !== 'b')).toBeNull();
    expect(tree.chooseParent(2, (id) => id !== 'b')).toBe('a');
  });
  it('skips dead parents, and detaches a member with its whole subtree', () => {
    const tree = new RelayTree('m', 'm', 'a');
    tree.add('b', 'a', ready);
    tree.add('c', 'b', ready);
    tree.add('d', 'c', ready);
    expect(tree.chooseParent(1, (id) => id !== 'd')).toBeNull();
    expect(tree.detach('b').map((m) => m.nodeId)).toEqual(['b', 'c', 'd']);
    expect([...tree.members.keys()]).toEqual(['a']);
    expect(tree.chooseParent(1, () => true)).toBe('a');
    expect(tree.detach('a')).toEqual([]);
  });
});

describe('a meeting across three workers with a capacity of two viewers each', () => {
  let server: HoinghiServer;
  let host: Publisher;
  const viewers: Viewer[] = [];

  beforeAll(async () => {
    server = await startServer({ HOINGHI_WORKERS: '3', HOINGHI_VIEWERS_PER_WORKER: '2' });
    host = await joinAndPublish(server, { sub: 'host' });
    for (let i = 0; i < 6; i++) viewers.push(await joinAsViewer(server, { sub: `v${i}` }));
  });
  afterAll(async () => {
    host.socket.close();
    for (const v of viewers) v.socket.close();
    await server.close();
  });

  const edgeOf = (v: Viewer): string => server.sockets.registry.get(MEETING)!.peers.get(v.join.self.userId)!.edgeRoomId!;
  const sfu = (): LocalSfu => server.sfu as LocalSfu;

  it('places viewers on every worker, each consuming the host\'s producers', () => {
    const pids = new Set(viewers.map((v) => sfu().roomWorkerPid(edgeOf(v))));
    expect(pids.size).toBe(3);
    for (const v of viewers) expect(v.consumers.map((c) => c.producerId).sort()).toEqual(Object.values(host.producers).sort());
    expect(sfu().stats().workers.map((w) => w.consumers).sort()).toEqual([4, 4, 4]);
  });

  it('refuses a viewer when every worker is full, with unavailable', async () => {
    const s = await connectClient(server, tokenFor(server, { role: 'teacher', sub: 'one-too-many' }));
    await call(s, 'join', { meetingId: MEETING });
    expect(await request(s, 'createTransport', { direction: 'recv' })).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(sfu().stats().placementRefusals).toBe(1);
    s.close();
    await until(() => !server.sockets.registry.get(MEETING)!.peers.has('one-too-many'), { timeoutMs: 5_000, what: 'left' });
  });

  it('re-homes only the viewers of a killed edge worker, who receive again', async () => {
    const originPid = sfu().roomWorkerPid(MEETING)!;
    const victim = viewers.find((v) => sfu().roomWorkerPid(edgeOf(v)) !== originPid)!;
    const victimPid = sfu().roomWorkerPid(edgeOf(victim))!;
    const onVictim = viewers.filter((v) => sfu().roomWorkerPid(edgeOf(v)) === victimPid);
    const others = viewers.filter((v) => !onVictim.includes(v));
    expect(onVictim).toHaveLength(2);
    let othersRejoined = 0;
    for (const o of [host, ...others]) o.socket.on('rejoin', () => (othersRejoined += 1));
    const rejoins = onVictim.map((v) => next(v.socket, 'rejoin'));
    process.kill(victimPid, 'SIGKILL');
    await Promise.all(rejoins);
    await until(() => sfu().stats().workersAlive === 3, { timeoutMs: 10_000, what: 'replacement worker' });
    const again = [];
    for (const v of onVictim) again.push(await joinAsViewer(server, {}, v.socket));
    for (const v of again) {
      expect(v.consumers.map((c) => c.producerId).sort()).toEqual(Object.values(host.producers).sort());
      expect(sfu().roomWorkerPid(edgeOf(v))).not.toBe(victimPid);
    }
    expect(othersRejoined).toBe(0);
    expect(server.sockets.registry.get(MEETING)!.rehomes).toBe(2);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^hoinghi_rehomes_total 2$/m);
    expect(metrics).toMatch(/^hoinghi_placement_refusals_total 1$/m);
    expect(metrics).toMatch(/^hoinghi_worker_cpu_seconds_total\{node="local",worker="2"\} /m);
    expect(Number(/^hoinghi_pipes (\d+)$/m.exec(metrics)![1])).toBeGreaterThan(0);
  });

  it('closes every router of the meeting, edges included, when the meeting closes', async () => {
    expect(sfu().stats().routers).toBeGreaterThan(1);
    await sfu().closeRoom(MEETING);
    expect(sfu().stats().routers).toBe(0);
    expect(sfu().stats().transports).toBe(0);
  });
});
