/**
 * Issue 10, part 6: the host's packets never wait behind viewers'. A worker's viewers' socket is
 * flooded far beyond what the worker can read (the kernel drops there), while a real WebRTC
 * publisher (node-datachannel, ICE/DTLS/SRTP) sends the host's media to the same worker: the
 * socket the host's media arrives on loses nothing.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { MEETING, call, connectClient, startServer, tokenFor } from '../../harness/server';
import { udpReceiveDropsByPort } from '../../sfu/udpDrops';
import { WebRtcPublisher } from '../../harness/webrtcPublisher';
import { until } from '../../harness/wait';

const UDPKIT = '.build/udpkit';
const CLIP = path.join(process.env.HOINGHI_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'hoinghi'), 'test-clip-vp8-v1.webm');

let server: HoinghiServer;

beforeAll(async () => {
  if (!fs.existsSync(UDPKIT) || fs.statSync(UDPKIT).mtimeMs < fs.statSync('load-tests/udp/udpkit.c').mtimeMs) {
    fs.mkdirSync('.build', { recursive: true });
    execFileSync('gcc', ['-O2', '-Wall', '-o', UDPKIT, 'load-tests/udp/udpkit.c']);
  }
  if (!fs.existsSync(CLIP)) {
    fs.mkdirSync(path.dirname(CLIP), { recursive: true });
    execFileSync('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', '6', '-c:v', 'libvpx', '-b:v', '300k', '-deadline', 'realtime', '-cpu-used', '8', '-g', '30',
      '-c:a', 'libopus', '-b:a', '32k', `${CLIP}.tmp.webm`,
    ]);
    fs.renameSync(`${CLIP}.tmp.webm`, CLIP);
  }
  server = await startServer();
}, 120_000);

afterAll(async () => {
  await server.close();
});

it('a viewers socket flooded past saturation costs the host ingress no packets', async () => {
  const host = await WebRtcPublisher.start({ url: server.url, token: tokenFor(server, { role: 'host' }), meetingId: MEETING, clip: CLIP });
  try {
    await until(() => host.stats().forwarded > 50, { timeoutMs: 20_000, what: 'the publisher forwards media' });
    // The viewers' port: a receiving transport's candidate.
    const viewer = await connectClient(server, tokenFor(server, { role: 'teacher' }));
    await call(viewer, 'join', { meetingId: MEETING });
    const recv = await call(viewer, 'createTransport', { direction: 'recv' });
    const viewersPort = recv.iceCandidates.find((c) => c.protocol === 'udp')!.port;
    const pid = server.sfu.stats().workers[0]!.pid;
    const ports = [...udpReceiveDropsByPort(pid).keys()];
    const ingestPorts = ports.filter((p) => p !== viewersPort);
    expect(ports).toContain(viewersPort);
    expect(ingestPorts.length).toBeGreaterThan(0);
    const before = udpReceiveDropsByPort(pid);
    const forwardedBefore = host.stats().forwarded;

    // Bursts of 3 s of 1,200-byte junk, 64 datagrams per sendmmsg, from two senders, as fast as
    // loopback takes it, until the kernel drops at the viewers' socket (on a machine busy with
    // other work the worker may keep up with one burst). The worker runs at the lowest CPU
    // priority meanwhile, so the senders outrun it: a worker that falls behind is the case here.
    const flood = (): Promise<void[]> =>
      Promise.all(
        [0, 1].map(
          () =>
            new Promise<void>((resolve, reject) => {
              const sender = spawn(UDPKIT, ['send', String(viewersPort), '3', '64', '1200'], { stdio: 'ignore' });
              sender.once('exit', () => resolve());
              sender.once('error', reject);
            }),
        ),
      );
    const priority = os.getPriority(pid);
    os.setPriority(pid, 19);
    let after = before;
    try {
      for (let burst = 0; burst < 5 && (after.get(viewersPort) ?? 0) - (before.get(viewersPort) ?? 0) === 0; burst++) {
        await flood();
        after = udpReceiveDropsByPort(pid);
      }
    } finally {
      os.setPriority(pid, priority);
    }
    viewer.close();

    // The flood saturated the viewers' socket: the kernel dropped there...
    expect((after.get(viewersPort) ?? 0) - (before.get(viewersPort) ?? 0)).toBeGreaterThan(0);
    // ...while the host kept sending, and its socket dropped nothing.
    expect(host.stats().forwarded - forwardedBefore).toBeGreaterThan(50);
    for (const p of ingestPorts) expect((after.get(p) ?? 0) - (before.get(p) ?? 0), `drops at port ${p}`).toBe(0);
  } finally {
    host.close();
  }
}, 120_000);
