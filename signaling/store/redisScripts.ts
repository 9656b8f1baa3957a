/**
 * The Redis store's Lua scripts. Each compound change runs as one script, so it is atomic, and a
 * change that other nodes must act on increments the meeting's `seq` and PUBLISHes its event in
 * the same script: the order of events is the order of changes.
 *
 * Keys of one meeting share the hash tag `{meetingId}` (one Redis Cluster slot). KEYS[1] is always
 * the meeting's key prefix `hn:m:{id}:`; scripts derive the rest from it (every key a script
 * touches is under that prefix, in the same slot).
 */

/** Helpers every script starts with. */
const PRELUDE = `
local P = KEYS[1]
local function isnull(v) return v == nil or v == cjson.null end
local function hosts_session(p, sk)
  if sk == 'main' then return p.role == 'host' end
  return p.role == 'province_host' and (not isnull(p.province)) and p.province == sk
end
local function count(p, d)
  redis.call('HINCRBY', P .. 'cnt', 'all', d)
  if p.role == 'host' then redis.call('HINCRBY', P .. 'cnt', 'hosts', d) end
  if hosts_session(p, p.sessionKey) then
    redis.call('HINCRBY', P .. 'cnt', 's:' .. p.sessionKey .. ':h', d)
  else
    redis.call('HINCRBY', P .. 'cnt', 's:' .. p.sessionKey .. ':t', d)
  end
  -- Presence by province and school (everyone whose record has one): 'cp' holds the 34
  -- provinces, 'cs' up to every school of the audience; a count that falls to 0 leaves.
  if not isnull(p.province) then
    if redis.call('HINCRBY', P .. 'cp', p.province, d) <= 0 then redis.call('HDEL', P .. 'cp', p.province) end
  end
  if not isnull(p.school) then
    if redis.call('HINCRBY', P .. 'cs', p.school, d) <= 0 then redis.call('HDEL', P .. 'cs', p.school) end
  end
  if d > 0 then
    redis.call('SADD', P .. 'node:' .. p.node, p.userId)
    redis.call('SADD', P .. 'nodes', p.node)
  else
    redis.call('SREM', P .. 'node:' .. p.node, p.userId)
  end
end
local function publish(ev)
  local seq = redis.call('INCR', P .. 'seq')
  ev.seq = seq
  redis.call('PUBLISH', ARGV[1], cjson.encode(ev))
  return seq
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function lower(sk, uid)
  local raw = redis.call('HGET', P .. 'hi:' .. sk, uid)
  if not raw then return false end
  local e = cjson.decode(raw)
  redis.call('ZREM', P .. 'h:' .. sk, uid)
  redis.call('HDEL', P .. 'hi:' .. sk, uid)
  local prov = e.province
  if isnull(prov) then prov = '--' end
  if redis.call('HINCRBY', P .. 'hp:' .. sk, prov, -1) <= 0 then redis.call('HDEL', P .. 'hp:' .. sk, prov) end
  redis.call('INCR', P .. 'hs:' .. sk)
  return true
end
`;

/** ARGV: channel, participant JSON. Returns the replaced participant's JSON or nil. */
const JOIN = `
local p = cjson.decode(ARGV[2])
local prev = redis.call('HGET', P .. 'roster', p.userId)
if prev then count(cjson.decode(prev), -1) end
redis.call('HSET', P .. 'roster', p.userId, ARGV[2])
count(p, 1)
redis.call('ZREM', P .. 'dep', p.userId)
return prev
`;

/** ARGV: channel, userId, socketId. Returns 1 if removed. */
const LEAVE = `
local raw = redis.call('HGET', P .. 'roster', ARGV[2])
if not raw then return 0 end
local p = cjson.decode(raw)
if p.socketId ~= ARGV[3] then return 0 end
count(p, -1)
redis.call('HDEL', P .. 'roster', ARGV[2])
return 1
`;

/** ARGV: channel, userId, socketId, sessionKey. Returns 1 if moved. */
const MOVE = `
local raw = redis.call('HGET', P .. 'roster', ARGV[2])
if not raw then return 0 end
local p = cjson.decode(raw)
if p.socketId ~= ARGV[3] then return 0 end
count(p, -1)
p.sessionKey = ARGV[4]
count(p, 1)
redis.call('HSET', P .. 'roster', ARGV[2], cjson.encode(p))
return 1
`;

/** ARGV: channel, node, deadline. Returns the user ids evicted. */
const EVICT_NODE = `
local out = {}
local ids = redis.call('SMEMBERS', P .. 'node:' .. ARGV[2])
for _, uid in ipairs(ids) do
  local raw = redis.call('HGET', P .. 'roster', uid)
  if raw then
    local p = cjson.decode(raw)
    if p.node == ARGV[2] then
      count(p, -1)
      redis.call('HDEL', P .. 'roster', uid)
      redis.call('ZADD', P .. 'dep', ARGV[3], uid)
      out[#out + 1] = uid
    end
  end
end
redis.call('DEL', P .. 'node:' .. ARGV[2])
redis.call('SREM', P .. 'nodes', ARGV[2])
return out
`;

/** ARGV: channel. Returns the counters hash, [session, hands] pairs and the province counts. */
const COUNTS = `
local cnt = redis.call('HGETALL', P .. 'cnt')
local provinces = redis.call('HGETALL', P .. 'cp')
local hands = {}
for _, sk in ipairs(redis.call('SMEMBERS', P .. 'sessions')) do
  hands[#hands + 1] = sk
  hands[#hands + 1] = redis.call('ZCARD', P .. 'h:' .. sk)
end
return {cnt, hands, provinces}
`;

/** ARGV: channel, now, max. */
const CLAIM_DEPARTURES = `
local out = {}
local ids = redis.call('ZRANGEBYSCORE', P .. 'dep', '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
for _, uid in ipairs(ids) do
  redis.call('ZREM', P .. 'dep', uid)
  if redis.call('HEXISTS', P .. 'roster', uid) == 0 then out[#out + 1] = uid end
end
return out
`;

/** ARGV: channel, sessionKey, owner JSON. Returns {entry JSON, changed}. */
const RAISE = `
local sk = ARGV[2]
local e = cjson.decode(ARGV[3])
local ex = redis.call('HGET', P .. 'hi:' .. sk, e.userId)
if ex then return {ex, 0} end
local seq = redis.call('INCR', P .. 'hs:' .. sk)
e.seq = seq
e.raisedAt = now_ms()
local j = cjson.encode(e)
redis.call('ZADD', P .. 'h:' .. sk, seq, e.userId)
redis.call('HSET', P .. 'hi:' .. sk, e.userId, j)
local prov = e.province
if isnull(prov) then prov = '--' end
redis.call('HINCRBY', P .. 'hp:' .. sk, prov, 1)
redis.call('SADD', P .. 'sessions', sk)
return {j, 1}
`;

/** ARGV: channel, sessionKey, userId. */
const LOWER = `
if lower(ARGV[2], ARGV[3]) then return 1 end
return 0
`;

/** ARGV: channel, sessionKey, province ('' for all). Returns the user ids lowered. */
const LOWER_WHERE = `
local sk = ARGV[2]
local out = {}
for _, uid in ipairs(redis.call('ZRANGE', P .. 'h:' .. sk, 0, -1)) do
  local ok = true
  if ARGV[3] ~= '' then
    local e = cjson.decode(redis.call('HGET', P .. 'hi:' .. sk, uid))
    local prov = e.province
    if isnull(prov) then prov = '--' end
    ok = prov == ARGV[3]
  end
  if ok and lower(sk, uid) then out[#out + 1] = uid end
end
return out
`;

/** ARGV: channel, sessionKey, head. Returns {seq, total, province counts, head entries}. */
const HAND_SUMMARY = `
local sk = ARGV[2]
local seq = tonumber(redis.call('GET', P .. 'hs:' .. sk) or '0')
local total = redis.call('ZCARD', P .. 'h:' .. sk)
local prov = redis.call('HGETALL', P .. 'hp:' .. sk)
local head = {}
local n = tonumber(ARGV[3])
if n > 0 then
  local ids = redis.call('ZRANGE', P .. 'h:' .. sk, 0, n - 1)
  if #ids > 0 then head = redis.call('HMGET', P .. 'hi:' .. sk, unpack(ids)) end
end
return {seq, total, prov, head}
`;

/** ARGV: channel, sessionKey, offset, limit. Returns {total, entries}. */
const HAND_PAGE = `
local sk = ARGV[2]
local total = redis.call('ZCARD', P .. 'h:' .. sk)
local from = tonumber(ARGV[3])
local lim = tonumber(ARGV[4])
local entries = {}
if lim > 0 then
  local ids = redis.call('ZRANGE', P .. 'h:' .. sk, from, from + lim - 1)
  if #ids > 0 then entries = redis.call('HMGET', P .. 'hi:' .. sk, unpack(ids)) end
end
return {total, entries}
`;

/** ARGV: channel, sessionKey, speaker JSON, max. */
const INVITE = `
local s = cjson.decode(ARGV[3])
local key = P .. 'sp:' .. ARGV[2]
if redis.call('HEXISTS', key, s.userId) == 1 then return 'exists' end
if redis.call('HLEN', key) >= tonumber(ARGV[4]) then return 'full' end
redis.call('HSET', key, s.userId, ARGV[3])
redis.call('SADD', P .. 'sessions', ARGV[2])
return 'ok'
`;

/** ARGV: channel, sessionKey, userId. Returns the speaker JSON or nil. */
const ACCEPT = `
local key = P .. 'sp:' .. ARGV[2]
local raw = redis.call('HGET', key, ARGV[3])
if not raw then return nil end
local s = cjson.decode(raw)
if s.state ~= 'invited' then return nil end
s.state = 'speaking'
local j = cjson.encode(s)
redis.call('HSET', key, ARGV[3], j)
return j
`;

/** ARGV: channel, sessionKey, userId, muted (1|0). Returns {speaker JSON, seq} or nil. */
const MUTE = `
local key = P .. 'sp:' .. ARGV[2]
local raw = redis.call('HGET', key, ARGV[3])
if not raw then return nil end
local s = cjson.decode(raw)
if s.state ~= 'speaking' then return nil end
s.muted = ARGV[4] == '1'
local j = cjson.encode(s)
redis.call('HSET', key, ARGV[3], j)
local seq = publish({type = 'speakerMuted', sessionKey = ARGV[2], userId = ARGV[3], muted = s.muted})
return {j, seq}
`;

/** ARGV: channel, sessionKey, userId. Returns the event's seq, or 0 if there was no speaker. */
const END_SPEAKER = `
if redis.call('HDEL', P .. 'sp:' .. ARGV[2], ARGV[3]) == 0 then return 0 end
return publish({type = 'speakerEnded', sessionKey = ARGV[2], userId = ARGV[3]})
`;

/** ARGV: channel, breakouts JSON (without version). Returns {JSON, seq} or nil if running. */
const START_BREAKOUTS = `
if redis.call('EXISTS', P .. 'bo') == 1 then return nil end
local b = cjson.decode(ARGV[2])
b.version = 1
local j = cjson.encode(b)
redis.call('SET', P .. 'bo', j)
local seq = publish({type = 'breakouts', breakouts = b})
return {j, seq}
`;

/** ARGV: channel, extendS ('' for none), speakToAll ('1', '0' or ''), now. */
const UPDATE_BREAKOUTS = `
local raw = redis.call('GET', P .. 'bo')
if not raw then return nil end
local b = cjson.decode(raw)
local now = tonumber(ARGV[4])
if ARGV[2] ~= '' then
  local base = now
  if not isnull(b.endsAt) and b.endsAt > now then base = b.endsAt end
  b.endsAt = base + tonumber(ARGV[2]) * 1000
end
if ARGV[3] ~= '' then b.speakToAll = ARGV[3] == '1' end
b.version = b.version + 1
local j = cjson.encode(b)
redis.call('SET', P .. 'bo', j)
local seq = publish({type = 'breakouts', breakouts = b})
return {j, seq}
`;

/** ARGV: channel. Returns {JSON of what was running, seq} or nil. */
const END_BREAKOUTS = `
local raw = redis.call('GET', P .. 'bo')
if not raw then return nil end
redis.call('DEL', P .. 'bo')
local seq = publish({type = 'breakouts', breakouts = cjson.null})
return {raw, seq}
`;

/** ARGV: channel, producer JSON. Returns the seq. */
const ADD_PRODUCER = `
local p = cjson.decode(ARGV[2])
redis.call('HSET', P .. 'pr', p.id, ARGV[2])
return publish({type = 'producerAdded', producer = p})
`;

/** ARGV: channel, producer ids... Returns the seq, or 0 when none existed. */
const REMOVE_PRODUCERS = `
local removed = {}
for i = 2, #ARGV do
  if redis.call('HDEL', P .. 'pr', ARGV[i]) == 1 then removed[#removed + 1] = ARGV[i] end
end
if #removed == 0 then return 0 end
return publish({type = 'producersRemoved', producerIds = removed})
`;

/**
 * ARGV: channel, expected version, production JSON (with its new version). Returns the seq, or 0
 * when the version moved meanwhile. The JSON is kept and published as it came (cjson would turn
 * an empty stage list into an object).
 */
const SET_PRODUCTION = `
local raw = redis.call('GET', P .. 'prod')
local version = 0
if raw then version = tonumber(cjson.decode(raw).version) end
if version ~= tonumber(ARGV[2]) then return 0 end
redis.call('SET', P .. 'prod', ARGV[3])
local seq = redis.call('INCR', P .. 'seq')
redis.call('PUBLISH', ARGV[1], '{"type":"production","seq":' .. seq .. ',"production":' .. ARGV[3] .. '}')
return seq
`;

/** ARGV: channel. Returns {seq, producer JSONs, breakouts JSON or false, production JSON or false}. */
const SNAPSHOT = `
local seq = tonumber(redis.call('GET', P .. 'seq') or '0')
return {seq, redis.call('HVALS', P .. 'pr'), redis.call('GET', P .. 'bo'), redis.call('GET', P .. 'prod')}
`;

const script = (body: string): string => PRELUDE + body;

export const SCRIPTS = {
  join: script(JOIN),
  leave: script(LEAVE),
  move: script(MOVE),
  evictNode: script(EVICT_NODE),
  counts: script(COUNTS),
  claimDepartures: script(CLAIM_DEPARTURES),
  raise: script(RAISE),
  lower: script(LOWER),
  lowerWhere: script(LOWER_WHERE),
  handSummary: script(HAND_SUMMARY),
  handPage: script(HAND_PAGE),
  invite: script(INVITE),
  accept: script(ACCEPT),
  mute: script(MUTE),
  endSpeaker: script(END_SPEAKER),
  startBreakouts: script(START_BREAKOUTS),
  updateBreakouts: script(UPDATE_BREAKOUTS),
  endBreakouts: script(END_BREAKOUTS),
  addProducer: script(ADD_PRODUCER),
  removeProducers: script(REMOVE_PRODUCERS),
  setProduction: script(SET_PRODUCTION),
  snapshot: script(SNAPSHOT),
} as const;

export type ScriptName = keyof typeof SCRIPTS;
