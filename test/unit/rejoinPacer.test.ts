/** The rejoin pacer spreads notices at the join rate, in order, once per participant. */
import { afterEach, describe, expect, it } from 'vitest';
import { RejoinPacer } from '../../signaling/meeting/rejoinPacer';

const pacers: RejoinPacer[] = [];
afterEach(() => {
  for (const p of pacers.splice(0)) p.close();
});

function pacer(rate: number): { pacer: RejoinPacer; sent: string[]; times: number[] } {
  const sent: string[] = [];
  const times: number[] = [];
  const p = new RejoinPacer(rate, (id) => {
    sent.push(id);
    times.push(performance.now());
  });
  pacers.push(p);
  return { pacer: p, sent, times };
}

const ids = (n: number, prefix = 's'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

async function drained(p: RejoinPacer, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (p.pending > 0) {
    if (Date.now() > deadline) throw new Error('pacer did not drain');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('RejoinPacer', () => {
  it('tells a lone participant at once', () => {
    const { pacer: p, sent } = pacer(200);
    p.add(['only'], 'media_server_restarted');
    expect(sent).toEqual(['only']);
  });

  it('sends one tick of notices at once and holds back the rest', () => {
    // 200/s in 100 ms ticks: 20 a tick.
    const { pacer: p, sent } = pacer(200);
    p.add(ids(100), 'media_server_restarted');
    expect(sent).toHaveLength(20);
    expect(p.pending).toBe(80);
  });

  it('sends everyone, in the order they were affected, each once', async () => {
    const { pacer: p, sent } = pacer(200);
    p.add(ids(60), 'media_server_restarted');
    // s30 and s50 are still waiting: they keep their places and are told once.
    p.add(['s30', 's50', ...ids(10, 't')], 'media_server_restarted');
    await drained(p);
    expect(sent).toEqual([...ids(60), ...ids(10, 't')]);
  });

  it('takes about twice as long for twice as many participants', async () => {
    const spread = async (n: number): Promise<number> => {
      const { pacer: p, times } = pacer(400);
      p.add(ids(n), 'media_server_restarted');
      await drained(p);
      return times[times.length - 1]! - times[0]!;
    };
    const small = await spread(200);
    const large = await spread(400);
    // Measured in one run: a ratio, not a wall-clock figure (ticks make it ~ (n/40 - 1) : (n/40 - 1)).
    expect(large / small).toBeGreaterThan(1.5);
    expect(large / small).toBeLessThan(3);
  });
});
