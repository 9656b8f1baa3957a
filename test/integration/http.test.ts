import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';

describe('the HTTP surface', () => {
  let server: HoinghiServer;
  beforeAll(async () => {
    server = await startServer({ HOINGHI_SIGNIN_PER_MIN: '12', HOINGHI_CORS_ORIGINS: 'https://hoinghi.moet.gov.vn' });
  });
  afterAll(async () => server.close());

  const signIn = (body: string) =>
    fetch(`${server.url}/api/demo/signin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('answers malformed, oversized and unknown sign-in bodies with typed errors', async () => {
    expect(await (await signIn('{not json')).json()).toEqual({ error: { code: 'bad_request', message: 'malformed request body' } });
    expect((await signIn(JSON.stringify({ accountId: 'x'.repeat(10_000) }))).status).toBe(413);
    expect(await (await signIn('{"accountId":"nobody"}')).json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('rate-limits sign-in per account and IP address with 429 and Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 10; i++) {
      const res = await signIn('{"accountId":"gv-hn-1"}');
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    expect(statuses).toContain(200);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });

  it('does not lock out a school whose teachers sign in from one public IP', async () => {
    // gv-hn-1 is over its own budget (previous test); every other account from the same IP is not.
    const others = ['gv-hn-2', 'gv-hcm-1', 'gv-hcm-2', 'gv-dn-1', 'gv-cm-1', 'gv-lc-1', 'so-ha-noi', 'so-hcm'];
    for (const accountId of others) {
      for (let i = 0; i < 2; i++) expect((await signIn(JSON.stringify({ accountId }))).status).toBe(200);
    }
    expect((await signIn('{"accountId":"gv-hn-1"}')).status).toBe(429);
  });

  it('sends security headers and a strict Content-Security-Policy', async () => {
    const res = await fetch(`${server.url}/healthz`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('allows cross-origin calls only from configured origins', async () => {
    const ok = await fetch(`${server.url}/api/provinces`, { headers: { origin: 'https://hoinghi.moet.gov.vn' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://hoinghi.moet.gov.vn');
    const evil = await fetch(`${server.url}/api/provinces`, { headers: { origin: 'https://evil.example' } });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves the 34 provinces', async () => {
    const body = (await (await fetch(`${server.url}/api/provinces`)).json()) as { provinces: { code: string; name: string }[] };
    expect(body.provinces).toHaveLength(34);
    expect(new Set(body.provinces.map((p) => p.code)).size).toBe(34);
  });
});

describe('the per-IP sign-in ceiling', () => {
  it('refuses one IP that signs in as many different accounts, with a translated code and Retry-After', async () => {
    const server = await startServer({ HOINGHI_SIGNIN_PER_MIN: '600', HOINGHI_SIGNIN_PER_IP_PER_MIN: '30' });
    try {
      const accounts = ['gv-hn-1', 'gv-hn-2', 'gv-hcm-1', 'gv-hcm-2', 'gv-dn-1', 'gv-cm-1', 'gv-lc-1'];
      const statuses: number[] = [];
      let body: unknown = null;
      for (const accountId of accounts) {
        const res = await fetch(`${server.url}/api/demo/signin`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ accountId }),
        });
        statuses.push(res.status);
        if (res.status === 429) {
          body = await res.json();
          expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        }
      }
      // Burst of 5 (30/min), then refused though every account is fresh.
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses.slice(5)).toEqual([429, 429]);
      expect(body).toMatchObject({ error: { code: 'rate_limited' } });
    } finally {
      await server.close();
    }
  });
});

describe('metrics on a separate port', () => {
  it('moves /metrics off the public port', async () => {
    const server = await startServer({ HOINGHI_METRICS_PORT: '0' });
    try {
      expect(server.metricsUrl).not.toBe(`${server.url}/metrics`);
      const res = await fetch(server.metricsUrl);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('hoinghi_workers_alive');
      expect((await fetch(`${server.url}/metrics`)).status).not.toBe(200);
    } finally {
      await server.close();
    }
  });
});
