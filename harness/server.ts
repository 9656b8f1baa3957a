/**
 * Test harness: a real hoinghi node (real mediasoup workers, real socket.io) on loopback with
 * ephemeral ports, plus typed socket.io clients and token helpers.
 */
import { io as connect, type Socket } from 'socket.io-client';
import jwt from 'jsonwebtoken';
import { loadConfig, type Config } from '../signaling/config';
import { HoinghiServer } from '../signaling/server';
import type { ClaimsInput } from '../signaling/auth/tokens';
import type { Ack, ClientResultMap, ClientToServerEvents, ServerToClientEvents } from '../signaling/protocol/events';

export const TEST_SECRET = 'test-secret-test-secret-test-secret-0123456789';
export const MEETING = 'test-meeting';

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A test node's settings; an override of '' removes that setting. */
export function testConfig(env: Record<string, string> = {}): Config {
  const merged: Record<string, string> = {
    HOINGHI_PORT: '0',
    HOINGHI_WORKERS: '1',
    HOINGHI_RTC_BASE_PORT: '0',
    HOINGHI_RTC_MIN_PORT: '42000',
    HOINGHI_RTC_MAX_PORT: '43999',
    HOINGHI_JWT_SECRET: TEST_SECRET,
    HOINGHI_DEMO_SIGNIN: 'true',
    // Every browser of a test signs in from 127.0.0.1: one IP, so the per-IP limit is raised.
    HOINGHI_SIGNIN_PER_MIN: '600',
    // …and every socket of a test comes from 127.0.0.1 too: the per-IP socket caps are raised
    // (the tests of those caps set them).
    HOINGHI_MAX_PENDING_PER_IP: '100000',
    HOINGHI_MAX_SOCKETS_PER_IP: '1000000',
    HOINGHI_DEMO_MEETING: MEETING,
    HOINGHI_STATS_INTERVAL_MS: '200',
    ...env,
  };
  return loadConfig(Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== '')));
}

export async function startServer(env: Record<string, string> = {}): Promise<HoinghiServer> {
  return HoinghiServer.create(testConfig(env));
}

let counter = 0;

export function tokenFor(
  server: HoinghiServer,
  claims: Partial<ClaimsInput> & Pick<ClaimsInput, 'role'>,
  ttlS = 3600,
): string {
  counter += 1;
  const sub = claims.sub ?? `${claims.role}-${counter}`;
  return server.tokens.issue({ sub, name: claims.name ?? sub, province: null, school: null, meetings: [MEETING], ...claims }, ttlS);
}

/** Connects and resolves once connected, or rejects with the server's connect_error data. */
export function connectClient(server: HoinghiServer, token: string | undefined): Promise<TestSocket> {
  const socket: TestSocket = connect(server.url, {
    transports: ['websocket'],
    auth: token === undefined ? {} : { token },
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err: Error & { data?: unknown }) => {
      socket.close();
      reject(err);
    });
  });
}

/** The socket disconnected before the server acknowledged the request. */
export class SocketGoneError extends Error {
  constructor(readonly event: string) {
    super(`the socket disconnected before the ack of ${event}`);
    this.name = 'SocketGoneError';
  }
}

export interface AckOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** The error to reject with when no ack arrives in time (default: "no ack for <event>"). */
  timeoutError?: () => Error;
  /**
   * Reject at once with `SocketGoneError` when the socket disconnects before the ack (an ack
   * never comes after that), instead of waiting for the timeout.
   */
  failOnDisconnect?: boolean;
}

/**
 * Sends an event and resolves with its ack (whatever the outcome): the one ack helper of the
 * tests. A number as the last argument is the timeout.
 */
export function request<E extends keyof ClientResultMap>(
  socket: TestSocket,
  event: E,
  payload: unknown,
  options: number | AckOptions = {},
): Promise<Ack<ClientResultMap[E]>> {
  const { timeoutMs = 10_000, timeoutError, failOnDisconnect = false } = typeof options === 'number' ? { timeoutMs: options } : options;
  return new Promise((resolve, reject) => {
    const onGone = (): void => {
      clearTimeout(timer);
      reject(new SocketGoneError(event));
    };
    const timer = setTimeout(() => {
      socket.off('disconnect', onGone);
      reject(timeoutError?.() ?? new Error(`no ack for ${event}`));
    }, timeoutMs);
    if (failOnDisconnect) socket.once('disconnect', onGone);
    (socket.emit as (ev: string, p: unknown, cb: (r: Ack<ClientResultMap[E]>) => void) => void)(event, payload, (res) => {
      clearTimeout(timer);
      socket.off('disconnect', onGone);
      resolve(res);
    });
  });
}

/** Like `request`, but throws unless the ack is ok, and returns its data. */
export async function call<E extends keyof ClientResultMap>(socket: TestSocket, event: E, payload: unknown): Promise<ClientResultMap[E]> {
  const res = await request(socket, event, payload);
  if (!res.ok) throw new Error(`${event} failed: ${res.error.code} ${res.error.message}`);
  return res.data;
}

/** Waits for one server event. */
export function next<E extends keyof ServerToClientEvents>(
  socket: TestSocket,
  event: E,
  timeoutMs = 10_000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} event`)), timeoutMs);
    (socket.once as (ev: string, cb: (arg: unknown) => void) => void)(event, (arg) => {
      clearTimeout(timer);
      resolve(arg as Parameters<ServerToClientEvents[E]>[0]);
    });
  });
}

export function forgedToken(payload: object, secret: string, options: jwt.SignOptions = {}): string {
  return jwt.sign(payload, secret, { algorithm: 'HS256', ...options });
}
