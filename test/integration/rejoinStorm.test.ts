/**
 * A worker loss with admission in the way: the participants are told to rejoin one at a time, at
 * the join rate, in the order they joined (rejoinPacer.ts); their rejoins on the same socket go
 * in the rejoin lane, and everyone, the newcomer who queued meanwhile included, receives again.
 * (The lane's priority itself is proved in admission.test.ts and admissionCluster.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import type { LocalSfu } from '../../sfu/LocalSfu';
import type { QueueInfo } from '../../signaling/protocol/errors';
import { MEETING, call, connectClient, startServer, tokenFor, type TestSocket } from '../../harness/server';
import { joinAndPublish, joinAsViewer } from '../helpers/flows';
import { until } from '../../harness/wait';
import { joinWhenAdmitted } from '../helpers/admission';
import { dtlsParameters } from '../../harness/media';

let server: HoinghiServer;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  // One join every 2 s, three at once: the three viewers fill the bucket.
  server = await startServer({ HOINGHI_JOIN_RATE: '0.5', HOINGHI_JOIN_BURST: '3' });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await server.close();
});

describe('a worker loss under admission', () => {
  it('paces the rejoin notices in join order; queued rejoins wait in the rejoin lane and everyone receives again', async () => {
    const host = await joinAndPublish(server);
    sockets.push(host.socket);
    const viewers = [];
    for (let i = 0; i < 3; i++) {
      const v = await joinAsViewer(server, { sub: `viewer-${i}` });
      sockets.push(v.socket);
      viewers.push(v);
    }
    const notified: string[] = [];
    for (const [i, v] of viewers.entries()) v.socket.on('rejoin', () => notified.push(`viewer-${i}`));
    host.socket.on('rejoin', () => notified.push('host'));

    const pid = (server.sfu as LocalSfu).roomWorkerPid(MEETING)!;
    process.kill(pid, 'SIGKILL');
    await until(() => notified.length >= 1, { timeoutMs: 10_000, what: 'the first rejoin notice' });
    // The newcomer queues once the loss is known.
    const newcomer = await connectClient(server, tokenFor(server, { role: 'teacher', sub: 'newcomer' }));
    sockets.push(newcomer);
    const waits: QueueInfo[] = [];
    const newcomerDone = joinWhenAdmitted(newcomer).then((r) => waits.push(...r.waits));

    // Each viewer rejoins as soon as it is told; the host republishes.
    const rejoinWaits: QueueInfo[] = [];
    await until(() => notified.includes('host'), { timeoutMs: 10_000, what: 'the host notice' });
    await until(() => server.sfu.stats().workersAlive === 1, { timeoutMs: 10_000, what: 'the replacement worker' });
    await joinAndPublish(server, {}, host.socket);
    await Promise.all(
      viewers.map(async (v, i) => {
        await until(() => notified.includes(`viewer-${i}`), { timeoutMs: 20_000, what: `viewer-${i} notice` });
        const r = await joinWhenAdmitted(v.socket);
        rejoinWaits.push(...r.waits);
        const t = await call(v.socket, 'createTransport', { direction: 'recv' });
        await call(v.socket, 'connectTransport', { transportId: t.id, dtlsParameters });
        const { consumers } = await call(v.socket, 'startConsuming', { rtpCapabilities: r.join.routerRtpCapabilities });
        expect(consumers).toHaveLength(2);
      }),
    );
    await newcomerDone;

    expect(notified).toEqual(['host', 'viewer-0', 'viewer-1', 'viewer-2']);
    // A rejoin that had to wait waited in the rejoin lane.
    for (const w of rejoinWaits) expect(w.lane).toBe('rejoin');
    for (const w of waits) expect(w.lane).toBe('new');
  });
});
