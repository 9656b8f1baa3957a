/**
 * X-Forwarded-For is believed only from HOINGHI_TRUSTED_PROXIES: the per-IP sign-in limit (HTTP)
 * and the per-IP socket caps (socket layer) follow the same rule, directly and through HAProxy.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { startHaproxy, type HaproxyProcess } from '../../harness/haproxy';
import { rawSocket } from '../helpers/rawSocket';
import { TrustedProxies } from '../../signaling/edge/clientAddress';

let server: HoinghiServer | null = null;
let haproxy: HaproxyProcess | null = null;
afterEach(async () => {
  await haproxy?.stop();
  await server?.close();
  server = null;
  haproxy = null;
});

/** POST /api/demo/signin from `localAddress`, with an X-Forwarded-For header; resolves with the status. */
function signIn(baseUrl: string, localAddress: string, forwardedFor: string): Promise<number> {
  const url = new URL('/api/demo/signin', baseUrl);
  const body = JSON.stringify({ accountId: 'bo-truong' });
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-forwarded-for': forwardedFor },
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function statuses(baseUrl: string, localAddress: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i += 1) out.push(await signIn(baseUrl, localAddress, `10.9.${Math.floor(i / 250)}.${(i % 250) + 1}`));
  return out;
}

// 60 per minute: a burst of 10, then one per second.
const LIMITED = { HOINGHI_SIGNIN_PER_MIN: '60' };

describe('X-Forwarded-For', () => {
  it('a rotated X-Forwarded-For from an untrusted address does not bypass the per-IP sign-in limit', async () => {
    server = await startServer({ ...LIMITED, HOINGHI_TRUSTED_PROXIES: '' });
    const codes = await statuses(server.url, '127.0.0.2', 30);
    expect(codes.filter((c) => c === 429).length).toBeGreaterThan(0);
    expect(codes.filter((c) => c === 200).length).toBeLessThan(30);
  });

  it('from a trusted proxy, X-Forwarded-For names the client, and an untrusted neighbour is still limited', async () => {
    server = await startServer({ ...LIMITED, HOINGHI_TRUSTED_PROXIES: '127.0.0.1/32' });
    const viaProxy = await statuses(server.url, '127.0.0.1', 30);
    expect(viaProxy.every((c) => c === 200)).toBe(true);
    const direct = await statuses(server.url, '127.0.0.2', 30);
    expect(direct.filter((c) => c === 429).length).toBeGreaterThan(0);
  });

  it('through HAProxy, a client’s forged X-Forwarded-For is ignored and its real address is limited', async () => {
    server = await startServer({ ...LIMITED, HOINGHI_TRUSTED_PROXIES: '127.0.0.1' });
    haproxy = await startHaproxy([new URL(server.url).host]);
    await haproxy.waitFor(new URL(server.url).host, 'UP');
    // Client A (127.0.0.3) is limited however it rotates the header; client B (127.0.0.4) still
    // has its own budget: HAProxy's X-Forwarded-For is believed.
    const a = await statuses(haproxy.url, '127.0.0.3', 30);
    expect(a.filter((c) => c === 429).length).toBeGreaterThan(0);
    const b = await signIn(haproxy.url, '127.0.0.4', '10.1.1.1');
    expect(b).toBe(200);
  });

  it('the socket layer counts sockets per client by the same rule', async () => {
    server = await startServer({ HOINGHI_TRUSTED_PROXIES: '127.0.0.1', HOINGHI_MAX_PENDING_PER_IP: '1', HOINGHI_AUTH_TIMEOUT_MS: '10000' });
    const open: WebSocketLike[] = [];
    // From the trusted proxy: each forwarded client has its own cap of one.
    for (const client of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) {
      const o = await rawSocket(server.url, { localAddress: '127.0.0.1', headers: { 'X-Forwarded-For': client } });
      expect(o.kind, client).toBe('open');
      if (o.kind === 'open') open.push(o.socket);
    }
    // The same forwarded client again: over its cap.
    expect((await rawSocket(server.url, { localAddress: '127.0.0.1', headers: { 'X-Forwarded-For': '10.0.0.1' } })).kind).toBe('refused');
    // From an untrusted address, rotating the header changes nothing: one socket, then refusals.
    const first = await rawSocket(server.url, { localAddress: '127.0.0.5', headers: { 'X-Forwarded-For': '10.0.0.7' } });
    expect(first.kind).toBe('open');
    if (first.kind === 'open') open.push(first.socket);
    expect((await rawSocket(server.url, { localAddress: '127.0.0.5', headers: { 'X-Forwarded-For': '10.0.0.8' } })).kind).toBe('refused');
    for (const s of open) s.close();
  });
});

type WebSocketLike = { close(): void };

describe('TrustedProxies', () => {
  const req = (remoteAddress: string, xff?: string) => ({ socket: { remoteAddress }, headers: xff ? { 'x-forwarded-for': xff } : {} }) as never;

  it('walks X-Forwarded-For from the right while hops are trusted', () => {
    const t = new TrustedProxies(['127.0.0.1', '10.0.0.0/8']);
    expect(t.clientOf(req('203.0.113.9', '1.2.3.4'))).toBe('203.0.113.9');
    expect(t.clientOf(req('127.0.0.1', '1.2.3.4'))).toBe('1.2.3.4');
    expect(t.clientOf(req('::ffff:127.0.0.1', 'forged, 198.51.100.7, 10.1.2.3'))).toBe('198.51.100.7');
    expect(t.clientOf(req('127.0.0.1', 'not-an-ip'))).toBe('127.0.0.1');
    expect(new TrustedProxies([]).clientOf(req('127.0.0.1', '1.2.3.4'))).toBe('127.0.0.1');
  });
});
