/**
 * HTTP routes: probes, metrics, demo sign-in, and the province list. Bodies are validated with
 * zod and capped in size; errors are JSON `{ error: { code, message } }`.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { SfuControl } from '../../sfu/types';
import { DEMO_ACCOUNTS, demoAccount, demoAccountInfo } from '../auth/demoAccounts';
import type { TokenVerifier } from '../auth/tokens';
import { TokenBucket } from '../rateLimit';
import { PROVINCES } from '../data/provinces';
import { AppError } from '../protocol/errors';
import type { AuthConfigAnswer, DemoAccountsAnswer, DemoSignInAnswer, ProvincesAnswer } from '../protocol/http';
import type { Metrics } from '../metrics';
import type { TrustedProxies } from '../edge/clientAddress';
import type { Readiness } from '../edge/readiness';
import { logger } from '../../common/log';

const log = logger('http');

export interface RouteDeps {
  sfu: SfuControl;
  metrics: Metrics;
  tokens: TokenVerifier;
  /** Sign-ins per minute per account from one IP. */
  signInPerMin: number;
  /** Sign-ins per minute from one IP, whatever the account (the brute-force ceiling). */
  signInPerIpPerMin: number;
  /** Serve /metrics here (false when it has its own port). */
  serveMetrics: boolean;
  demo: { enabled: boolean; meetingId: string; tokenTtlS: number };
  /** Sign-in with the ministry's account is mounted (http/authRoutes.ts). */
  oidc: boolean;
  /** Who the client is (X-Forwarded-For only from trusted proxies), for per-IP limits. */
  trusted: TrustedProxies;
  readiness: () => Promise<Readiness>;
}

const signInBody = z.object({ accountId: z.string().min(1).max(64) });

const STATUS: Record<string, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  quota_exceeded: 429,
  unavailable: 503,
};

export function apiRouter(deps: RouteDeps): Router {
  const router = express.Router();
  router.use(express.json({ limit: '4kb' }));

  // Liveness: the process answers. Whether it should get traffic is /readyz.
  router.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok', uptimeS: Math.round(process.uptime()) });
  });

  router.get('/readyz', async (_req, res, next) => {
    try {
      const r = await deps.readiness();
      res.setHeader('Cache-Control', 'no-store');
      res.status(r.ready ? 200 : 503).json(r.ready ? { status: 'ready', checks: r.checks } : { status: 'not_ready', reason: r.reason, checks: r.checks });
    } catch (error) {
      next(error);
    }
  });

  if (deps.serveMetrics) router.get('/metrics', metricsHandler(deps.metrics));

  router.get('/api/provinces', (_req, res) => {
    res.json({ provinces: PROVINCES } satisfies ProvincesAnswer);
  });

  router.get('/api/auth/config', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ oidc: deps.oidc, demo: deps.demo.enabled } satisfies AuthConfigAnswer);
  });

  router.get('/api/demo/accounts', (_req, res) => {
    if (!deps.demo.enabled) throw new AppError('not_found', 'demo sign-in is disabled');
    res.json({
      meetingId: deps.demo.meetingId,
      accounts: DEMO_ACCOUNTS.map((a) => demoAccountInfo(a)),
    } satisfies DemoAccountsAnswer);
  });

  // Two limits: per account and IP together (a school's teachers share one public IP behind NAT,
  // so a per-IP limit alone would lock a whole school out at the start of a meeting), and a
  // higher per-IP ceiling whatever the account (brute force and enumeration from one address).
  const perAccount = new IpRateLimit(deps.signInPerMin / 60, Math.max(1, Math.ceil(deps.signInPerMin / 6)));
  const perIp = new IpRateLimit(deps.signInPerIpPerMin / 60, Math.max(1, Math.ceil(deps.signInPerIpPerMin / 6)));
  router.post('/api/demo/signin', (req, res) => {
    if (!deps.demo.enabled) throw new AppError('not_found', 'demo sign-in is disabled');
    const ip = deps.trusted.clientOf(req);
    perIp.check(ip);
    const body = signInBody.safeParse(req.body);
    if (!body.success) throw new AppError('bad_request', 'accountId is required');
    perAccount.check(`${ip} ${body.data.accountId}`);
    const account = demoAccount(body.data.accountId);
    if (!account) throw new AppError('not_found', 'no such demo account');
    const token = deps.tokens.issue({ ...account.claims, meetings: [deps.demo.meetingId] }, deps.demo.tokenTtlS);
    res.json({ token, meetingId: deps.demo.meetingId, account: demoAccountInfo(account) } satisfies DemoSignInAnswer);
  });

  return router;
}

export function metricsHandler(metrics: Metrics) {
  return async (_req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    } catch (error) {
      next(error);
    }
  };
}

/** Token buckets per key (a client IP, or an IP and an account), bounded in number (the oldest are forgotten first). */
export class IpRateLimit {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxIps: number;

  constructor(ratePerSecond: number, burst: number, maxIps = 100_000) {
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#maxIps = maxIps;
  }

  /** Throws AppError('rate_limited') when this IP is over its budget. */
  check(ip: string): void {
    let bucket = this.#buckets.get(ip);
    if (!bucket) {
      if (this.#buckets.size >= this.#maxIps) this.#buckets.delete(this.#buckets.keys().next().value!);
      bucket = new TokenBucket(this.#rate, this.#burst);
      this.#buckets.set(ip, bucket);
    }
    const wait = bucket.take();
    if (wait > 0) throw new AppError('rate_limited', 'too many requests', wait);
  }
}

/** The last express handler: typed JSON errors; never a stack trace or a token. */
export function errorHandler(error: unknown, req: Request, res: Response, _next: NextFunction): void {
  if (res.headersSent) {
    log.warn({ err: error, method: req.method, path: req.path }, 'answer cut half-way');
    // A streamed answer (an export) failed half-way: cut it, so the client sees it incomplete.
    res.destroy();
    return;
  }
  if (error instanceof AppError) {
    if (error.retryAfterMs !== undefined) res.setHeader('Retry-After', String(Math.ceil(error.retryAfterMs / 1000)));
    res.status(STATUS[error.code] ?? 400).json({ error: error.toWire() });
    return;
  }
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // body-parser errors: malformed JSON, too large, wrong charset.
    res.status(status).json({ error: { code: 'bad_request', message: 'malformed request body' } });
    return;
  }
  // A bug (bad input must have been refused before): said in the log, never in the answer. The
  // path, not the URL: a query string may carry personal data.
  log.error({ err: error, method: req.method, path: req.path }, 'internal error answering a request');
  res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
}
