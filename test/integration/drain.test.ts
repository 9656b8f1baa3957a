/**
 * Draining a signaling node: it stops admitting at once, asks its clients to move over the drain
 * window (teachers first, hosts last), exits when empty or at the deadline; behind HAProxy, new
 * connections stop reaching it and a client that moves lands on the other node and joins there.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { io as connect } from 'socket.io-client';
import type { HoinghiServer } from '../../signaling/server';
import { TokenVerifier } from '../../signaling/auth/tokens';
import type { WireError } from '../../signaling/protocol/errors';
import { MEETING, call, connectClient, next, request, startServer, testConfig, tokenFor, type TestSocket } from '../../harness/server';
import { startHaproxy, type HaproxyProcess } from '../../harness/haproxy';
import { startSignalingProcess, type SignalingProcess } from '../../harness/signalingProcess';
import { sleep } from '../../harness/wait';

const servers: HoinghiServer[] = [];
let haproxy: HaproxyProcess | null = null;
let proc: SignalingProcess | null = null;
const clients: TestSocket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await haproxy?.stop();
  haproxy = null;
  await proc?.stop();
  proc = null;
  for (const s of servers.splice(0)) await s.close();
});

async function server(env: Record<string, string> = {}): Promise<HoinghiServer> {
  const s = await startServer(env);
  servers.push(s);
  return s;
}

async function client(url: string | HoinghiServer, token: string): Promise<TestSocket> {
  const socket =
    typeof url === 'string'
      ? await new Promise<TestSocket>((resolve, reject) => {
          const s: TestSocket = connect(url, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
          s.once('connect', () => resolve(s));
          s.once('connect_error', (err) => {
            s.close();
            reject(err);
          });
        })
      : await connectClient(url, token);
  clients.push(socket);
  return socket;
}

function connectError(url: string, token: string): Promise<WireError | undefined> {
  return new Promise((resolve) => {
    const s = connect(url, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
    s.once('connect', () => {
      s.close();
      resolve(undefined);
    });
    s.once('connect_error', (err: Error & { data?: WireError }) => {
      s.close();
      resolve(err.data);
    });
  });
}

describe('drain', () => {
  it('a draining node refuses new sockets and joins with a typed, retryable draining error', async () => {
    const s = await server({ HOINGHI_DRAIN_WINDOW_MS: '60000', HOINGHI_DRAIN_DEADLINE_MS: '60000' });
    const early = await client(s, tokenFor(s, { role: 'teacher' }));
    const moved = next(early, 'moveNode');
    void s.drain();
    expect(await moved).toMatchObject({ reason: 'draining' });
    const refused = await connectError(s.url, tokenFor(s, { role: 'teacher' }));
    expect(refused?.code).toBe('draining');
    expect(refused?.retryAfterMs).toBeGreaterThan(0);
    const join = await request(early, 'join', { meetingId: MEETING });
    expect(join.ok).toBe(false);
    if (!join.ok) {
      expect(join.error.code).toBe('draining');
      expect(join.error.retryAfterMs).toBeGreaterThan(0);
    }
    // Refusing a join is not a strike: the socket stays connected until its turn.
    expect(early.connected).toBe(true);
  });

  it('clients are asked to move at times spread over the window, teachers first and the host last', async () => {
    const windowMs = 4_000;
    const s = await server({ HOINGHI_DRAIN_WINDOW_MS: String(windowMs), HOINGHI_DRAIN_DEADLINE_MS: '60000' });
    const teachers = await Promise.all(Array.from({ length: 12 }, () => client(s, tokenFor(s, { role: 'teacher' }))));
    const host = await client(s, tokenFor(s, { role: 'host' }));
    const all = [...teachers, host];
    const turns = all.map((c) => next(c, 'moveNode'));
    void s.drain();
    const afterMs = (await Promise.all(turns)).map((t) => t.afterMs);
    const n = all.length;
    const slot = windowMs / n;
    const sorted = [...afterMs].sort((a, b) => a - b);
    expect(sorted[0]).toBeGreaterThanOrEqual(0);
    expect(sorted[n - 1]).toBeLessThanOrEqual(windowMs);
    // One client per slot of window/n: no two slots apart, none bunched.
    for (let i = 1; i < n; i += 1) expect(sorted[i]! - sorted[i - 1]!).toBeLessThanOrEqual(2 * slot + 1);
    expect(sorted[0]).toBeLessThanOrEqual(slot + 1);
    expect(sorted[n - 1]).toBeGreaterThanOrEqual(windowMs - slot - 1);
    expect(afterMs[n - 1]).toBe(sorted[n - 1]);
  });

  it('a client that stays past its turn is disconnected, and the node reports empty', async () => {
    const s = await server({ HOINGHI_DRAIN_WINDOW_MS: '200', HOINGHI_DRAIN_DEADLINE_MS: '60000' });
    const stubborn = await client(s, tokenFor(s, { role: 'teacher' }));
    const gone = new Promise<string>((resolve) => stubborn.once('disconnect', (reason) => resolve(reason)));
    expect(await s.drain()).toBe('empty');
    expect(await gone).toBe('io server disconnect');
  });

  it('on SIGTERM the process drains and exits 0 once its clients have moved', async () => {
    proc = await startSignalingProcess({ HOINGHI_DRAIN_WINDOW_MS: '1000', HOINGHI_DRAIN_DEADLINE_MS: '60000' });
    const tokens = new TokenVerifier(testConfig().jwt);
    const followers = await Promise.all(
      [1, 2, 3].map((i) => client(proc!.url, tokens.issue({ sub: `t${i}`, name: `t${i}`, role: 'teacher', province: null, school: null, meetings: [MEETING] }, 600))),
    );
    for (const f of followers) f.once('moveNode', ({ afterMs }) => setTimeout(() => f.disconnect(), afterMs));
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(proc.logs.find((l) => l.msg === 'drain finished')).toMatchObject({ outcome: 'empty' });
  }, 150_000);

  it('on SIGTERM the process exits at the deadline when clients do not leave', async () => {
    proc = await startSignalingProcess({ HOINGHI_DRAIN_WINDOW_MS: '500', HOINGHI_DRAIN_DEADLINE_MS: '1500' });
    const tokens = new TokenVerifier(testConfig().jwt);
    await client(proc.url, tokens.issue({ sub: 'stays', name: 'stays', role: 'teacher', province: null, school: null, meetings: [MEETING] }, 600));
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(proc.logs.find((l) => l.msg === 'drain finished')).toMatchObject({ outcome: 'deadline' });
  }, 150_000);
});

describe('drain behind HAProxy', () => {
  it('HAProxy stops routing to the draining node, and a client that moves lands on the other node and joins', async () => {
    const env = { HOINGHI_DRAIN_WINDOW_MS: '3000', HOINGHI_DRAIN_DEADLINE_MS: '60000', HOINGHI_TRUSTED_PROXIES: '127.0.0.1' };
    const a = await server(env);
    const b = await server(env);
    const host = (s: HoinghiServer): string => new URL(s.url).host;
    haproxy = await startHaproxy([host(a), host(b)]);
    await haproxy.waitFor(host(a), 'UP');
    await haproxy.waitFor(host(b), 'UP');
    const token = tokenFor(a, { role: 'teacher' });
    const first = await client(haproxy.url, token);
    await call(first, 'join', { meetingId: MEETING });
    const where = (socket: TestSocket): HoinghiServer | undefined => [a, b].find((s) => s.sockets.io.of('/').sockets.has(socket.id!));
    const draining = where(first)!;
    const other = draining === a ? b : a;
    expect(draining).toBeDefined();

    // The client follows moveNode as the web client does: at its turn it leaves and connects
    // again through HAProxy, retrying after `retryAfterMs` while it reaches a draining node.
    const moved = new Promise<TestSocket>((resolve, reject) => {
      first.once('moveNode', ({ afterMs }) => {
        setTimeout(async () => {
          first.disconnect();
          for (let attempt = 0; attempt < 20; attempt += 1) {
            try {
              resolve(await client(haproxy!.url, token));
              return;
            } catch (error) {
              const data = (error as { data?: WireError }).data;
              if (data?.code !== 'draining') return reject(error as Error);
              await sleep(data.retryAfterMs ?? 500); // the client's own wait: the retry-after it was told
            }
          }
          reject(new Error('never moved'));
        }, afterMs);
      });
    });
    const drained = draining.drain();
    await haproxy.waitFor(host(draining), 'DOWN');
    const second = await moved;
    expect(where(second)).toBe(other);
    expect((await request(second, 'join', { meetingId: MEETING })).ok).toBe(true);
    expect(await drained).toBe('empty');

    // New connections through HAProxy all reach the node that is up.
    const fresh = await Promise.all(Array.from({ length: 10 }, () => client(haproxy!.url, tokenFor(a, { role: 'teacher' }))));
    expect(fresh.every((s) => where(s) === other)).toBe(true);
  });
});
