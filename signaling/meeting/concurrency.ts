/**
 * Bounded concurrency for the meeting's work over many participants or consumers (a fan-out, the
 * holds, a move of everyone, the end of a meeting): enough SFU calls in flight to keep it busy,
 * never one per participant of a whole audience at once.
 */

/** How many consumer operations a fan-out or the national-audio holds run at once. */
export const FANOUT_CONCURRENCY = 16;

/** Runs `work` over `items`, at most `concurrency` at a time. */
export async function forEachLimited<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}
