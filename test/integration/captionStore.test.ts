/**
 * The caption log's contract (store/captionTypes.ts), run against both implementations: in memory,
 * and Redis (a real redis-server) with two clients standing for two signaling nodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisProcess } from '../../harness/cluster';
import { connectRedis, type RedisClient } from '../../common/redis';
import { logger } from '../../common/log';
import { MemoryCaptionLog } from '../../signaling/store/captionMemory';
import { RedisCaptionLog } from '../../signaling/store/captionRedis';
import type { CaptionLog } from '../../signaling/store/captionTypes';
import type { CaptionCue } from '../../signaling/protocol/captions';

let redis: RedisProcess;
const clients: RedisClient[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await redis.stop();
});

const LIMITS = { maxLines: 5, correctable: 2 };
let meetings = 0;
const fresh = (): string => `cap-store-${++meetings}-${Date.now() % 100_000}`;
const line = (id: string, text: string, endMs: number, revision = 0): CaptionCue => ({
  id,
  text,
  startMs: endMs - 1_500,
  endMs,
  final: true,
  author: { userId: 'cap-1', name: 'Phụ đề viên', kind: 'human' },
  revision,
});

const kinds: [string, () => Promise<{ a: CaptionLog; b: CaptionLog }>][] = [
  [
    'memory',
    async () => {
      const m = new MemoryCaptionLog();
      return { a: m, b: m };
    },
  ],
  [
    'redis',
    async () => {
      const ca = await connectRedis(redis.url, logger('test'));
      const cb = await connectRedis(redis.url, logger('test'));
      clients.push(ca, cb);
      return { a: new RedisCaptionLog(ca), b: new RedisCaptionLog(cb) };
    },
  ],
];

for (const [kind, make] of kinds) {
  describe(`caption log (${kind})`, () => {
    let a: CaptionLog;
    let b: CaptionLog;
    beforeAll(async () => {
      ({ a, b } = await make());
    });

    it('keeps final lines in the order they were finished, as written, for every node', async () => {
      const m = fresh();
      expect((await a.putFinal(m, line('l1', 'Kính chào các thầy cô', 1_000), LIMITS)).result).toBe('added');
      expect((await b.putFinal(m, line('l2', 'Hôm nay chúng ta bàn về "sách giáo khoa" & <lịch thi>', 2_000), LIMITS)).result).toBe('added');
      const all = await a.transcript(m);
      expect(all.map((c) => [c.id, c.text, c.revision, c.final, c.endMs, c.startMs])).toEqual([
        ['l1', 'Kính chào các thầy cô', 0, true, 1_000, -500],
        ['l2', 'Hôm nay chúng ta bàn về "sách giáo khoa" & <lịch thi>', 0, true, 2_000, 500],
      ]);
      expect(all[0]!.author).toEqual({ userId: 'cap-1', name: 'Phụ đề viên', kind: 'human' });
      expect((await b.recent(m, 1)).map((c) => c.id)).toEqual(['l2']);
      expect(await a.transcript(fresh())).toEqual([]);
    });

    it('replaces a recent line with its correction (revision + 1), keeping its times, on every node', async () => {
      const m = fresh();
      await a.putFinal(m, line('l1', 'Thông tư số 12', 1_000), LIMITS);
      const fixed = await b.putFinal(m, line('l1', 'Thông tư số 21', 9_999, 1), LIMITS);
      expect(fixed.result).toBe('corrected');
      expect(fixed.cue).toMatchObject({ id: 'l1', text: 'Thông tư số 21', revision: 1, endMs: 1_000 });
      expect((await a.transcript(m)).map((c) => [c.text, c.revision])).toEqual([['Thông tư số 21', 1]]);
      expect((await a.endedBetween(m, 500, 1_500)).map((c) => c.text)).toEqual(['Thông tư số 21']);
    });

    it('refuses a correction with a revision that is not the next one (someone corrected first), and changes nothing', async () => {
      const m = fresh();
      await a.putFinal(m, line('l1', 'một', 1_000), LIMITS);
      expect((await a.putFinal(m, line('l1', 'hai', 1_000, 1), LIMITS)).result).toBe('corrected');
      const late = await b.putFinal(m, line('l1', 'ba', 1_000, 1), LIMITS);
      expect(late.result).toBe('stale');
      expect(late.cue?.text).toBe('hai');
      expect((await a.putFinal(m, line('l1', 'bốn', 1_000, 0), LIMITS)).result).toBe('stale');
      expect((await a.transcript(m)).map((c) => c.text)).toEqual(['hai']);
    });

    it('refuses to correct a line older than the last few, a line that does not exist, and a line beyond the meeting\'s limit', async () => {
      const m = fresh();
      for (let i = 1; i <= 5; i++) await a.putFinal(m, line(`l${i}`, `dòng ${i}`, i * 1_000), LIMITS);
      expect((await b.putFinal(m, line('l3', 'sửa', 0, 1), LIMITS)).result).toBe('too_old');
      expect((await b.putFinal(m, line('l4', 'sửa', 0, 1), LIMITS)).result).toBe('corrected');
      expect((await b.putFinal(m, line('nope', 'sửa', 0, 1), LIMITS)).result).toBe('missing');
      expect((await b.putFinal(m, line('l6', 'thêm', 6_000), LIMITS)).result).toBe('full');
      const all = await a.transcript(m);
      expect(all.map((c) => c.text)).toEqual(['dòng 1', 'dòng 2', 'dòng 3', 'sửa', 'dòng 5']);
    });

    it('finds the lines finished within a time window, for the WebVTT writer', async () => {
      const m = fresh();
      for (const t of [1_000, 2_000, 3_000, 4_000]) await a.putFinal(m, line(`t${t}`, `lúc ${t}`, t), { maxLines: 100, correctable: 10 });
      expect((await b.endedBetween(m, 2_000, 3_500)).map((c) => c.id)).toEqual(['t2000', 't3000']);
      expect(await b.endedBetween(m, 5_000, 9_000)).toEqual([]);
    });
  });
}
