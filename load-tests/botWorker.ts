/**
 * A client process for the cluster benchmarks (forked by load-tests/bots.ts), so that the clients
 * are not the bottleneck and no process holds more sockets than its file limit. It connects its
 * share of bots from its own loopback source address (127.0.0.2…; one address has ~28k ephemeral
 * ports per server port), runs a join flow, and answers commands over IPC:
 *   connect → joins `count` bots (flow 'join': join only; 'recv': join + recv transport + connect +
 *             startConsuming), reports progress and join latencies;
 *   hands   → toggles hands at `rate`/s for `seconds`, reports each raise's seq and send time;
 *   storm   → bots whose node died reconnect to a surviving node with jittered back-off and run
 *             the flow again; reports each rejoin's completion time;
 *   close   → closes every socket and exits.
 * Times sent to the parent are epoch milliseconds (performance.timeOrigin + now) so that they
 * compare across processes.
 */
import { io, type Socket } from 'socket.io-client';
import { dtlsParameters } from '../harness/media';
import { botToken } from './lib';

export type Flow = 'join' | 'recv';

export type Command =
  | { type: 'connect'; urls: string[]; first: number; count: number; meetingId: string; flow: Flow; concurrency: number; localAddress: string; province: string }
  | { type: 'hands'; rate: number; seconds: number }
  | { type: 'storm'; dead: string; urls: string[]; maxBackoffMs: number }
  | { type: 'status' }
  | { type: 'close' };

export type Report =
  | { type: 'progress'; joined: number; failed: number }
  | { type: 'connected'; joined: number; failed: number; latenciesMs: number[]; errors: string[]; consumers: number[] }
  | { type: 'raises'; raises: { seq: number; sentAt: number }[]; errors: number; sent: number }
  | { type: 'stormDone'; affected: number; rejoinedAt: number[]; failed: number; attempts: number; consumersAfter: number[]; stages: StormStages[]; attemptErrors: Record<string, number> }
  | { type: 'status'; connected: number; disconnects: Record<string, number> }
  | { type: 'closed' };

/** One rejoin after the kill (epoch ms): its socket seen closed, the successful attempt's start, connected, joined, consuming. */
export interface StormStages {
  closedAt: number;
  attemptAt: number;
  connectedAt: number;
  joinedAt: number;
  consumingAt: number;
}

interface Bot {
  index: number;
  url: string;
  socket: Socket;
  consumers: number;
}

const now = (): number => performance.timeOrigin + performance.now();
const send = (r: Report): void => void process.send!(r);

let meetingId = '';
let flow: Flow = 'join';
let localAddress = '127.0.0.1';
let province = '01';
const bots: Bot[] = [];
/** Why sockets closed that the bot did not close itself (socket.io's disconnect reasons). */
const disconnects: Record<string, number> = {};

function open(url: string, index: number): Promise<Socket> {
  const s = io(url, {
    transports: ['websocket'],
    auth: { token: botToken(meetingId, `bot-${index}`, 'teacher', province) },
    reconnection: false,
    forceNew: true,
    localAddress,
  } as Parameters<typeof io>[1]);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('connect timed out'));
    }, 60_000);
    // The server may close the connection before the namespace CONNECT is answered (its auth
    // timeout when it is busy): no connect_error comes then, so fail the attempt at once.
    const closedEarly = (reason: string): void => {
      clearTimeout(timer);
      s.close();
      reject(new Error(`closed before connect: ${reason}`));
    };
    s.io.once('close', closedEarly);
    s.once('connect', () => {
      s.io.off('close', closedEarly);
      clearTimeout(timer);
      s.once('disconnect', (reason) => {
        if (reason !== 'io client disconnect') disconnects[reason] = (disconnects[reason] ?? 0) + 1;
      });
      resolve(s);
    });
    s.once('connect_error', (e) => {
      s.io.off('close', closedEarly);
      clearTimeout(timer);
      s.close();
      reject(e);
    });
  });
}

function ack<T>(s: Socket, event: string, payload: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    s.timeout(60_000).emit(event, payload, (err: Error | null, res: { ok: boolean; data: T; error?: { code: string } }) => {
      if (err) reject(err);
      else if (res.ok) resolve(res.data);
      else reject(new Error(`${event}: ${res.error?.code}`));
    });
  });
}

/** The join flow on an open socket; resolves with the number of consumers started. */
async function runFlow(s: Socket, marks?: { joinedAt?: number }): Promise<number> {
  const join = await ack<{ routerRtpCapabilities: unknown }>(s, 'join', { meetingId });
  if (marks) marks.joinedAt = now();
  if (flow === 'join') return 0;
  const t = await ack<{ id: string }>(s, 'createTransport', { direction: 'recv' });
  await ack(s, 'connectTransport', { transportId: t.id, dtlsParameters });
  const { consumers } = await ack<{ consumers: { id: string }[] }>(s, 'startConsuming', { rtpCapabilities: join.routerRtpCapabilities });
  for (const c of consumers) await ack(s, 'resumeConsumer', { consumerId: c.id });
  return consumers.length;
}

async function connectAll(c: Extract<Command, { type: 'connect' }>): Promise<void> {
  ({ meetingId, flow, localAddress, province } = c);
  const latencies: number[] = [];
  const errors: string[] = [];
  let failed = 0;
  let next = 0;
  let lastReport = 0;
  await Promise.all(
    Array.from({ length: c.concurrency }, async () => {
      while (next < c.count) {
        const k = next++;
        const index = c.first + k;
        const url = c.urls[index % c.urls.length]!;
        const t0 = now();
        try {
          const socket = await open(url, index);
          const bot: Bot = { index, url, socket, consumers: 0 };
          bot.consumers = await runFlow(socket);
          bots.push(bot);
          latencies.push(now() - t0);
        } catch (e) {
          failed += 1;
          if (errors.length < 5) errors.push(e instanceof Error ? e.message : String(e));
        }
        if (now() - lastReport > 1000) {
          lastReport = now();
          send({ type: 'progress', joined: bots.length, failed });
        }
      }
    }),
  );
  send({ type: 'connected', joined: bots.length, failed, latenciesMs: latencies, errors, consumers: bots.map((b) => b.consumers) });
}

async function hands(rate: number, seconds: number): Promise<void> {
  const raised = new Array<boolean>(bots.length).fill(false);
  const raises: { seq: number; sentAt: number }[] = [];
  let errors = 0;
  let sent = 0;
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const pending: Promise<unknown>[] = [];
  await new Promise<void>((resolve) => {
    const start = performance.now();
    const tick = (): void => {
      const due = Math.min(total, Math.floor((performance.now() - start) / interval));
      while (sent < due) {
        const i = Math.floor(Math.random() * bots.length);
        sent += 1;
        const sentAt = now();
        const s = bots[i]!.socket;
        if (raised[i]) {
          raised[i] = false;
          pending.push(ack(s, 'lowerHand', {}).catch(() => (errors += 1)));
        } else {
          raised[i] = true;
          pending.push(ack<{ seq: number }>(s, 'raiseHand', {}).then((r) => raises.push({ seq: r.seq, sentAt }), () => (errors += 1)));
        }
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 2);
    };
    tick();
  });
  await Promise.all(pending);
  send({ type: 'raises', raises, errors, sent });
}

/** Bots on the dead node come back through a surviving node (chosen by index, as a balancer would). */
async function storm(dead: string, urls: string[], maxBackoffMs: number): Promise<void> {
  const affected = bots.filter((b) => b.url === dead);
  const rejoinedAt: number[] = [];
  const consumersAfter: number[] = [];
  const stages: StormStages[] = [];
  const attemptErrors: Record<string, number> = {};
  let failed = 0;
  let attempts = 0;
  await Promise.all(
    affected.map(async (b) => {
      // The socket.io client sees the kernel close the connection when the process dies.
      if (b.socket.connected) await new Promise((r) => b.socket.once('disconnect', r));
      const closedAt = now();
      b.socket.close();
      let backoff = 250;
      for (let attempt = 0; attempt < 8; attempt++) {
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(backoff, maxBackoffMs)));
        backoff *= 2;
        attempts += 1;
        const url = urls[(b.index + attempt) % urls.length]!;
        const attemptAt = now();
        try {
          const socket = await open(url, b.index);
          const connectedAt = now();
          b.socket = socket;
          b.url = url;
          const marks: { joinedAt?: number } = {};
          b.consumers = await runFlow(socket, marks);
          const consumingAt = now();
          rejoinedAt.push(consumingAt);
          consumersAfter.push(b.consumers);
          stages.push({ closedAt, attemptAt, connectedAt, joinedAt: marks.joinedAt ?? NaN, consumingAt });
          return;
        } catch (e) {
          const key = (e instanceof Error ? e.message : String(e)).slice(0, 80);
          attemptErrors[key] = (attemptErrors[key] ?? 0) + 1;
          b.socket.close();
        }
      }
      failed += 1;
    }),
  );
  send({ type: 'stormDone', affected: affected.length, rejoinedAt, failed, attempts, consumersAfter, stages, attemptErrors });
}

process.on('message', (c: Command) => {
  if (c.type === 'connect') void connectAll(c);
  else if (c.type === 'hands') void hands(c.rate, c.seconds);
  else if (c.type === 'storm') void storm(c.dead, c.urls, c.maxBackoffMs);
  else if (c.type === 'status') send({ type: 'status', connected: bots.filter((b) => b.socket.connected).length, disconnects: { ...disconnects } });
  else {
    for (const b of bots) b.socket.close();
    send({ type: 'closed' });
    setTimeout(() => process.exit(0), 200);
  }
});
process.on('disconnect', () => process.exit(0));
