/**
 * A node whose every mediasoup worker is dead (killed, and its replacements failing to start)
 * answers joins with the retryable `unavailable` error and a retry delay, not `internal`: a
 * client then waits and tries again (or the balancer sends it elsewhere) instead of giving up.
 */
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import type { LocalSfu } from '../../sfu/LocalSfu';
import { MEETING, connectClient, next, request, startServer, tokenFor } from '../../harness/server';
import { joinAndPublish, joinAsViewer } from '../helpers/flows';

let server: HoinghiServer;
/** Closes each worker as soon as mediasoup has started it: the pool's replacements never come up. */
const refuseReplacement = (worker: types.Worker): void => worker.close();

beforeAll(async () => {
  server = await startServer({ HOINGHI_WORKERS: '2' });
});
afterAll(async () => {
  mediasoup.observer.off('newworker', refuseReplacement);
  await server.close();
});

describe('a node with no mediasoup worker alive', () => {
  it('answers a join with unavailable and a retry delay, both to its participants and to a newcomer', async () => {
    const sfu = server.sfu as LocalSfu;
    const host = await joinAndPublish(server);
    const viewer = await joinAsViewer(server);
    const pids = sfu.workerPids();
    expect(pids).toHaveLength(2);

    // The pool gives up on an index once its replacement attempts have failed, and says so.
    const givenUp = new Promise<void>((resolve) => {
      let n = 0;
      sfu.on('workerDied', () => (n += 1) === pids.length && resolve());
    });
    mediasoup.observer.on('newworker', refuseReplacement);
    const rejoins = [host, viewer].map((p) => next(p.socket, 'rejoin'));
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await Promise.all(rejoins);
    await givenUp;
    expect(sfu.stats().workersAlive).toBe(0);

    const newcomer = await connectClient(server, tokenFor(server, { role: 'teacher', sub: 'newcomer' }));
    for (const socket of [host.socket, viewer.socket, newcomer]) {
      const ack = await request(socket, 'join', { meetingId: MEETING });
      expect(ack).toMatchObject({ ok: false, error: { code: 'unavailable' } });
      expect(ack.ok === false && ack.error.retryAfterMs).toBeGreaterThan(0);
    }
    for (const s of [host.socket, viewer.socket, newcomer]) s.close();
  });
});
