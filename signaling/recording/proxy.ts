/**
 * Passes an HLS request to the signaling node that has the files (a live stream's origin, or the
 * node that made a recording), streaming its answer back unchanged: status, the caching headers a
 * CDN honours, byte ranges. The request carries the viewer's own Authorization, so the other node
 * checks the audience itself; `x-hoinghi-hop` marks it so that it is never passed on again.
 */
import http from 'node:http';
import type { Request, Response } from 'express';
import { logger } from '../../common/log';
import { AppError } from '../protocol/errors';

const log = logger('hls-proxy');

export const HOP_HEADER = 'x-hoinghi-hop';
const FORWARDED_REQUEST = ['authorization', 'range', 'if-none-match', 'if-modified-since', 'if-range', 'accept-encoding'];
const FORWARDED_RESPONSE = ['content-type', 'content-length', 'content-range', 'content-encoding', 'accept-ranges', 'cache-control', 'etag', 'last-modified', 'retry-after', 'vary'];
const TIMEOUT_MS = 10_000;

/** Where the requests passed on are counted (the metric `hoinghi_hls_proxied_total`). */
export interface ProxyCounter {
  proxied: number;
}

/** Whether this request was already passed on by another node. */
export const isHop = (req: Request): boolean => req.headers[HOP_HEADER] !== undefined;

/**
 * Sends a GET for `path` to the node at `baseUrl` (from the index), with `req`'s forwarded headers,
 * and its answer to `res`; counts it in `counter`. The route builds `path` from its checked
 * parameters: the request line never chooses where a request goes (an absolute-form target
 * `GET http://elsewhere/...` once made a node fetch any host with the caller's token).
 */
export function proxyTo(baseUrl: string, path: string, req: Request, res: Response, counter: ProxyCounter): Promise<void> {
  const base = new URL(baseUrl);
  if (!path.startsWith('/') || path.startsWith('//')) throw new AppError('bad_request', 'invalid path');
  const target = new URL(path, base);
  if (target.origin !== base.origin) throw new AppError('bad_request', 'invalid path');
  counter.proxied += 1;
  const headers: Record<string, string> = { [HOP_HEADER]: '1' };
  for (const name of FORWARDED_REQUEST) {
    const v = req.headers[name];
    if (typeof v === 'string') headers[name] = v;
  }
  return new Promise<void>((resolve, reject) => {
    const out = http.request(target, { method: 'GET', headers, timeout: TIMEOUT_MS }, (answer) => {
      res.status(answer.statusCode ?? 502);
      for (const name of FORWARDED_RESPONSE) {
        const v = answer.headers[name];
        if (v !== undefined) res.setHeader(name, v);
      }
      answer.pipe(res);
      answer.once('end', resolve);
      answer.once('error', reject);
    });
    out.once('timeout', () => out.destroy(new Error('timed out')));
    out.once('error', (err) => {
      log.warn({ target: target.origin, path: target.pathname, err: String(err) }, 'the node with the files did not answer');
      if (res.headersSent) {
        res.destroy();
        resolve();
      } else reject(new AppError('unavailable', 'the server that has this stream is not reachable; try again shortly'));
    });
    req.once('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    out.end();
  });
}
