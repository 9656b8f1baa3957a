/**
 * Hostile clients at the socket layer, before any token is read: foreign Origins, sockets that
 * never authenticate, and too many sockets from one address (edge/socketGate.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { io as connect } from 'socket.io-client';
import type { HoinghiServer } from '../../signaling/server';
import { connectClient, startServer, tokenFor } from '../../harness/server';
import { rawSocket, type RawOutcome } from '../helpers/rawSocket';
import { until } from '../../harness/wait';

let server: HoinghiServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function refusedCount(s: HoinghiServer, reason: string): Promise<number> {
  const metric = await s.metrics.refusedHandshakes.get();
  return metric.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

describe('the WebSocket handshake', () => {
  it('refuses a foreign Origin and accepts the page’s own origin and the configured ones', async () => {
    server = await startServer({ HOINGHI_CORS_ORIGINS: 'https://truong.example.vn' });
    const own = new URL(server.url).origin;
    const foreign = await rawSocket(server.url, { headers: { Origin: 'https://evil.example' } });
    expect(foreign.kind).toBe('refused');
    const nullOrigin = await rawSocket(server.url, { headers: { Origin: 'null' } });
    expect(nullOrigin.kind).toBe('refused');
    // Same host name, another port: another origin.
    const otherPort = await rawSocket(server.url, { headers: { Origin: 'http://127.0.0.1:1' } });
    expect(otherPort.kind).toBe('refused');
    for (const origin of [own, 'https://truong.example.vn']) {
      const ok = await rawSocket(server.url, { headers: { Origin: origin } });
      expect(ok.kind, origin).toBe('open');
      if (ok.kind === 'open') ok.socket.close();
    }
    expect(await refusedCount(server, 'origin')).toBe(3);
  });

  it('refuses a socket.io client with a foreign Origin even with a valid token', async () => {
    server = await startServer();
    const token = tokenFor(server, { role: 'teacher' });
    const socket = connect(server.url, {
      transports: ['websocket'],
      auth: { token },
      reconnection: false,
      forceNew: true,
      extraHeaders: { Origin: 'https://evil.example' },
    });
    const outcome = await new Promise<string>((resolve) => {
      socket.once('connect', () => resolve('connected'));
      socket.once('connect_error', () => resolve('refused'));
    });
    socket.close();
    expect(outcome).toBe('refused');
    expect(server.sockets.io.of('/').sockets.size).toBe(0);
  });

  it('accepts a client without Origin by default, and refuses it with HOINGHI_REQUIRE_ORIGIN', async () => {
    server = await startServer();
    const open = await rawSocket(server.url);
    expect(open.kind).toBe('open');
    if (open.kind === 'open') open.socket.close();
    await server.close();
    server = await startServer({ HOINGHI_REQUIRE_ORIGIN: 'true' });
    expect((await rawSocket(server.url)).kind).toBe('refused');
    const withOrigin = await rawSocket(server.url, { headers: { Origin: new URL(server.url).origin } });
    expect(withOrigin.kind).toBe('open');
    if (withOrigin.kind === 'open') withOrigin.socket.close();
  });
});

describe('unauthenticated sockets', () => {
  /** 2,000 raw sockets from 20 loopback addresses (interleaved), 200 at a time (the listen backlog holds 511). */
  async function open2000(s: HoinghiServer, addresses: string[]): Promise<RawOutcome[]> {
    const plan = Array.from({ length: 2_000 }, (_, i) => addresses[i % addresses.length]!);
    const outcomes: RawOutcome[] = [];
    for (let i = 0; i < plan.length; i += 200) {
      outcomes.push(...(await Promise.all(plan.slice(i, i + 200).map((localAddress) => rawSocket(s.url, { localAddress })))));
    }
    return outcomes;
  }
  const addresses = Array.from({ length: 20 }, (_, i) => `127.0.1.${i + 1}`);
  const isOpen = (o: RawOutcome): o is Extract<RawOutcome, { kind: 'open' }> => o.kind === 'open';

  it('2,000 raw sockets that never authenticate: the per-IP cap holds exactly its number and refuses the rest', async () => {
    const perIp = 50;
    // A long timeout here, so that none expires while the 2,000 are being opened.
    server = await startServer({ HOINGHI_AUTH_TIMEOUT_MS: '60000', HOINGHI_MAX_PENDING_PER_IP: String(perIp) });
    const s = server;
    const outcomes = await open2000(s, addresses);
    // Concurrent upgrades past the first check are closed when the connection opens, so the
    // server holds exactly the cap per address; every other attempt was refused.
    await until(() => s.sockets.io.engine.clientsCount === addresses.length * perIp, { timeoutMs: 10_000, what: 'sockets held' });
    expect(s.gate.pending).toBe(addresses.length * perIp);
    expect(await refusedCount(s, 'pending_per_ip')).toBe(2_000 - addresses.length * perIp);
    expect(outcomes.filter(isOpen).length).toBeGreaterThanOrEqual(addresses.length * perIp);
    for (const o of outcomes.filter(isOpen)) o.socket.close();
    await until(() => s.sockets.io.engine.clientsCount === 0, { timeoutMs: 20_000, what: 'sockets after the clients left' });
    expect(s.gate.pending).toBe(0);
  }, 240_000);

  it('2,000 raw sockets that never authenticate (but answer pings) are all closed by the auth timeout, well before socket.io’s 45 s', async () => {
    server = await startServer({ HOINGHI_AUTH_TIMEOUT_MS: '2000' });
    const s = server;
    const outcomes = await open2000(s, addresses);
    const opened = outcomes.filter(isOpen);
    expect(opened).toHaveLength(2_000);
    // Counted from the last one's opening: socket.io's default (45 s) would still hold it at 40 s.
    await until(() => s.sockets.io.engine.clientsCount === 0, { timeoutMs: 40_000, what: 'sockets held after the auth timeout' });
    await Promise.all(opened.map((o) => o.closed));
    expect(s.gate.pending).toBe(0);
    // The server closed them all; the addresses are welcome again.
    const again = await rawSocket(s.url, { localAddress: addresses[0]! });
    expect(again.kind).toBe('open');
    if (again.kind === 'open') again.socket.close();
  }, 240_000);

  it('a socket that authenticates stops counting as pending', async () => {
    server = await startServer({ HOINGHI_MAX_PENDING_PER_IP: '1' });
    const sockets = [];
    for (let i = 0; i < 3; i += 1) sockets.push(await connectClient(server, tokenFor(server, { role: 'teacher' })));
    expect(server.gate.pending).toBe(0);
    const held = await rawSocket(server.url);
    expect(held.kind).toBe('open');
    expect((await rawSocket(server.url)).kind).toBe('refused');
    if (held.kind === 'open') held.socket.close();
    for (const s of sockets) s.close();
  });

  it('a socket whose token is refused is closed at the auth timeout too', async () => {
    server = await startServer({ HOINGHI_AUTH_TIMEOUT_MS: '1000' });
    const s = server;
    const socket = connect(s.url, { transports: ['websocket'], auth: { token: 'not-a-token' }, reconnection: false, forceNew: true });
    await new Promise<void>((resolve) => socket.once('connect_error', () => resolve()));
    // The client does not close: the server does.
    await until(() => s.sockets.io.engine.clientsCount === 0, { timeoutMs: 15_000, what: 'sockets held' });
    socket.close();
  });

  it('the per-IP socket cap refuses one socket more, authenticated or not', async () => {
    server = await startServer({ HOINGHI_MAX_SOCKETS_PER_IP: '3' });
    const sockets = [];
    for (let i = 0; i < 3; i += 1) sockets.push(await connectClient(server, tokenFor(server, { role: 'teacher' })));
    await expect(connectClient(server, tokenFor(server, { role: 'teacher' }))).rejects.toThrow();
    // Another address is not affected.
    const other = await rawSocket(server.url, { localAddress: '127.0.0.2' });
    expect(other.kind).toBe('open');
    if (other.kind === 'open') other.socket.close();
    sockets[0]!.close();
    const s = server;
    await until(() => s.sockets.io.of('/').sockets.size === 2, { timeoutMs: 5_000, what: 'sockets' });
    const fourth = await connectClient(server, tokenFor(server, { role: 'teacher' }));
    fourth.close();
    for (const s2 of sockets) s2.close();
    expect(await refusedCount(server, 'sockets_per_ip')).toBeGreaterThanOrEqual(1);
  });
});
