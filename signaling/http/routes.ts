/**
 * HTTP routes: health, metrics, demo sign-in, and the province list. Bodies are validated with
 * zod and capped in size; errors are JSON `{ error: { code, message } }`.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { SfuControl } from '../../sfu/types';
import { DEMO_ACCOUNTS, demoAccount } from '../auth/demoAccounts';
import { issueToken, type TokenKeys } from '../auth/tokens';
import { PROVINCES } from '../data/provinces';
import { AppError } from '../protocol/errors';
import type { Metrics } from '../metrics';

export interface RouteDeps {
  sfu: SfuControl;
  metrics: Metrics;
  tokenKeys: TokenKeys;
  demo: { enabled: boolean; meetingId: string; tokenTtlS: number };
}

const signInBody = z.object({ accountId: z.string().min(1).max(64) });

const STATUS: Record<string, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  rate_limited: 429,
  unavailable: 503,
};

export function apiRouter(deps: RouteDeps): Router {
  const router = express.Router();
  router.use(express.json({ limit: '4kb' }));

  router.get('/healthz', (_req, res) => {
    const { workersAlive } = deps.sfu.stats();
    res.status(workersAlive > 0 ? 200 : 503).json({ status: workersAlive > 0 ? 'ok' : 'degraded', workersAlive });
  });

  router.get('/metrics', async (_req, res, next) => {
    try {
      res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    } catch (error) {
      next(error);
    }
  });

  router.get('/api/provinces', (_req, res) => {
    res.json({ provinces: PROVINCES });
  });

  router.get('/api/demo/accounts', (_req, res) => {
    if (!deps.demo.enabled) throw new AppError('not_found', 'demo sign-in is disabled');
    res.json({
      meetingId: deps.demo.meetingId,
      accounts: DEMO_ACCOUNTS.map((a) => ({ id: a.id, ...a.claims })),
    });
  });

  router.post('/api/demo/signin', (req, res) => {
    if (!deps.demo.enabled) throw new AppError('not_found', 'demo sign-in is disabled');
    const body = signInBody.safeParse(req.body);
    if (!body.success) throw new AppError('bad_request', 'accountId is required');
    const account = demoAccount(body.data.accountId);
    if (!account) throw new AppError('not_found', 'no such demo account');
    const token = issueToken(deps.tokenKeys, { ...account.claims, meetings: [deps.demo.meetingId] }, deps.demo.tokenTtlS);
    res.json({ token, meetingId: deps.demo.meetingId, account: { id: account.id, ...account.claims } });
  });

  return router;
}

/** The last express handler: typed JSON errors; never a stack trace or a token. */
export function errorHandler(error: unknown, _req: Request, res: Response, _next: NextFunction): void {
  if (error instanceof AppError) {
    res.status(STATUS[error.code] ?? 400).json({ error: error.toWire() });
    return;
  }
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // body-parser errors: malformed JSON, too large, wrong charset.
    res.status(status).json({ error: { code: 'bad_request', message: 'malformed request body' } });
    return;
  }
  res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
}
