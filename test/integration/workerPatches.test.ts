/**
 * Regression tests for the worker patch set (scripts/worker-patches), against the installed
 * mediasoup-worker. They run when the installed binary is the patched build
 * (`scripts/build-worker.sh`, the default) and are skipped, saying so, when it is the upstream one
 * (HOINGHI_WORKER_VARIANT=upstream), whose crashes they describe.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { createMediaRouter } from '../../sfu/mediaCodecs';

const installed = (createRequire(import.meta.url)('mediasoup/node/lib/Worker.js') as { workerBin: string }).workerBin;
const patchedBin = execFileSync('bash', ['scripts/build-worker.sh', '--print-bin', 'patched']).toString().trim();
const patched = patchedBin !== '' && fs.readFileSync(patchedBin).equals(fs.readFileSync(installed));

const workers: types.Worker[] = [];
afterEach(() => {
  for (const w of workers.splice(0)) w.close();
});

async function worker(): Promise<types.Worker> {
  const w = await mediasoup.createWorker({ logLevel: 'error', rtcMinPort: 30000, rtcMaxPort: 39999 });
  workers.push(w);
  return w;
}

describe.skipIf(!patched)('the patched worker', () => {
  it('survives closing a WebRtcServer that still has transports (upstream PR 1390)', async () => {
    const w = await worker();
    let died = false;
    w.on('died', () => (died = true));
    const server = await w.createWebRtcServer({ listenInfos: [{ protocol: 'udp', ip: '127.0.0.1', port: 0 }, { protocol: 'tcp', ip: '127.0.0.1', port: 0 }] });
    const router = await createMediaRouter(w);
    const transports = await Promise.all([1, 2, 3].map(() => router.createWebRtcTransport({ webRtcServer: server })));
    const closed = Promise.all(transports.map((t) => new Promise<void>((r) => t.observer.once('close', () => r()))));
    server.close();
    await closed;
    // The worker still answers: a new router and a new server on it work.
    const again = await createMediaRouter(w);
    expect(again.closed).toBe(false);
    await (await w.createWebRtcServer({ listenInfos: [{ protocol: 'udp', ip: '127.0.0.1', port: 0 }] })).dump();
    expect(died).toBe(false);
  });

  it('rejects a producer reusing another producer\'s ssrc on one transport with TypeError (patch 0003)', async () => {
    const w = await worker();
    const router = await createMediaRouter(w);
    const t = await router.createPlainTransport({ listenIp: '127.0.0.1', comedia: true });
    const rtp = (mid: string): types.RtpParameters => ({ mid, codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 4242 }] });
    await t.produce({ kind: 'audio', rtpParameters: rtp('a') });
    await expect(t.produce({ kind: 'audio', rtpParameters: rtp('b') })).rejects.toBeInstanceOf(TypeError);
    // The transport keeps working.
    await t.produce({ kind: 'audio', rtpParameters: { ...rtp('c'), encodings: [{ ssrc: 4343 }] } });
  });
});
