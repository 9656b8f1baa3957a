import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { MEETING, request, startServer } from '../../harness/server';
import { joinAndPublish, joinAsViewer, type Publisher, type Viewer } from '../helpers/flows';
import { sleep, until } from '../../harness/wait';

let server: HoinghiServer;
let host: Publisher;

beforeAll(async () => {
  server = await startServer();
  host = await joinAndPublish(server);
});
afterAll(async () => {
  host.socket.close();
  await server.close();
});

describe('a flooding client', () => {
  it('is limited, then disconnected and cleaned up, while the others keep being served', async () => {
    const flooder = await joinAsViewer(server, { sub: 'flooder' });
    const others: Viewer[] = [];
    for (let i = 0; i < 5; i++) others.push(await joinAsViewer(server));
    const limited: number[] = [];
    flooder.socket.on('protocolError', (e: { code: string }) => void (e.code === 'rate_limited' && limited.push(1)));
    const gone = new Promise<string>((resolve) => flooder.socket.once('disconnect', (reason) => resolve(reason)));

    // 1,000 events per second from the flooder, for at most 3 s.
    let sent = 0;
    const flood = setInterval(() => {
      for (let i = 0; i < 10 && flooder.socket.connected; i++, sent++) {
        (flooder.socket.emit as (e: string, p: unknown) => void)('resumeConsumer', { consumerId: flooder.consumers[0]!.id });
      }
    }, 10);
    // Meanwhile the others ask 10 times per second each.
    let answered = 0;
    let failed = 0;
    const asks: Promise<void>[] = [];
    for (let round = 0; round < 20; round++) {
      for (const o of others) {
        asks.push(
          request(o.socket, 'resumeConsumer', { consumerId: o.consumers[0]!.id }, 2_000).then(
            (res) => void (res.ok ? (answered += 1) : (failed += 1)),
            () => void (failed += 1),
          ),
        );
      }
      // Deliberate: the pace of the others' asks (10 a second) is part of the load under test.
      await sleep(100);
    }
    // A deadline, not a pause: resolves as soon as the flooder is disconnected.
    const reason = await Promise.race([gone, sleep(3_000).then(() => 'still connected')]);
    clearInterval(flood);
    await Promise.all(asks);

    expect(limited.length).toBeGreaterThan(0);
    expect(reason).toBe('io server disconnect');
    expect(sent).toBeGreaterThan(100);
    expect(server.sockets.floodDisconnects).toBe(1);
    expect(server.sockets.registry.get(MEETING)!.peers.has('flooder')).toBe(false);
    expect(answered).toBe(20 * others.length);
    expect(failed).toBe(0);
    for (const o of others) o.socket.close();
  });
});

describe('a client that sends a burst in one go', () => {
  it('is disconnected mid-burst, and the rest of the burst is ignored and crashes nothing', async () => {
    // A generous per-socket budget, so that the strikes (100) run out before it does.
    const roomy = await startServer({ HOINGHI_SOCKET_EVENTS_PER_S: '1000', HOINGHI_SOCKET_EVENT_BURST: '1000' });
    try {
      const publisher = await joinAndPublish(roomy);
      const burster = await joinAsViewer(roomy, { sub: 'burster' });
      const other = await joinAsViewer(roomy);
      const gone = new Promise<string>((resolve) => burster.socket.once('disconnect', (reason) => resolve(reason)));
      // Written at once, so that they arrive together: malformed events until the strikes run
      // out and the socket is disconnected, then valid ones, which socket.io still delivers.
      const emit = (burster.socket.emit as (e: string, p: unknown) => void).bind(burster.socket);
      for (let i = 0; i < 150; i++) emit('resumeConsumer', { consumerId: 42 });
      for (let i = 0; i < 50; i++) emit('resumeConsumer', { consumerId: burster.consumers[0]!.id });
      expect(await gone).toBe('io server disconnect');
      await until(() => !roomy.sockets.registry.get(MEETING)!.peers.has('burster'), { what: 'the burster to leave the meeting' });
      expect(roomy.sockets.floodDisconnects).toBe(1);
      expect(await request(other.socket, 'resumeConsumer', { consumerId: other.consumers[0]!.id })).toEqual({ ok: true, data: {} });
      other.socket.close();
      publisher.socket.close();
    } finally {
      await roomy.close();
    }
  });
});
