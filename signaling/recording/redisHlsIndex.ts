/**
 * The HLS index in Redis (a cluster of signaling nodes):
 * - `hn:hls:live:<meeting>:<session>`: the live origin as JSON, with a TTL the origin renews; a
 *   claim is one Lua script (take it if free or ours, else return the holder's);
 * - `hn:hls:rec:<meeting>`: a hash of recording id → { node, info } as JSON, kept until the
 *   recording's node deletes it for retention.
 */
import type { RedisClient } from '../../common/redis';
import type { HlsIndex, IndexedRecording, LiveOrigin } from './hlsIndex';

const liveKey = (meetingId: string, sessionKey: string): string => `hn:hls:live:${meetingId}:${sessionKey}`;
const recKey = (meetingId: string): string => `hn:hls:rec:${meetingId}`;

/** KEYS[1] lease; ARGV: origin JSON, its node id, ttl ms. Returns the holder's JSON. */
const CLAIM = `
local held = redis.call('GET', KEYS[1])
if held then
  local ok, h = pcall(cjson.decode, held)
  if ok and h.node and h.node.id ~= ARGV[2] then return held end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return ARGV[1]`;

/** KEYS[1] lease; ARGV[1] node id. */
const RELEASE = `
local held = redis.call('GET', KEYS[1])
if held then
  local ok, h = pcall(cjson.decode, held)
  if ok and h.node and h.node.id == ARGV[1] then redis.call('DEL', KEYS[1]) end
end
return 0`;

function parseOrigin(text: string | null): LiveOrigin | null {
  if (!text) return null;
  try {
    const o = JSON.parse(text) as LiveOrigin;
    return o && typeof o.node?.id === 'string' && typeof o.node.url === 'string' ? o : null;
  } catch {
    return null;
  }
}

/** A damaged entry is skipped, not fatal to the list. */
function parseRecording(text: string | null): IndexedRecording | null {
  if (!text) return null;
  try {
    const e = JSON.parse(text) as IndexedRecording;
    return e && typeof e.node?.url === 'string' && typeof e.info?.id === 'string' ? e : null;
  } catch {
    return null;
  }
}

export class RedisHlsIndex implements HlsIndex {
  readonly #client: RedisClient;

  constructor(client: RedisClient) {
    this.#client = client;
  }

  async claimLive(meetingId: string, sessionKey: string, origin: LiveOrigin, ttlMs: number): Promise<LiveOrigin> {
    const held = await this.#client.eval(CLAIM, {
      keys: [liveKey(meetingId, sessionKey)],
      arguments: [JSON.stringify(origin), origin.node.id, String(Math.max(1, Math.round(ttlMs)))],
    });
    return parseOrigin(typeof held === 'string' ? held : null) ?? origin;
  }

  async live(meetingId: string, sessionKey: string): Promise<LiveOrigin | null> {
    return parseOrigin(await this.#client.get(liveKey(meetingId, sessionKey)));
  }

  async releaseLive(meetingId: string, sessionKey: string, nodeId: string): Promise<void> {
    await this.#client.eval(RELEASE, { keys: [liveKey(meetingId, sessionKey)], arguments: [nodeId] });
  }

  async putRecording(entry: IndexedRecording): Promise<void> {
    await this.#client.hSet(recKey(entry.info.meetingId), entry.info.id, JSON.stringify(entry));
  }

  async recordings(meetingId: string): Promise<IndexedRecording[]> {
    const all = await this.#client.hGetAll(recKey(meetingId));
    return Object.values(all)
      .map(parseRecording)
      .filter((e): e is IndexedRecording => e !== null);
  }

  async recording(meetingId: string, recordingId: string): Promise<IndexedRecording | null> {
    return parseRecording((await this.#client.hGet(recKey(meetingId), recordingId)) ?? null);
  }

  async dropRecording(meetingId: string, recordingId: string): Promise<void> {
    await this.#client.hDel(recKey(meetingId), recordingId);
  }

  async close(): Promise<void> {}
}
