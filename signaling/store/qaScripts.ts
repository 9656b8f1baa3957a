/**
 * Lua scripts of the Redis interaction store (qaRedis.ts): each compound change is one script, so
 * it is atomic across signaling nodes. KEYS[1] is the meeting's prefix `hn:m:{id}:`; every key is
 * under it (one hash slot):
 *
 *   qa:n, qa:seq          question numbers, change number
 *   qa:q                  hash: question id → JSON (votes and moderation state included)
 *   qa:top, qa:new        sorted sets of every question (score: votes × ORDER + ORDER − 1 − n; n)
 *   qa:top:v, qa:new:v    the same for visible (not hidden) questions
 *   qa:top:p:X, qa:new:p:X  the same per province X ('--' for none)
 *   qa:v:ID               set of the users who voted for question ID (one vote each)
 *   qa:u:USER             list of a user's question ids
 *   qa:pin                the pinned question id
 *   qa:cnt                hash: total, hidden, answered, p:X
 *   pl:n, pl:seq, pl:ids, pl:p (id → JSON), pl:cur (current poll id)
 *   pl:v:ID               hash: user → their choices (JSON), one vote each
 *   pl:c:ID               hash: n, o:i, p:X:n, p:X:i (voters, votes per option, the same per province)
 *   rx:seq, rx:t          reactions' change number, totals (kind, kind:X)
 *   rx:b:N                counts of interval N (kind, kind:X), expiring after two minutes
 */
import { ORDER } from './qaTypes';

const PRELUDE = `
local P = KEYS[1]
local ORDER = ${ORDER}
local function isnull(v) return v == nil or v == cjson.null end
local function prov(p) if isnull(p) then return '--' end return p end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function num(id) return tonumber(string.sub(id, 2)) end
local function topscore(q) return q.votes * ORDER + (ORDER - 1 - num(q.id)) end
local function expire(p, now)
  if p.state == 'open' and not isnull(p.closesAt) and now >= p.closesAt then
    p.state = 'closed'
    p.closedAt = p.closesAt
    redis.call('HSET', P .. 'pl:p', p.id, cjson.encode(p))
    redis.call('INCR', P .. 'pl:seq')
  end
  return p
end
`;

/** ARGV: question JSON (text, author…), max questions, max per user. */
const ASK = `
local q = cjson.decode(ARGV[1])
if tonumber(redis.call('HGET', P .. 'qa:cnt', 'total') or '0') >= tonumber(ARGV[2]) then return 'full' end
if redis.call('LLEN', P .. 'qa:u:' .. q.authorId) >= tonumber(ARGV[3]) then return 'user_full' end
local n = redis.call('INCR', P .. 'qa:n')
q.id = 'q' .. n
q.askedAt = now_ms()
q.votes = 0
q.answered = false
q.hidden = false
local enc = cjson.encode(q)
local pv = prov(q.province)
redis.call('HSET', P .. 'qa:q', q.id, enc)
local ts = ORDER - 1 - n
for _, k in ipairs({'qa:top', 'qa:top:v', 'qa:top:p:' .. pv}) do redis.call('ZADD', P .. k, ts, q.id) end
for _, k in ipairs({'qa:new', 'qa:new:v', 'qa:new:p:' .. pv}) do redis.call('ZADD', P .. k, n, q.id) end
redis.call('RPUSH', P .. 'qa:u:' .. q.authorId, q.id)
redis.call('HINCRBY', P .. 'qa:cnt', 'total', 1)
redis.call('HINCRBY', P .. 'qa:cnt', 'p:' .. pv, 1)
redis.call('INCR', P .. 'qa:seq')
return enc
`;

/** ARGV: question id, user id. Returns { result, votes }. */
const VOTE = `
local raw = redis.call('HGET', P .. 'qa:q', ARGV[1])
if not raw then return {'missing', 0} end
local q = cjson.decode(raw)
if q.hidden then return {'missing', 0} end
if q.authorId == ARGV[2] then return {'own', q.votes} end
if redis.call('SADD', P .. 'qa:v:' .. q.id, ARGV[2]) == 0 then return {'again', q.votes} end
q.votes = q.votes + 1
redis.call('HSET', P .. 'qa:q', q.id, cjson.encode(q))
for _, k in ipairs({'qa:top', 'qa:top:v', 'qa:top:p:' .. prov(q.province)}) do redis.call('ZINCRBY', P .. k, ORDER, q.id) end
return {'ok', q.votes, redis.call('INCR', P .. 'qa:seq')}
`;

/** ARGV: question id, answered ('1', '0' or '' for unchanged), hidden (the same). */
const MODERATE = `
local raw = redis.call('HGET', P .. 'qa:q', ARGV[1])
if not raw then return false end
local q = cjson.decode(raw)
if ARGV[2] ~= '' then
  local a = ARGV[2] == '1'
  if a ~= q.answered then redis.call('HINCRBY', P .. 'qa:cnt', 'answered', a and 1 or -1) end
  q.answered = a
end
if ARGV[3] ~= '' then
  local h = ARGV[3] == '1'
  if h ~= q.hidden then
    if h then
      redis.call('ZREM', P .. 'qa:top:v', q.id)
      redis.call('ZREM', P .. 'qa:new:v', q.id)
      if redis.call('GET', P .. 'qa:pin') == q.id then redis.call('DEL', P .. 'qa:pin') end
    else
      redis.call('ZADD', P .. 'qa:top:v', topscore(q), q.id)
      redis.call('ZADD', P .. 'qa:new:v', num(q.id), q.id)
    end
    redis.call('HINCRBY', P .. 'qa:cnt', 'hidden', h and 1 or -1)
  end
  q.hidden = h
end
local enc = cjson.encode(q)
redis.call('HSET', P .. 'qa:q', q.id, enc)
redis.call('INCR', P .. 'qa:seq')
return enc
`;

/** ARGV: question id, or '' to unpin. Returns { 'ok', JSON or '' } or { 'missing' }. */
const PIN = `
if ARGV[1] == '' then
  redis.call('DEL', P .. 'qa:pin')
  redis.call('INCR', P .. 'qa:seq')
  return {'ok', ''}
end
local raw = redis.call('HGET', P .. 'qa:q', ARGV[1])
if not raw then return {'missing'} end
if cjson.decode(raw).hidden then return {'missing'} end
redis.call('SET', P .. 'qa:pin', ARGV[1])
redis.call('INCR', P .. 'qa:seq')
return {'ok', raw}
`;

const PINNED = `
local id = redis.call('GET', P .. 'qa:pin')
if not id then return false end
return redis.call('HGET', P .. 'qa:q', id)
`;

/**
 * ARGV: sorted set (under P), offset, limit, skip hidden ('1' when the set also holds hidden ones).
 * Returns { total, JSON… } in the set's order, highest score first.
 */
const QUERY = `
local key = P .. ARGV[1]
local offset = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
if ARGV[4] ~= '1' then
  local total = redis.call('ZCARD', key)
  local out = {total}
  if limit > 0 then
    local ids = redis.call('ZREVRANGE', key, offset, offset + limit - 1)
    if #ids > 0 then
      for _, raw in ipairs(redis.call('HMGET', P .. 'qa:q', unpack(ids))) do out[#out + 1] = raw end
    end
  end
  return out
end
-- A province's set holds its hidden questions too: walk it and skip them.
local out = {0}
local total = 0
local start = 0
while true do
  local ids = redis.call('ZREVRANGE', key, start, start + 499)
  if #ids == 0 then break end
  for _, raw in ipairs(redis.call('HMGET', P .. 'qa:q', unpack(ids))) do
    if raw and not cjson.decode(raw).hidden then
      if total >= offset and #out - 1 < limit then out[#out + 1] = raw end
      total = total + 1
    end
  end
  start = start + 500
end
out[1] = total
return out
`;

const BY_AUTHOR = `
local ids = redis.call('LRANGE', P .. 'qa:u:' .. ARGV[1], 0, -1)
if #ids == 0 then return {} end
return redis.call('HMGET', P .. 'qa:q', unpack(ids))
`;

/** ARGV: user id, question ids… Returns the ids voted for. */
const VOTED_BY = `
local out = {}
for i = 2, #ARGV do
  if redis.call('SISMEMBER', P .. 'qa:v:' .. ARGV[i], ARGV[1]) == 1 then out[#out + 1] = ARGV[i] end
end
return out
`;

// ---- polls -----------------------------------------------------------------------------------------

/** ARGV: poll JSON (question, options, multiple, durationS). */
const CREATE_POLL = `
local p = cjson.decode(ARGV[1])
local n = redis.call('INCR', P .. 'pl:n')
p.id = 'p' .. n
p.state = 'draft'
p.createdAt = now_ms()
p.openedAt = cjson.null
p.closesAt = cjson.null
p.closedAt = cjson.null
p.resultsShown = false
local enc = cjson.encode(p)
redis.call('HSET', P .. 'pl:p', p.id, enc)
redis.call('RPUSH', P .. 'pl:ids', p.id)
redis.call('INCR', P .. 'pl:seq')
return enc
`;

/** ARGV: poll id. Returns { 'ok', JSON }, { 'missing' } or { 'not_draft' }. */
const LAUNCH_POLL = `
local raw = redis.call('HGET', P .. 'pl:p', ARGV[1])
if not raw then return {'missing'} end
local p = cjson.decode(raw)
if p.state ~= 'draft' then return {'not_draft'} end
local now = now_ms()
p.state = 'open'
p.openedAt = now
if isnull(p.durationS) then p.closesAt = cjson.null else p.closesAt = now + p.durationS * 1000 end
local enc = cjson.encode(p)
redis.call('HSET', P .. 'pl:p', p.id, enc)
redis.call('SET', P .. 'pl:cur', p.id)
redis.call('INCR', P .. 'pl:seq')
return {'ok', enc}
`;

/** ARGV: poll id. Returns the closed poll's JSON, or nil. */
const CLOSE_POLL = `
local raw = redis.call('HGET', P .. 'pl:p', ARGV[1])
if not raw then return false end
local now = now_ms()
local p = expire(cjson.decode(raw), now)
if p.state ~= 'closed' then
  p.state = 'closed'
  p.closedAt = now
  redis.call('HSET', P .. 'pl:p', p.id, cjson.encode(p))
  redis.call('INCR', P .. 'pl:seq')
end
return cjson.encode(p)
`;

/** ARGV: poll id, '1' to show the results ('0' to stop). */
const SHOW_POLL = `
local raw = redis.call('HGET', P .. 'pl:p', ARGV[1])
if not raw then return false end
local p = expire(cjson.decode(raw), now_ms())
p.resultsShown = ARGV[2] == '1'
if p.resultsShown then redis.call('SET', P .. 'pl:cur', p.id) end
local enc = cjson.encode(p)
redis.call('HSET', P .. 'pl:p', p.id, enc)
redis.call('INCR', P .. 'pl:seq')
return enc
`;

/** ARGV: poll id, user id, province, choices (JSON array of option indexes). */
const POLL_VOTE = `
local raw = redis.call('HGET', P .. 'pl:p', ARGV[1])
if not raw then return 'missing' end
local p = expire(cjson.decode(raw), now_ms())
if p.state ~= 'open' then return 'closed' end
local seen = {}
local choices = {}
for _, c in ipairs(cjson.decode(ARGV[4])) do
  if type(c) ~= 'number' or c < 0 or c >= #p.options or c ~= math.floor(c) then return 'bad_choice' end
  if not seen[c] then seen[c] = true; choices[#choices + 1] = c end
end
table.sort(choices)
if #choices == 0 or ((not p.multiple) and #choices ~= 1) then return 'bad_choice' end
if redis.call('HSETNX', P .. 'pl:v:' .. p.id, ARGV[2], cjson.encode(choices)) == 0 then return 'again' end
local c = P .. 'pl:c:' .. p.id
local pv = ARGV[3]
redis.call('HINCRBY', c, 'n', 1)
redis.call('HINCRBY', c, 'p:' .. pv .. ':n', 1)
for _, i in ipairs(choices) do
  redis.call('HINCRBY', c, 'o:' .. i, 1)
  redis.call('HINCRBY', c, 'p:' .. pv .. ':' .. i, 1)
end
redis.call('INCR', P .. 'pl:seq')
return 'ok'
`;

/** ARGV: poll id. The poll's JSON (closed if past its deadline), or nil. */
const GET_POLL = `
local raw = redis.call('HGET', P .. 'pl:p', ARGV[1])
if not raw then return false end
return cjson.encode(expire(cjson.decode(raw), now_ms()))
`;

const POLLS = `
local now = now_ms()
local out = {}
local ids = redis.call('LRANGE', P .. 'pl:ids', 0, -1)
for i = #ids, 1, -1 do
  local raw = redis.call('HGET', P .. 'pl:p', ids[i])
  if raw then out[#out + 1] = cjson.encode(expire(cjson.decode(raw), now)) end
end
return out
`;

const CURRENT_POLL = `
local id = redis.call('GET', P .. 'pl:cur')
if not id then return false end
local raw = redis.call('HGET', P .. 'pl:p', id)
if not raw then return false end
return cjson.encode(expire(cjson.decode(raw), now_ms()))
`;

// ---- reactions -------------------------------------------------------------------------------------

/** ARGV: kind, province, interval ms. */
const REACT = `
local b = P .. 'rx:b:' .. math.floor(now_ms() / tonumber(ARGV[3]))
local kp = ARGV[1] .. ':' .. ARGV[2]
redis.call('HINCRBY', b, ARGV[1], 1)
redis.call('HINCRBY', b, kp, 1)
redis.call('PEXPIRE', b, 120000)
redis.call('HINCRBY', P .. 'rx:t', ARGV[1], 1)
redis.call('HINCRBY', P .. 'rx:t', kp, 1)
redis.call('INCR', P .. 'rx:seq')
return 1
`;

/** ARGV: interval ms, intervals. Returns a flat list key, count, … summed over the window. */
const REACTION_WINDOW = `
local now = math.floor(now_ms() / tonumber(ARGV[1]))
local sum = {}
for b = now - tonumber(ARGV[2]) + 1, now do
  local flat = redis.call('HGETALL', P .. 'rx:b:' .. b)
  for i = 1, #flat, 2 do sum[flat[i]] = (sum[flat[i]] or 0) + tonumber(flat[i + 1]) end
end
local out = {}
for k, v in pairs(sum) do out[#out + 1] = k; out[#out + 1] = v end
return out
`;

export const QA_SCRIPTS = {
  ask: PRELUDE + ASK,
  vote: PRELUDE + VOTE,
  moderate: PRELUDE + MODERATE,
  pin: PRELUDE + PIN,
  pinned: PRELUDE + PINNED,
  query: PRELUDE + QUERY,
  byAuthor: PRELUDE + BY_AUTHOR,
  votedBy: PRELUDE + VOTED_BY,
  createPoll: PRELUDE + CREATE_POLL,
  launchPoll: PRELUDE + LAUNCH_POLL,
  closePoll: PRELUDE + CLOSE_POLL,
  showPoll: PRELUDE + SHOW_POLL,
  pollVote: PRELUDE + POLL_VOTE,
  getPoll: PRELUDE + GET_POLL,
  polls: PRELUDE + POLLS,
  currentPoll: PRELUDE + CURRENT_POLL,
  react: PRELUDE + REACT,
  reactionWindow: PRELUDE + REACTION_WINDOW,
} as const;

export type QaScriptName = keyof typeof QA_SCRIPTS;
