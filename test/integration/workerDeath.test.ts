import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import type { LocalSfu } from '../../sfu/LocalSfu';
import { MEETING, next, startServer } from '../../harness/server';
import { joinAndPublish, joinAsViewer } from '../helpers/flows';
import { until } from '../../harness/wait';

let server: HoinghiServer;

beforeAll(async () => {
  server = await startServer({ HOINGHI_WORKERS: '2', HOINGHI_VIEWERS_PER_WORKER: '1' });
});
afterAll(async () => {
  await server.close();
});

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`metric ${name} missing`);
  return Number(line.split(' ')[1]);
}

describe('a mediasoup worker that dies', () => {
  it('is replaced, counted in metrics, and its participants rejoin and receive again', async () => {
    const host = await joinAndPublish(server);
    const viewers = [await joinAsViewer(server), await joinAsViewer(server)];
    const sfu = server.sfu as LocalSfu;
    const pid = sfu.roomWorkerPid(MEETING)!;
    expect(pid).toBeTypeOf('number');
    expect(await metric('hoinghi_worker_deaths_total')).toBe(0);
    expect(await metric('hoinghi_workers_alive')).toBe(2);

    const rejoins = [host, ...viewers].map((p) => next(p.socket, 'rejoin'));
    process.kill(pid, 'SIGKILL');
    expect(await Promise.all(rejoins)).toEqual(Array(3).fill({ reason: 'media_server_restarted' }));

    await until(() => sfu.stats().workersAlive === 2, { timeoutMs: 10_000, what: 'replacement worker' });
    expect(sfu.workerPids()).not.toContain(pid);
    expect(await metric('hoinghi_worker_deaths_total')).toBe(1);
    expect(await metric('hoinghi_workers_alive')).toBe(2);

    // The same sockets run the flows again, without reconnecting.
    const republished = await joinAndPublish(server, {}, host.socket);
    const again = await Promise.all(viewers.map((v) => joinAsViewer(server, {}, v.socket)));
    for (const v of again) {
      expect(v.consumers.map((c) => c.producerId).sort()).toEqual(Object.values(republished.producers).sort());
    }
    expect(sfu.roomWorkerPid(MEETING)).not.toBe(pid);
    // One viewer per worker: the second viewer's transport on the surviving worker was closed,
    // not left beside its new one (both would not fit otherwise).
    expect(sfu.stats().transports).toBe(3);
    for (const p of [host, ...viewers]) p.socket.close();
  });
});
