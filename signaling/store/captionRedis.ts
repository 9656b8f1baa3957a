/**
 * The captions' store part in Redis, shared by every signaling node (see captionTypes.ts). Per
 * meeting (keys `hn:cap:{id}:…`, one hash tag): `lines` (hash id → the line as JSON), `order`
 * (sorted set by a per-meeting sequence number: the order lines were finished), `ended`
 * (sorted set by the line's end time, for the WebVTT writer) and `seq`. A line is added or
 * corrected by one Lua script, so two captioners correcting the same line cannot both win. Every
 * write pushes the meeting's keys' expiry to CAPTION_TTL_S.
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from '../../common/redis';
import type { CaptionCue } from '../protocol/captions';
import { CAPTION_TTL_S, type CaptionLimits, type CaptionLog, type PutFinalResult } from './captionTypes';

const PUT_FINAL = `
local p = KEYS[1]
local lines, order, ended, seqKey = p .. ':lines', p .. ':order', p .. ':ended', p .. ':seq'
local id, rev, maxLines, correctable, ttl = ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local existing = redis.call('HGET', lines, id)
if existing then
  local old = cjson.decode(existing)
  if rev ~= old.revision + 1 then return {'stale', existing} end
  local rank = redis.call('ZREVRANK', order, id)
  if (not rank) or rank >= correctable then return {'too_old', existing} end
  local new = cjson.decode(ARGV[2])
  old.text = new.text
  old.revision = rev
  local out = cjson.encode(old)
  redis.call('HSET', lines, id, out)
  for _, k in ipairs({lines, order, ended, seqKey}) do redis.call('EXPIRE', k, ttl) end
  return {'corrected', out}
end
if rev ~= 0 then return {'missing', ''} end
if redis.call('HLEN', lines) >= maxLines then return {'full', ''} end
local seq = redis.call('INCR', seqKey)
redis.call('HSET', lines, id, ARGV[2])
redis.call('ZADD', order, seq, id)
redis.call('ZADD', ended, tonumber(ARGV[7]), id)
for _, k in ipairs({lines, order, ended, seqKey}) do redis.call('EXPIRE', k, ttl) end
return {'added', ARGV[2]}
`;
const PUT_FINAL_SHA = createHash('sha1').update(PUT_FINAL).digest('hex');

const parse = (raw: unknown): CaptionCue | null => (typeof raw === 'string' && raw !== '' ? (JSON.parse(raw) as CaptionCue) : null);
/** cjson writes an empty table for an absent field; a line's JSON is read back as it was meant. */
function clean(c: CaptionCue | null): CaptionCue | null {
  if (!c) return null;
  const out: CaptionCue = { id: c.id, text: c.text, startMs: c.startMs, final: true, author: c.author, revision: c.revision };
  if (typeof c.endMs === 'number') out.endMs = c.endMs;
  return out;
}

export class RedisCaptionLog implements CaptionLog {
  readonly #client: RedisClient;

  constructor(client: RedisClient) {
    this.#client = client;
  }

  #prefix(meetingId: string): string {
    return `hn:cap:{${meetingId}}`;
  }

  async putFinal(meetingId: string, cue: CaptionCue, limits: CaptionLimits): Promise<PutFinalResult> {
    const kept: CaptionCue = { ...cue, final: true };
    const options = {
      keys: [this.#prefix(meetingId)],
      arguments: [cue.id, JSON.stringify(kept), String(cue.revision), String(limits.maxLines), String(limits.correctable), String(CAPTION_TTL_S), String(cue.endMs ?? cue.startMs)],
    };
    let reply: unknown;
    try {
      reply = await this.#client.evalSha(PUT_FINAL_SHA, options);
    } catch (error) {
      // The script cache is empty after a Redis restart: send the script itself once.
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) reply = await this.#client.eval(PUT_FINAL, options);
      else throw error;
    }
    const [result, raw] = reply as [PutFinalResult['result'], string];
    const line = clean(parse(raw));
    if (result === 'added' || result === 'corrected') return { result, cue: line! };
    return { result, cue: line };
  }

  async #read(meetingId: string, ids: string[]): Promise<CaptionCue[]> {
    if (ids.length === 0) return [];
    const out: CaptionCue[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const raws = await this.#client.hmGet(`${this.#prefix(meetingId)}:lines`, ids.slice(i, i + 500));
      for (const r of raws) {
        const c = clean(parse(r));
        if (c) out.push(c);
      }
    }
    return out;
  }

  async recent(meetingId: string, n: number): Promise<CaptionCue[]> {
    if (n <= 0) return [];
    const ids = await this.#client.zRange(`${this.#prefix(meetingId)}:order`, -n, -1);
    return this.#read(meetingId, ids);
  }

  async endedBetween(meetingId: string, fromMs: number, toMs: number): Promise<CaptionCue[]> {
    const ids = await this.#client.zRangeByScore(`${this.#prefix(meetingId)}:ended`, fromMs, toMs);
    return this.#read(meetingId, ids);
  }

  async transcript(meetingId: string): Promise<CaptionCue[]> {
    const ids = await this.#client.zRange(`${this.#prefix(meetingId)}:order`, 0, -1);
    return this.#read(meetingId, ids);
  }

  async close(): Promise<void> {}
}
