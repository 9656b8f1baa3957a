/**
 * When the client tries again: after a dropped connection (1 s doubling to 15 s), after being cut
 * off for flooding (15 s), and with ±25% jitter everywhere so that a whole meeting dropped at once
 * does not come back at once. The page shows the wait as a countdown.
 */

const RECONNECT_BASE_MS = 1_000;
const RECONNECT_MAX_MS = 15_000;
/** After being cut off for flooding, wait this long before trying again. */
export const FLOOD_PAUSE_MS = 15_000;

/** `ms` ±25%. */
export const jitter = (ms: number): number => Math.round(ms * (0.75 + Math.random() * 0.5));

/** The wait before connection attempt `attempt` (0-based count of failures so far). */
export const reconnectDelay = (attempt: number): number => jitter(Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** attempt));
