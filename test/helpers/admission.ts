/** Joins that may wait in the admission queue: poll `join` as a client does, after `retryAfterMs`. */
import type { QueueInfo } from '../../signaling/protocol/errors';
import type { JoinResult } from '../../signaling/protocol/events';
import { MEETING, request, type TestSocket } from '../../harness/server';

export interface AdmittedJoin {
  join: JoinResult;
  /** Every place the join was told while it waited, in order. */
  waits: QueueInfo[];
}

/** Sends `join` until admitted (polling as told while queued); throws on any other error. */
export async function joinWhenAdmitted(
  socket: TestSocket,
  payload: { meetingId?: string; resumeTicket?: string } = {},
  timeoutMs = 30_000,
): Promise<AdmittedJoin> {
  const waits: QueueInfo[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(socket, 'join', { meetingId: MEETING, ...payload });
    if (res.ok) return { join: res.data, waits };
    if (res.error.code !== 'queued' || !res.error.queue) throw new Error(`join failed: ${res.error.code} ${res.error.message}`);
    waits.push(res.error.queue);
    if (Date.now() > deadline) throw new Error(`still queued after ${timeoutMs} ms at ${res.error.queue.position}`);
    await new Promise((r) => setTimeout(r, res.error.retryAfterMs ?? 1_000));
  }
}

/** One `join` that must be answered `queued`; returns where it stands and the retry-after. */
export async function joinQueued(socket: TestSocket, payload: { resumeTicket?: string } = {}): Promise<QueueInfo & { retryAfterMs: number }> {
  const res = await request(socket, 'join', { meetingId: MEETING, ...payload });
  if (res.ok || res.error.code !== 'queued' || !res.error.queue) {
    throw new Error(`expected queued, got ${res.ok ? 'admitted' : `${res.error.code} ${res.error.message}`}`);
  }
  return { ...res.error.queue, retryAfterMs: res.error.retryAfterMs ?? 0 };
}
