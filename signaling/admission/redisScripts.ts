/**
 * The Lua scripts of `RedisAdmission`. Each runs atomically on the Redis server and reads the
 * time with TIME (Redis's clock, never a client's), so every signaling node sees one bucket and one
 * queue. Keys (one hash tag, so they share a slot on Redis Cluster):
 *   KEYS[1] bucket  hash { t: tokens, ts: last refill, ms }
 *   KEYS[2] rejoin lane  zset ticket → arrival number
 *   KEYS[3] new lane     zset ticket → arrival number
 *   KEYS[4] seen         zset ticket → last poll, ms (expiry)
 *   KEYS[5] arrivals     counter
 */
import { createHash } from 'node:crypto';

export interface Script {
  source: string;
  sha1: string;
}

const script = (source: string): Script => ({ source, sha1: createHash('sha1').update(source).digest('hex') });

/**
 * ARGV: ticket, lane ('rejoin' | 'new'), rate (tokens per ms), burst, ticket TTL ms, max queue,
 * hold ms (see types.ts).
 * Returns { status (1 admitted, 0 queued, 2 queue full), rank (0-based), eta ms, lane held }.
 */
export const ADMIT = script(`
local bucket, rejoinQ, newQ, seen, arrivals = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local ticket, lane = ARGV[1], ARGV[2]
local rate, burst, ttl, maxQueue = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local hold = tonumber(ARGV[7])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local dead = redis.call('ZRANGEBYSCORE', seen, '-inf', now - ttl, 'LIMIT', 0, 64)
for _, id in ipairs(dead) do
  redis.call('ZREM', rejoinQ, id)
  redis.call('ZREM', newQ, id)
  redis.call('ZREM', seen, id)
end

local rejoins = redis.call('ZCARD', rejoinQ)
local news = redis.call('ZCARD', newQ)
local cap = burst
if rejoins + news > 0 then
  cap = burst + hold * rate
end
local b = redis.call('HMGET', bucket, 't', 'ts')
local tokens = tonumber(b[1]) or burst
local ts = tonumber(b[2]) or now
if now > ts then
  tokens = math.min(cap, tokens + (now - ts) * rate)
  ts = now
end

local held = false
local rank = redis.call('ZRANK', rejoinQ, ticket)
if rank then
  held = 'rejoin'
else
  rank = redis.call('ZRANK', newQ, ticket)
  if rank then
    held = 'new'
    rank = rejoins + rank
  elseif lane == 'rejoin' then
    rank = rejoins
  else
    rank = rejoins + news
  end
end

local status = 0
if tokens >= rank + 1 then
  tokens = tokens - 1
  status = 1
  if held then
    redis.call('ZREM', rejoinQ, ticket)
    redis.call('ZREM', newQ, ticket)
    redis.call('ZREM', seen, ticket)
  end
elseif not held then
  if rejoins + news >= maxQueue then
    status = 2
  else
    local q = newQ
    if lane == 'rejoin' then q = rejoinQ end
    redis.call('ZADD', q, redis.call('INCR', arrivals), ticket)
  end
end
if status == 0 then
  redis.call('ZADD', seen, now, ticket)
end
redis.call('HSET', bucket, 't', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', bucket, 86400000)
local eta = 0
if status == 0 then
  eta = math.ceil((rank + 1 - tokens) / rate)
end
return { status, rank, eta, held or lane }
`);

/** ARGV: ticket. Removes it from both lanes and the expiry set. */
export const CANCEL = script(`
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
return 1
`);

/** Expires stale tickets (same rule as ADMIT), then returns { rejoin lane, new lane } lengths. */
export const LENGTHS = script(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local dead = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[1]), 'LIMIT', 0, 1000)
for _, id in ipairs(dead) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZREM', KEYS[4], id)
end
return { redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3]) }
`);
