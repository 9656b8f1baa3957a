/**
 * Probes and the metrics listener: /healthz (alive), /readyz (Redis, SFU, not draining) with a
 * JSON reason when not ready, against real Redis and SFU node processes; /metrics off the public
 * port in cluster mode.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { startServer, testConfig } from '../../harness/server';
import { startSignalingProcess, type SignalingProcess } from '../../harness/signalingProcess';
import { SFU_SECRET, startRedis, startSfuNode, type RedisProcess, type SfuNodeProcess } from '../../harness/cluster';
import { eventually } from '../../harness/wait';

let server: HoinghiServer | null = null;
let redis: RedisProcess | null = null;
let node: SfuNodeProcess | null = null;
let proc: SignalingProcess | null = null;
afterEach(async () => {
  await proc?.stop();
  proc = null;
  await server?.close();
  await node?.stop();
  await redis?.stop();
  server = null;
  node = null;
  redis = null;
});

async function probe(url: string): Promise<{ status: number; body: { status: string; reason?: string; checks?: Record<string, unknown> } }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as { status: string; reason?: string } };
}

async function waitForReason(url: string, reason: string | null, timeoutMs = 20_000): Promise<void> {
  await eventually(
    async () => {
      const r = await probe(url);
      const ok = (reason === null && r.status === 200) || (reason !== null && r.status === 503 && r.body.reason === reason);
      if (!ok) throw new Error(`readyz: ${JSON.stringify(r)}, wanted ${reason ?? 'ready'}`);
    },
    { timeoutMs, intervalMs: 100 },
  );
}

describe('probes', () => {
  it('a single node is alive and ready, and says so as JSON', async () => {
    server = await startServer();
    const health = await probe(`${server.url}/healthz`);
    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
    const ready = await probe(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', checks: { draining: false, redis: 'not_configured', sfu: { workersAlive: 1 } } });
  });

  it('a cluster node is not ready while it knows no live SFU node, and ready again when one is back', async () => {
    redis = await startRedis();
    node = await startSfuNode(redis.url, 'probe-a');
    server = await startServer({ HOINGHI_SFU: 'cluster', HOINGHI_REDIS_URL: redis.url, HOINGHI_SFU_SECRET: SFU_SECRET });
    const readyz = `${server.url}/readyz`;
    await waitForReason(readyz, null);
    expect((await probe(readyz)).body.checks).toMatchObject({ redis: 'ok', sfu: { nodes: 1 } });

    // The only SFU node dies: not ready (sfu_unreachable), yet alive.
    node.kill();
    await waitForReason(readyz, 'sfu_unreachable');
    expect((await probe(`${server.url}/healthz`)).status).toBe(200);
    node = await startSfuNode(redis.url, 'probe-b');
    await waitForReason(readyz, null);
  }, 120_000);

  it('a node is not ready while Redis does not answer, alive all the same, and ready again when Redis is back', async () => {
    redis = await startRedis();
    // A process of its own (killed at the end): closing a server whose Redis restarted is not
    // what this test is about.
    proc = await startSignalingProcess({ HOINGHI_REDIS_URL: redis.url, HOINGHI_METRICS_PORT: '0' });
    const readyz = `${proc.url}/readyz`;
    await waitForReason(readyz, null);
    expect((await probe(readyz)).body.checks).toMatchObject({ redis: 'ok' });
    // Redis is down for 15 s, then back on the same port.
    const back = redis.restart({ downMs: 15_000 });
    await waitForReason(readyz, 'redis_unreachable', 14_000);
    expect((await probe(`${proc.url}/healthz`)).status).toBe(200);
    await back;
    await waitForReason(readyz, null, 30_000);
  }, 180_000);

  it('a draining node answers 503 draining at once', async () => {
    server = await startServer({ HOINGHI_DRAIN_WINDOW_MS: '0', HOINGHI_DRAIN_DEADLINE_MS: '60000' });
    expect((await probe(`${server.url}/readyz`)).status).toBe(200);
    const drained = server.drain();
    const r = await probe(`${server.url}/readyz`);
    expect(r).toMatchObject({ status: 503, body: { status: 'not_ready', reason: 'draining' } });
    expect((await probe(`${server.url}/healthz`)).status).toBe(200);
    expect(await drained).toBe('empty');
  });
});

describe('metrics in cluster mode', () => {
  it('are off the public port by default, on a listener of their own on 127.0.0.1', async () => {
    redis = await startRedis();
    // Cluster mode by Redis alone (in-process workers): the default moves /metrics.
    server = await startServer({ HOINGHI_REDIS_URL: redis.url });
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    const metricsUrl = new URL(server.metricsUrl);
    expect(metricsUrl.hostname).toBe('127.0.0.1');
    expect(metricsUrl.port).not.toBe(new URL(server.url).port);
    const body = await (await fetch(metricsUrl)).text();
    expect(body).toContain('hoinghi_connected_sockets');
    expect(body).toContain('hoinghi_unauthenticated_sockets');
  });

  it('stay on the public port of a single node unless moved', () => {
    expect(testConfig().metrics.port).toBeUndefined();
    expect(testConfig({ HOINGHI_REDIS_URL: 'redis://127.0.0.1:1' }).metrics).toEqual({ port: 0, host: '127.0.0.1' });
    expect(testConfig({ HOINGHI_REDIS_URL: 'redis://127.0.0.1:1', HOINGHI_METRICS_PORT: '9464' }).metrics.port).toBe(9464);
  });
});
