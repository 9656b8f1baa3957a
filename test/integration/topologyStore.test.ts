/**
 * The shared topology's decisions against a real redis-server: many clients racing for one
 * origin, for places in a relay tree, and for one repair; and the tree script choosing the same
 * parents as RelayTree's rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { connectRedis, type RedisClient } from '../../common/redis';
import { logger } from '../../common/log';
import { TopologyStore, type OriginRecord } from '../../sfu/cluster/TopologyStore';
import { RelayTree } from '../../sfu/cluster/RelayTree';
import { startRedis, type RedisProcess } from '../../harness/cluster';

let redis: RedisProcess;
const clients: RedisClient[] = [];
let stores: TopologyStore[] = [];

beforeAll(async () => {
  redis = await startRedis();
  for (let i = 0; i < 4; i++) {
    clients.push(await connectRedis(redis.url, logger('test')));
  }
  stores = clients.map((c) => new TopologyStore(c));
});

afterAll(async () => {
  for (const c of clients) await c.quit();
  await redis?.stop();
});

const alive = (ids: string[]): Record<string, string> => Object.fromEntries(ids.map((id) => [id, 'e1']));
let room = 0;

describe('the shared topology in Redis', () => {
  it('gives one origin to many processes claiming it at once, and puts a breakout with its main origin', async () => {
    const r = `m${room++}`;
    const claims = await Promise.all(stores.flatMap((s, i) => [s.claimOrigin(r, r, `n${i}`, 'e1'), s.claimOrigin(r, r, `n${i + 10}`, 'e1')]));
    expect(new Set(claims.map((c) => JSON.stringify(c))).size).toBe(1);
    const breakout = await stores[3]!.claimOrigin(`${r}-b`, r, 'elsewhere', 'e1');
    expect(breakout.node).toBe(claims[0]!.node);
    expect(breakout.gen).not.toBe(claims[0]!.gen);
    expect((await stores[0]!.groupRooms(r)).sort()).toEqual([r, `${r}-b`]);
  });

  it('chooses the same parents as RelayTree, and never more children than the fan-out, with processes attaching at once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 12 }), fc.array(fc.integer({ min: 0, max: 11 }), { maxLength: 3 }), async (fanout, n, deadIdx) => {
        const r = `t${room++}`;
        const ids = Array.from({ length: n }, (_, i) => `n${String(i).padStart(2, '0')}`);
        const o: OriginRecord = await stores[0]!.claimOrigin(r, r, ids[0]!, 'e1');
        // One at a time, checked against RelayTree's rule.
        const dead = new Set(deadIdx.filter((i) => i > 0 && i < n).map((i) => ids[i]!));
        const live = alive(ids.filter((id) => !dead.has(id)));
        for (const id of ids.slice(1)) {
          const view = RelayTree.from(r, r, await stores[0]!.tree(r))!;
          const expected = view.chooseParent(fanout, (x) => x in live);
          if (expected === null) {
            await expect(stores[1]!.attach(o, id, 'e1', fanout, live)).rejects.toMatchObject({ code: 'unavailable' });
            continue;
          }
          expect((await stores[id.charCodeAt(2) % 4]!.attach(o, id, 'e1', fanout, live)).parent).toBe(expected);
        }
        // All at once, from every client, twice each.
        const r2 = `t${room++}`;
        const o2 = await stores[0]!.claimOrigin(r2, r2, ids[0]!, 'e1');
        const all = alive(ids);
        await Promise.all(stores.flatMap((s) => ids.slice(1).map((id) => s.attach(o2, id, 'e1', fanout, all))));
        const tree = await stores[0]!.tree(r2);
        expect(tree).toHaveLength(n);
        const kids = new Map<string, number>();
        for (const m of tree) if (m.parent) kids.set(m.parent, (kids.get(m.parent) ?? 0) + 1);
        expect(Math.max(...kids.values())).toBeLessThanOrEqual(fanout);
        // Filled level by level: the depth of a tree of n with this fan-out, no deeper.
        let depth = 0;
        for (let level = 1, total = 1; total < n; depth++) {
          level *= fanout;
          total += level;
        }
        expect(Math.max(...tree.map((m) => m.depth))).toBe(depth);
      }),
      { numRuns: 40 },
    );
  });

  it('detaches a dead member and its subtree once, however many processes ask', async () => {
    const r = `d${room++}`;
    const o = await stores[0]!.claimOrigin(r, r, 'root', 'e1');
    const live = alive(['root', 'a', 'b', 'c']);
    await stores[0]!.attach(o, 'a', 'e1', 1, live);
    await stores[0]!.attach(o, 'b', 'e1', 1, live);
    const c = await stores[0]!.attach(o, 'c', 'e1', 1, live);
    expect(c.parent).toBe('b');
    await stores[1]!.addProducer({ id: 'p1', node: 'root', epoch: 'e1', origin: r, gen: o.gen, transport: 't', paused: false });
    for (const [node, m] of [['a', 1], ['b', 2], ['c', 3]] as const) {
      const member = (await stores[0]!.member(r, node))!;
      await stores[0]!.setLink(r, node, member.seq, `up-${m}`, `down-${m}`);
      expect(await stores[2]!.addReplica(r, node, member.seq, 'p1')).toBe(false);
    }
    const results = await Promise.all(stores.map((s) => s.detach(r, 'b', 'e1')));
    const winners = results.filter((x) => x.length > 0);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.map((m) => m.node)).toEqual(['b', 'c']);
    expect(winners[0]!.map((m) => m.up)).toEqual(['up-2', 'up-3']);
    expect((await stores[0]!.tree(r)).map((m) => m.node).sort()).toEqual(['a', 'root']);
    expect(await stores[0]!.replicaNodes(r, 'p1')).toEqual(['a']);
    // A detached member's replica cannot be recorded any more.
    expect(await stores[0]!.addReplica(r, 'c', c.seq, 'p1')).toBeNull();
  });

  it('clears a lost origin once, only in the generation it was lost in', async () => {
    const r = `c${room++}`;
    const o = await stores[0]!.claimOrigin(r, r, 'n1', 'e1');
    await stores[0]!.addProducer({ id: `${r}-p`, node: 'n1', epoch: 'e1', origin: r, gen: o.gen, transport: 't', paused: false });
    const cleared = await Promise.all(stores.map((s) => s.clearOrigin(r, o.gen)));
    expect(cleared.filter(Boolean)).toHaveLength(1);
    expect(await stores[0]!.producer(`${r}-p`)).toBeNull();
    const fresh = await stores[1]!.claimOrigin(r, r, 'n2', 'e2');
    expect(fresh.node).toBe('n2');
    expect(await stores[2]!.clearOrigin(r, o.gen)).toBe(false);
    expect(await stores[2]!.origin(r)).toEqual(fresh);
    const claims = await Promise.all(stores.map((s) => s.claimRepair(r, fresh.gen, `token-${Math.random()}`, 5_000)));
    expect(claims.filter(Boolean)).toHaveLength(1);
  });
});
