import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { clientEventSchemas, type ClientEventName } from '../../signaling/protocol/schemas';
import { connectClient, next, request, startServer, tokenFor, type TestSocket } from '../../harness/server';
import { collect, joinAndPublish, joinAsViewer } from '../helpers/flows';
import { until } from '../../harness/wait';
import { dtlsParameters } from '../../harness/media';

let server: HoinghiServer;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  server = await startServer();
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});
afterAll(async () => {
  await server.close();
});

let deep: unknown = 'leaf';
for (let i = 0; i < 200; i++) deep = { a: deep };

/** Payloads no event accepts. */
const malformed: [string, unknown][] = [
  ['undefined', undefined],
  ['null', null],
  ['a number', 42],
  ['a string', 'join'],
  ['an array', [1, 2, 3]],
  ['deep nesting', deep],
  ['a huge string', { meetingId: 'x'.repeat(20_000) }],
  ['prototype pollution keys', JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}')],
];
/** Wrong field types for events that take fields. */
const wrongFields: unknown[] = [
  {},
  { meetingId: 5, transportId: [], producerId: {}, consumerId: null, direction: 'sideways', kind: 'smell' },
  { transportId: 'x', dtlsParameters: { fingerprints: [] }, rtpParameters: { codecs: [] }, rtpCapabilities: { codecs: 'all' } },
];

async function healthySnapshot() {
  return { ...server.sfu.stats(), workers: undefined };
}

describe('malformed payloads', () => {
  const events = Object.keys(clientEventSchemas) as ClientEventName[];

  it.each(events)('%s: every malformed payload gets a typed bad_request and changes nothing', async (event) => {
    const host = await joinAndPublish(server);
    const viewer = await joinAsViewer(server);
    sockets.push(host.socket, viewer.socket);
    const before = await healthySnapshot();
    const attacker = await connectClient(server, tokenFor(server, { role: 'host' }));
    sockets.push(attacker);
    // Events that take no fields accept any object; the rest must refuse wrong fields too.
    const takesFields = !clientEventSchemas[event].safeParse({}).success;
    const cases = [...malformed.map(([, p]) => p), ...(takesFields ? wrongFields : [])];
    for (const payload of cases) {
      const res = await request(attacker, event, payload);
      expect(res.ok, `${event} ${JSON.stringify(payload)?.slice(0, 60)}`).toBe(false);
      if (!res.ok) expect(res.error.code).toBe('bad_request');
    }
    expect(await healthySnapshot()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // The meeting alongside keeps working: a new teacher still receives the host.
    const late = await joinAsViewer(server);
    sockets.push(late.socket);
    expect(late.consumers.map((c) => c.producerId).sort()).toEqual(Object.values(host.producers).sort());
  });

  it('answers valid events before join with not_joined', async () => {
    const s = await connectClient(server, tokenFor(server, { role: 'host' }));
    sockets.push(s);
    expect(await request(s, 'createTransport', { direction: 'recv' })).toMatchObject({ ok: false, error: { code: 'not_joined' } });
    expect(await request(s, 'connectTransport', { transportId: 'abc', dtlsParameters })).toMatchObject({
      ok: false,
      error: { code: 'not_joined' },
    });
  });

  it('answers an unknown event with unknown_event', async () => {
    const s = await connectClient(server, tokenFor(server, { role: 'teacher' }));
    sockets.push(s);
    const res = await request(s, 'becomeAdmin' as never, {});
    expect(res).toMatchObject({ ok: false, error: { code: 'unknown_event' } });
  });

  it('reports an error for an event sent without ack as protocolError', async () => {
    const s = await connectClient(server, tokenFor(server, { role: 'teacher' }));
    sockets.push(s);
    const err = next(s, 'protocolError');
    (s.emit as (ev: string, p: unknown) => void)('join', { meetingId: 42 });
    expect(await err).toMatchObject({ code: 'bad_request', event: 'join' });
  });

  it('drops a connection whose frame exceeds the buffer limit, and keeps serving others', async () => {
    const host = await joinAndPublish(server);
    sockets.push(host.socket);
    const s = await connectClient(server, tokenFor(server, { role: 'teacher' }));
    const gone = new Promise<string>((resolve) => s.once('disconnect', (reason) => resolve(reason)));
    (s.emit as (ev: string, p: unknown) => void)('join', { meetingId: 'x'.repeat(200_000) });
    expect(await gone).toBe('transport close');
    const late = await joinAsViewer(server);
    sockets.push(late.socket);
    expect(late.consumers).toHaveLength(2);
  });

  it('rate-limits a flooding socket with rate_limited and a retry-after', async () => {
    const s = await connectClient(server, tokenFor(server, { role: 'teacher' }));
    sockets.push(s);
    const errors = collect<{ code: string; retryAfterMs?: number }>(s, 'protocolError');
    for (let i = 0; i < 300; i++) (s.emit as (ev: string, p: unknown) => void)('leave', {});
    await until(() => errors.some((e) => e.code === 'rate_limited'), { timeoutMs: 5_000, what: 'rate_limited' });
    expect(errors.find((e) => e.code === 'rate_limited')!.retryAfterMs).toBeGreaterThan(0);
  });
});
