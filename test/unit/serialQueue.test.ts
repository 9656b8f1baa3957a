/**
 * The serial queue and its watchdog. The watchdog's clock is setTimeout and Date.now, so every
 * test runs on fake time: a bound is passed by advancing the clock, never by waiting for it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { QueueStallError, QueueWatch, SelfWaitError, SerialQueue, detached, progressed, waitOn, type QueueStall } from '../../common/SerialQueue';

const never = (): Promise<never> => new Promise(() => undefined);

/** What a promise came to so far, read without awaiting it (a test on fake time must not hang). */
function outcomeOf(promise: Promise<unknown>): { settled: boolean; value: unknown } {
  const state = { settled: false, value: undefined as unknown };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, value: error }),
  );
  return state;
}
const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('SerialQueue', () => {
  it('runs tasks one at a time, in the order they were pushed', async () => {
    const q = new SerialQueue('t');
    const seen: string[] = [];
    let running = 0;
    const task = (name: string, ms: number) => async () => {
      running += 1;
      expect(running).toBe(1);
      await tick(ms);
      seen.push(name);
      running -= 1;
      return name;
    };
    const all = Promise.all([q.push('a', task('a', 20)), q.push('b', task('b', 1)), q.push('c', task('c', 5))]);
    await vi.runAllTimersAsync();
    const results = await all;
    expect(results).toEqual(['a', 'b', 'c']);
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(q.pending).toBe(0);
  });

  it('goes on after a task that failed, and gives the failure to its caller', async () => {
    const q = new SerialQueue('t');
    const failed = q.push('bad', async () => {
      throw new Error('boom');
    });
    const after = q.push('good', async () => 'ok');
    await expect(failed).rejects.toThrow('boom');
    await expect(after).resolves.toBe('ok');
  });

  it('refuses, with SelfWaitError, a wait on its own queue from inside a running task', async () => {
    const watch = new QueueWatch();
    const q = new SerialQueue('meeting', { watch });
    const result = await q.push('apply breakouts', async () => {
      // Deep inside the task's own calls, as a flow reached from the task would be.
      await Promise.resolve();
      try {
        q.forbidSelfWait('caughtUp()');
        return 'allowed';
      } catch (error) {
        return error;
      }
    });
    expect(result).toBeInstanceOf(SelfWaitError);
    expect((result as SelfWaitError).task).toBe('apply breakouts');
    expect(watch.selfWaits.get('meeting')).toBe(1);
  });

  it('allows the wait outside the queue, from another queue, from detached work, and after the task ended', async () => {
    const q = new SerialQueue('meeting');
    const other = new SerialQueue('socket');
    expect(() => q.forbidSelfWait('caughtUp()')).not.toThrow();
    await other.push('handler', async () => expect(() => q.forbidSelfWait('caughtUp()')).not.toThrow());
    let later: Promise<void> = Promise.resolve();
    await q.push('arms a timer', async () => {
      detached(() => expect(() => q.forbidSelfWait('caughtUp()')).not.toThrow());
      // A timer the task armed fires after the task ended: it is free of the queue.
      later = new Promise((resolve, reject) =>
        setTimeout(() => {
          try {
            q.forbidSelfWait('caughtUp()');
            resolve();
          } catch (error) {
            reject(error);
          }
        }, 5),
      );
    });
    await vi.runAllTimersAsync();
    await later;
  });

  it('leaves a stuck task behind after the bound, counts it, says what it waited on, and runs the next', async () => {
    const watch = new QueueWatch(50);
    const stalls: QueueStall[] = [];
    const q = new SerialQueue('meeting', { watch, onStall: (s) => stalls.push(s) });
    const stuck = q.push('apply breakouts #7', () => waitOn('moving 3 participant(s)', never()));
    const next = q.push('apply speakerEnded #8', async () => 'applied');
    const outcome = outcomeOf(stuck);
    await vi.advanceTimersByTimeAsync(49);
    expect(outcome.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome.settled).toBe(true);
    const error = outcome.value;
    expect(error).toBeInstanceOf(QueueStallError);
    expect(error).toMatchObject({ queue: 'meeting', task: 'apply breakouts #7', waitingOn: 'moving 3 participant(s)' });
    await expect(next).resolves.toBe('applied');
    await vi.waitFor(() => expect(stalls).toHaveLength(1));
    expect(stalls[0]).toMatchObject({ queue: 'meeting', task: 'apply breakouts #7', waitingOn: 'moving 3 participant(s)' });
    expect(watch.stalls.get('meeting')).toBe(1);
    expect(watch.totalStalls).toBe(1);
  });

  it('says when a task left behind ends at last, after the tasks that overtook it, and only then', async () => {
    const watch = new QueueWatch(50);
    const order: string[] = [];
    let finish!: () => void;
    const q = new SerialQueue('meeting', { watch, onLateEnd: (task) => order.push(`late end: ${task}`) });
    const stuck = q.push('apply breakouts #7', () => new Promise<void>((resolve) => (finish = resolve)).then(() => void order.push('#7 done')));
    const next = q.push('apply breakouts #8', async () => void order.push('#8 done'));
    const outcome = outcomeOf(stuck);
    await vi.advanceTimersByTimeAsync(50);
    expect(outcome.value).toBeInstanceOf(QueueStallError);
    await next;
    expect(order).toEqual(['#8 done']);
    expect(watch.lateEnds.get('meeting') ?? 0).toBe(0);
    finish();
    await vi.waitFor(() => expect(order).toHaveLength(3));
    expect(order).toEqual(['#8 done', '#7 done', 'late end: apply breakouts #7']);
    expect(watch.lateEnds.get('meeting')).toBe(1);
    // A task that ends within the bound is no late end.
    await q.push('apply speakerEnded #9', async () => undefined);
    expect(watch.lateEnds.get('meeting')).toBe(1);
  });

  it('does not hold a task left behind to the self-wait rule any more (it no longer blocks the queue)', async () => {
    const q = new SerialQueue('meeting', { stallMs: 30 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let lateCheck: unknown = 'not run';
    const stuck = q.push('slow', async () => {
      await gate;
      try {
        q.forbidSelfWait('caughtUp()');
        lateCheck = 'allowed';
      } catch (error) {
        lateCheck = error;
      }
    });
    const outcome = outcomeOf(stuck);
    await vi.advanceTimersByTimeAsync(30);
    expect(outcome.value).toBeInstanceOf(QueueStallError);
    release();
    await vi.waitFor(() => expect(lateCheck).not.toBe('not run'));
    expect(lateCheck).toBe('allowed');
  });

  it('counts the bound from the last progress a long task reports', async () => {
    vi.useFakeTimers();
    try {
      const watch = new QueueWatch(60);
      const q = new SerialQueue('meeting', { watch });
      // Three times the bound in all, but never the bound without progress.
      let steps = 0;
      const long = q.push('move 9 participants', async () => {
        for (let i = 0; i < 9; i++) {
          await tick(20);
          progressed();
          steps += 1;
        }
        return 'moved';
      });
      while (steps < 9) await vi.advanceTimersByTimeAsync(20);
      await expect(long).resolves.toBe('moved');
      expect(watch.totalStalls).toBe(0);
      // The same task without progress reports is left behind.
      const quiet = q.push('move quietly', async () => {
        await tick(180);
        return 'moved';
      });
      const outcome = quiet.catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(200);
      expect(await outcome).toBeInstanceOf(QueueStallError);
      expect(watch.totalStalls).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('lets a task that waits on another queue move forward with it, and stall when it goes quiet', async () => {
    // Found by the rehearsal: the host's speakToAll waited for the meeting to hold the national
    // audio of 150 teachers; the meeting's task progressed, the socket's was left behind at 10 s.
    vi.useFakeTimers();
    try {
      const watch = new QueueWatch(60);
      // The meeting's own bound is longer here, so that the socket's is what a quiet meeting meets.
      const meeting = new SerialQueue('meeting', { watch, stallMs: 1_000 });
      const socket = new SerialQueue('socket', { watch });
      let steps = 0;
      const applied = meeting.push('apply breakouts #13', async () => {
        for (let i = 0; i < 9; i++) {
          await tick(20);
          progressed();
          steps += 1;
        }
      });
      const answered = socket.push('speakToAll', async () => {
        await waitOn('the meeting to apply #13', applied, meeting);
        return 'ok';
      });
      while (steps < 9) await vi.advanceTimersByTimeAsync(20);
      await expect(answered).resolves.toBe('ok');
      expect(watch.totalStalls).toBe(0);
      // The meeting's task goes quiet: the waiting socket task stalls.
      const quiet = meeting.push('apply speakToAll #14', () => tick(500));
      const waiting = socket.push('speakToAll', () => waitOn('the meeting to apply #14', quiet, meeting)).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(100);
      expect(await waiting).toMatchObject({ queue: 'socket', waitingOn: 'the meeting to apply #14' });
      expect(watch.stalls.get('socket')).toBe(1);
      await vi.advanceTimersByTimeAsync(500);
    } finally {
      vi.useRealTimers();
    }
  });

  it("in 'wait' mode logs and counts a stuck task but keeps the order (a batch writer)", async () => {
    const watch = new QueueWatch(30);
    const q = new SerialQueue('attendance', { watch, whenStuck: 'wait' });
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = q.push('insert', async () => {
      await gate;
      order.push('insert');
    });
    const second = q.push('close', async () => {
      order.push('close');
    });
    await vi.advanceTimersByTimeAsync(29);
    expect(watch.totalStalls).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(watch.totalStalls).toBe(1);
    expect(order).toEqual([]);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['insert', 'close']);
  });

  it('refuses tasks once closed', async () => {
    const q = new SerialQueue('t');
    q.close();
    await expect(q.push('late', async () => 1)).rejects.toThrow('closed');
  });
});
