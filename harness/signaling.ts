/**
 * Signaling node processes (signaling/main.ts) for cluster tests and benchmarks: each its own
 * process on a free loopback port, in cluster mode against one Redis (or a Sentinel group) and the SFU nodes announced
 * there, sharing one token key. Killed with SIGKILL, a node dies as a machine would.
 */
import type { ChildProcess } from 'node:child_process';
import jwt from 'jsonwebtoken';
import { io as connect } from 'socket.io-client';
import type { ClaimsInput } from '../signaling/auth/tokens';
import { SFU_SECRET, freePort, redisEnv, stopChild, type RedisSettings } from './cluster';
import type { NetHost } from './netns';
import { MEETING, TEST_SECRET, type TestSocket } from './server';
import { startSignalingProcess } from './signalingProcess';

export interface SignalingProcess {
  nodeId: string;
  url: string;
  child: ChildProcess;
  /** Its log lines so far (parsed JSON, at the level LOG_LEVEL / SIGNALING_LOG_LEVEL lets through). */
  logs: Record<string, unknown>[];
  kill(): void;
  stop(): Promise<void>;
}

/**
 * Starts a signaling node in cluster mode and resolves once it serves HTTP. With `host`
 * (harness/netns.ts), in that host on its own address.
 */
export async function startSignalingNode(redis: RedisSettings, nodeId: string, env: Record<string, string> = {}, options: { host?: NetHost } = {}): Promise<SignalingProcess> {
  const listen: Record<string, string> = options.host ? {} : { HOINGHI_HOST: '127.0.0.1', HOINGHI_PORT: String(await freePort()) };
  const { url, child, logs } = await startSignalingProcess({
    LOG_LEVEL: process.env.SIGNALING_LOG_LEVEL ?? 'warn',
    ...listen,
    HOINGHI_NODE_ID: nodeId,
    HOINGHI_SFU: 'cluster',
    ...redisEnv(redis),
    HOINGHI_SFU_SECRET: SFU_SECRET,
    HOINGHI_STATS_INTERVAL_MS: '200',
    HOINGHI_DEPARTURE_GRACE_MS: '60000',
    // Every test client connects from 127.0.0.1: lift the per-IP socket caps.
    HOINGHI_MAX_PENDING_PER_IP: '100000',
    HOINGHI_MAX_SOCKETS_PER_IP: '1000000',
    ...env,
  }, options);
  return { nodeId, url, child, logs, kill: () => child.kill('SIGKILL'), stop: () => stopChild(child) };
}

let counter = 0;

/** A token every node of the test cluster accepts (they share TEST_SECRET). */
export function clusterToken(claims: Partial<ClaimsInput> & Pick<ClaimsInput, 'role'>, ttlS = 3600): string {
  counter += 1;
  const sub = claims.sub ?? `${claims.role}-${counter}`;
  return jwt.sign(
    { sub, name: claims.name ?? sub, province: null, school: null, meetings: [MEETING], ...claims, role: claims.role },
    TEST_SECRET,
    { algorithm: 'HS256', expiresIn: ttlS, issuer: 'hoinghi', audience: 'hoinghi' },
  );
}

/** Connects a test client to one node (as a balancer would have sent it there). */
export function connectTo(url: string, token: string): Promise<TestSocket> {
  const socket: TestSocket = connect(url, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err: Error) => {
      socket.close();
      reject(err);
    });
  });
}
