/**
 * Idle TCP connections to the media ports (issue 10, part 5): mediasoup 3.12.16 keeps a TCP
 * connection that never completes ICE open (~4.4 kB each) until the peer closes it.
 * HOINGHI_RTC_TCP=false turns ICE over TCP off: no TCP candidates, and nothing listens on TCP at
 * the candidates' ports, so junk connections are refused by the kernel instead of held.
 */
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { call, connectClient, MEETING, startServer, tokenFor, type TestSocket } from '../../harness/server';

let server: HoinghiServer;
let socket: TestSocket;

beforeAll(async () => {
  server = await startServer({ HOINGHI_RTC_TCP: 'false' });
  socket = await connectClient(server, tokenFor(server, { role: 'teacher' }));
  await call(socket, 'join', { meetingId: MEETING });
});
afterAll(async () => {
  socket.close();
  await server.close();
});

function tcpConnect(port: number): Promise<'connected' | 'refused'> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      resolve('connected');
    });
    c.once('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNREFUSED' ? resolve('refused') : reject(e)));
  });
}

it('offers only UDP candidates and refuses TCP connections at their ports when HOINGHI_RTC_TCP is false', async () => {
  for (const direction of ['recv', 'send'] as const) {
    if (direction === 'send') {
      // Publishers' transports live on their own socket: check those too, as a host.
      socket.close();
      socket = await connectClient(server, tokenFor(server, { role: 'host' }));
      await call(socket, 'join', { meetingId: MEETING });
    }
    const t = (await call(socket, 'createTransport', { direction })) as { iceCandidates: { protocol: string; port: number }[] };
    expect(t.iceCandidates.length).toBeGreaterThan(0);
    expect(t.iceCandidates.every((c) => c.protocol === 'udp')).toBe(true);
    for (const port of new Set(t.iceCandidates.map((c) => c.port))) expect(await tcpConnect(port)).toBe('refused');
  }
});
