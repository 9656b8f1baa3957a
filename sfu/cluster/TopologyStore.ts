/**
 * The media topology of a cluster, shared in Redis by every signaling process's ClusterSfu, so
 * that an origin, its relay tree and its replicas are made once however many processes ask.
 *
 * Each decision is one Lua script (atomic in Redis, no lock to hold or lose): which node holds an
 * origin (first claim wins), which parent a node hangs from (RelayTree's rule: shallowest member
 * with a free slot), which process repairs after a death (the one whose script removed the dead
 * member, or whose SET NX won the origin's repair). What each decision implies on the SFU nodes
 * (a replica room, a pipe link, a pipe consumer, a replica producer) is an idempotent keyed call
 * there, so any process may carry it out, again, after a process died half-way.
 *
 * Keys (prefix `hoinghi:sfu:topo:`):
 * - `origin:{room}`: JSON {room, group, node, epoch, gen}; `gen` is a fresh number per origin made;
 * - `group:{group}`: set of the group's origin rooms (a meeting and its breakouts);
 * - `tree:{room}`: hash node → JSON {parent, depth, epoch, seq, up, down} (root: parent "");
 * - `reps:{room}`: set of `${node}|${producerId}` replicas made;
 * - `prods:{room}`: set of the origin's producer ids; `prod:{id}`: hash {node, epoch, origin, gen, transport, paused};
 * - `repair:{room}:{gen}`: who repairs a lost origin (SET NX PX).
 */
import { z } from 'zod';
import type { RedisClient } from '../../common/redis';
import { SfuError } from '../errors';

const P = 'hoinghi:sfu:topo:';
const K = {
  gen: `${P}gen`,
  origin: (room: string) => `${P}origin:${room}`,
  group: (group: string) => `${P}group:${group}`,
  tree: (room: string) => `${P}tree:${room}`,
  reps: (room: string) => `${P}reps:${room}`,
  prods: (room: string) => `${P}prods:${room}`,
  prod: (id: string) => `${P}prod:${id}`,
  repair: (room: string, gen: number) => `${P}repair:${room}:${gen}`,
};

export const originRecord = z.object({ room: z.string(), group: z.string(), node: z.string(), epoch: z.string(), gen: z.number().int() });
export type OriginRecord = z.infer<typeof originRecord>;

export const memberRecord = z.object({
  node: z.string(),
  parent: z.string(),
  depth: z.number().int(),
  epoch: z.string(),
  seq: z.number().int(),
  up: z.string().optional(),
  down: z.string().optional(),
});
export type MemberRecord = z.infer<typeof memberRecord>;

const producerRecord = z.object({
  node: z.string(),
  epoch: z.string(),
  origin: z.string(),
  gen: z.coerce.number().int(),
  transport: z.string(),
  paused: z.enum(['0', '1']),
});
export type ProducerRecord = Omit<z.infer<typeof producerRecord>, 'paused'> & { id: string; paused: boolean };

/** Claims an origin: the existing record, or this proposal (a breakout goes where its main origin is). */
const CLAIM_ORIGIN = `
local cur = redis.call('GET', KEYS[1])
if cur then return cur end
local node, epoch = ARGV[3], ARGV[4]
if ARGV[1] ~= ARGV[2] then
  local main = redis.call('GET', KEYS[5])
  if main then
    local m = cjson.decode(main)
    node, epoch = m.node, m.epoch
  end
end
local gen = redis.call('INCR', KEYS[2])
local rec = cjson.encode({room = ARGV[1], group = ARGV[2], node = node, epoch = epoch, gen = gen})
redis.call('SET', KEYS[1], rec)
redis.call('DEL', KEYS[3], KEYS[4])
redis.call('HSET', KEYS[3], node, cjson.encode({node = node, parent = '', depth = 0, epoch = epoch, seq = 0}))
redis.call('SADD', KEYS[6], ARGV[1])
return rec
`;

/** Deletes an origin and what hangs on it, if it is still generation ARGV[1]. */
const CLEAR_ORIGIN = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local rec = cjson.decode(cur)
if ARGV[1] ~= '*' and tostring(rec.gen) ~= ARGV[1] then return 0 end
for _, id in ipairs(redis.call('SMEMBERS', KEYS[4])) do redis.call('DEL', ARGV[2] .. id) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[2] .. ':seq')
redis.call('SREM', ARGV[3] .. rec.group, rec.room)
return 1
`;

/**
 * A node's membership of an origin's tree: the existing one, or a new one under the shallowest
 * member with fewer than ARGV[3] children, alive and fed by alive members (fewest children, then name). ARGV[5]: JSON map
 * node → epoch of the caller's live nodes. Errors: GONE (origin not generation ARGV[4]), STALE
 * (the node is a member from an older epoch), FULL (no parent with a free slot).
 */
const ATTACH = `
local cur = redis.call('GET', KEYS[1])
if not cur or tostring(cjson.decode(cur).gen) ~= ARGV[4] then return redis.error_reply('GONE') end
local mine = redis.call('HGET', KEYS[2], ARGV[1])
if mine then
  if cjson.decode(mine).epoch == ARGV[2] then return mine end
  return redis.error_reply('STALE ' .. cjson.decode(mine).epoch)
end
local alive = cjson.decode(ARGV[5])
local all = redis.call('HGETALL', KEYS[2])
local members, children = {}, {}
for i = 1, #all, 2 do
  local m = cjson.decode(all[i + 1])
  members[#members + 1] = m
  if m.parent ~= '' then children[m.parent] = (children[m.parent] or 0) + 1 end
end
local byNode = {}
for _, m in ipairs(members) do byNode[m.node] = m end
-- A member feeds others only if it and every member above it are alive.
local function fed(m, hops)
  if alive[m.node] ~= m.epoch or hops > 64 then return false end
  if m.parent == '' then return true end
  local p = byNode[m.parent]
  return p ~= nil and fed(p, hops + 1)
end
local best, bestKids
for _, m in ipairs(members) do
  local kids = children[m.node] or 0
  if kids < tonumber(ARGV[3]) and fed(m, 0) then
    if not best or m.depth < best.depth or (m.depth == best.depth and (kids < bestKids or (kids == bestKids and m.node < best.node))) then
      best, bestKids = m, kids
    end
  end
end
if not best then return redis.error_reply('FULL') end
local seq = redis.call('INCR', KEYS[3])
local rec = cjson.encode({node = ARGV[1], parent = best.node, depth = best.depth + 1, epoch = ARGV[2], seq = seq})
redis.call('HSET', KEYS[2], ARGV[1], rec)
return rec
`;

/** Records a member's link ends, if it is still the member `seq`. */
const SET_LINK = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
local m = cjson.decode(cur)
if tostring(m.seq) ~= ARGV[2] then return 0 end
m.up = ARGV[3]
m.down = ARGV[4]
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(m))
return 1
`;

/**
 * Takes a member (if still of epoch ARGV[2], and ARGV[3] = '*' or its seq) and its subtree out
 * of the tree, with their replicas. Returns the removed members: only one caller ever gets them.
 */
const DETACH = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return '[]' end
local top = cjson.decode(cur)
if top.parent == '' or top.epoch ~= ARGV[2] or (ARGV[3] ~= '*' and tostring(top.seq) ~= ARGV[3]) then return '[]' end
local all = redis.call('HGETALL', KEYS[1])
local byParent = {}
for i = 1, #all, 2 do
  local m = cjson.decode(all[i + 1])
  byParent[m.parent] = byParent[m.parent] or {}
  table.insert(byParent[m.parent], m)
end
local removed, queue, gone = {}, {top}, {}
while #queue > 0 do
  local m = table.remove(queue, 1)
  removed[#removed + 1] = m
  gone[m.node] = true
  redis.call('HDEL', KEYS[1], m.node)
  for _, c in ipairs(byParent[m.node] or {}) do queue[#queue + 1] = c end
end
for _, r in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local node = string.match(r, '^(.-)|')
  if node and gone[node] then redis.call('SREM', KEYS[2], r) end
end
return cjson.encode(removed)
`;

/** Records a replica if its member is still `seq`; returns the producer's paused flag ('0'/'1'), or 'GONE'. */
const ADD_REPLICA = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur or tostring(cjson.decode(cur).seq) ~= ARGV[2] then return 'GONE' end
local paused = redis.call('HGET', KEYS[3], 'paused')
if not paused then return 'GONE' end
redis.call('SADD', KEYS[2], ARGV[1] .. '|' .. ARGV[3])
return paused
`;

const parseJson = <T>(schema: z.ZodType<T>, raw: unknown): T => schema.parse(JSON.parse(String(raw)));

export class TopologyStore {
  readonly #redis: RedisClient;
  /** Round trips to Redis made through this store (a MULTI or a script is one). */
  roundTrips = 0;

  constructor(redis: RedisClient) {
    this.#redis = redis;
  }

  get #r(): RedisClient {
    this.roundTrips += 1;
    return this.#redis;
  }

  async #eval(script: string, keys: string[], args: string[]): Promise<unknown> {
    return this.#r.eval(script, { keys, arguments: args });
  }

  async claimOrigin(room: string, group: string, node: string, epoch: string): Promise<OriginRecord> {
    const raw = await this.#eval(CLAIM_ORIGIN, [K.origin(room), K.gen, K.tree(room), K.reps(room), K.origin(group), K.group(group)], [room, group, node, epoch]);
    return parseJson(originRecord, raw);
  }

  async origin(room: string): Promise<OriginRecord | null> {
    const raw = await this.#r.get(K.origin(room));
    return raw ? parseJson(originRecord, raw) : null;
  }

  /** Clears an origin of generation `gen` ('*': any) with its tree, replicas and producers; true if this call did. */
  async clearOrigin(room: string, gen: number | '*'): Promise<boolean> {
    const done = await this.#eval(CLEAR_ORIGIN, [K.origin(room), K.tree(room), K.reps(room), K.prods(room)], [String(gen), `${P}prod:`, `${P}group:`]);
    return done === 1;
  }

  /** The group's origin rooms (a meeting's main origin and its breakouts). */
  async groupRooms(group: string): Promise<string[]> {
    return this.#r.sMembers(K.group(group));
  }

  /** Wins the right to repair a lost origin (SET NX, expiring so that a waiter takes over if the winner dies). */
  async claimRepair(room: string, gen: number, token: string, ttlMs: number): Promise<boolean> {
    return (await this.#r.set(K.repair(room, gen), token, { NX: true, PX: ttlMs })) === 'OK';
  }

  async attach(o: OriginRecord, node: string, epoch: string, fanout: number, alive: Record<string, string>): Promise<MemberRecord> {
    try {
      const raw = await this.#eval(ATTACH, [K.origin(o.room), K.tree(o.room), `${K.tree(o.room)}:seq`], [node, epoch, String(fanout), String(o.gen), JSON.stringify(alive)]);
      return parseJson(memberRecord, raw);
    } catch (error) {
      // Redis puts its own code before a script's error text.
      const msg = (error instanceof Error ? error.message : String(error)).replace(/^ERR /, '');
      if (msg.startsWith('GONE')) throw new SfuError('not_found', `origin ${o.room} is gone`);
      if (msg.startsWith('FULL')) throw new TreeFull();
      if (msg.startsWith('STALE')) throw new StaleMember(msg.slice(6));
      throw error;
    }
  }

  async setLink(room: string, node: string, seq: number, up: string, down: string): Promise<boolean> {
    return (await this.#eval(SET_LINK, [K.tree(room)], [node, String(seq), up, down])) === 1;
  }

  async detach(room: string, node: string, epoch: string, seq: number | '*' = '*'): Promise<MemberRecord[]> {
    const raw = await this.#eval(DETACH, [K.tree(room), K.reps(room)], [node, epoch, String(seq)]);
    const list = JSON.parse(String(raw)) as unknown;
    // cjson encodes an empty table as an object.
    return Array.isArray(list) ? list.map((m) => memberRecord.parse(m)) : [];
  }

  async tree(room: string): Promise<MemberRecord[]> {
    const all = await this.#r.hGetAll(K.tree(room));
    return Object.values(all).map((raw) => parseJson(memberRecord, raw));
  }

  async member(room: string, node: string): Promise<MemberRecord | null> {
    const raw = await this.#r.hGet(K.tree(room), node);
    return raw ? parseJson(memberRecord, raw) : null;
  }

  async hasReplica(room: string, node: string, producerId: string): Promise<boolean> {
    return (await this.#r.sIsMember(K.reps(room), `${node}|${producerId}`)) === 1;
  }

  /** Records a replica; returns the producer's paused flag now, or null if the member or producer is gone. */
  async addReplica(room: string, node: string, seq: number, producerId: string): Promise<boolean | null> {
    const r = await this.#eval(ADD_REPLICA, [K.tree(room), K.reps(room), K.prod(producerId)], [node, String(seq), producerId]);
    return r === 'GONE' ? null : r === '1';
  }

  /** Nodes holding a replica of a producer. */
  async replicaNodes(room: string, producerId: string): Promise<string[]> {
    const all = await this.#r.sMembers(K.reps(room));
    return all.filter((r) => r.endsWith(`|${producerId}`)).map((r) => r.slice(0, r.length - producerId.length - 1));
  }

  async replicaCount(room: string): Promise<number> {
    return this.#r.sCard(K.reps(room));
  }

  async removeReplicas(room: string, producerId: string, nodes: string[]): Promise<void> {
    if (nodes.length > 0) await this.#r.sRem(K.reps(room), nodes.map((n) => `${n}|${producerId}`));
  }

  async addProducer(p: ProducerRecord): Promise<void> {
    await this.#r
      .multi()
      .hSet(K.prod(p.id), { node: p.node, epoch: p.epoch, origin: p.origin, gen: String(p.gen), transport: p.transport, paused: p.paused ? '1' : '0' })
      .sAdd(K.prods(p.origin), p.id)
      .exec();
  }

  async producer(id: string): Promise<ProducerRecord | null> {
    const raw = await this.#r.hGetAll(K.prod(id));
    if (!raw || Object.keys(raw).length === 0) return null;
    const r = producerRecord.parse(raw);
    return { ...r, id, paused: r.paused === '1' };
  }

  async setPaused(id: string, paused: boolean): Promise<void> {
    // Only an existing record (a close racing with a pause must not bring it back).
    await this.#eval(`if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'paused', ARGV[1]) end return 0`, [K.prod(id)], [paused ? '1' : '0']);
  }

  /** Forgets a producer and its replicas' records; returns the nodes that held replicas. */
  async removeProducer(p: ProducerRecord): Promise<string[]> {
    const nodes = await this.replicaNodes(p.origin, p.id);
    await this.#r
      .multi()
      .del(K.prod(p.id))
      .sRem(K.prods(p.origin), p.id)
      .sRem(K.reps(p.origin), nodes.length > 0 ? nodes.map((n) => `${n}|${p.id}`) : ['-'])
      .exec();
    return nodes;
  }
}

/** No member of the tree has a free slot (members that died may still hold theirs until detached). */
export class TreeFull extends SfuError {
  constructor() {
    super('unavailable', 'no relay with a free slot');
  }
}

/** The node is in the tree from an earlier life (another epoch): detach that one first. */
export class StaleMember extends Error {
  readonly epoch: string;
  constructor(epoch: string) {
    super(`member from epoch ${epoch}`);
    this.epoch = epoch;
  }
}
