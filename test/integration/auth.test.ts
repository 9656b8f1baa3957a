import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { MEETING, TEST_SECRET, connectClient, forgedToken, startServer, tokenFor } from '../../harness/server';

let server: HoinghiServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

const claims = { sub: 't1', name: 'T', role: 'teacher', province: '01', school: 's', meetings: [MEETING] };
const good = { issuer: 'hoinghi', audience: 'hoinghi', expiresIn: 600 } as const;

async function refusal(token: string | undefined): Promise<unknown> {
  try {
    const s = await connectClient(server, token);
    s.close();
    return 'connected';
  } catch (error) {
    return (error as { data?: unknown }).data;
  }
}

function b64url(x: object): string {
  return Buffer.from(JSON.stringify(x)).toString('base64url');
}

describe('tokens at connect', () => {
  it('accepts a valid token', async () => {
    expect(await refusal(forgedToken(claims, TEST_SECRET, good))).toBe('connected');
  });

  it('refuses a missing token', async () => {
    expect(await refusal(undefined)).toEqual({ code: 'unauthorized', message: 'token missing' });
  });

  it('refuses an expired token', async () => {
    const token = forgedToken({ ...claims, exp: Math.floor(Date.now() / 1000) - 3600 }, TEST_SECRET, {
      issuer: 'hoinghi',
      audience: 'hoinghi',
    });
    expect(await refusal(token)).toEqual({ code: 'unauthorized', message: 'token expired' });
  });

  it('refuses a token signed with another key', async () => {
    const token = forgedToken(claims, 'another-key-another-key-another-key-123', good);
    expect(await refusal(token)).toEqual({ code: 'unauthorized', message: 'token invalid' });
  });

  it('refuses an alg:none token', async () => {
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ ...claims, iss: 'hoinghi', aud: 'hoinghi', exp: 9999999999 })}.`;
    expect(await refusal(token)).toEqual({ code: 'unauthorized', message: 'token invalid' });
  });

  it('refuses a token for another audience or issuer', async () => {
    expect(await refusal(forgedToken(claims, TEST_SECRET, { ...good, audience: 'other' }))).toMatchObject({ code: 'unauthorized' });
    expect(await refusal(forgedToken(claims, TEST_SECRET, { ...good, issuer: 'other' }))).toMatchObject({ code: 'unauthorized' });
  });

  it('refuses a well-signed token whose claims are invalid', async () => {
    const token = forgedToken({ ...claims, role: 'admin' }, TEST_SECRET, good);
    expect(await refusal(token)).toEqual({ code: 'unauthorized', message: 'token claims invalid' });
  });

  it('never echoes the token in the refusal', async () => {
    const token = forgedToken(claims, 'another-key-another-key-another-key-123', good);
    expect(JSON.stringify(await refusal(token))).not.toContain(token.slice(0, 20));
  });

  it('issues demo tokens that connect', async () => {
    const res = await fetch(`${server.url}/api/demo/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accountId: 'gv-hn-1' }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; account: { role: string; province: string } };
    expect(body.account).toMatchObject({ role: 'teacher', province: '01' });
    expect(await refusal(body.token)).toBe('connected');
    expect(tokenFor(server, { role: 'teacher' })).toBeTypeOf('string');
  });
});

describe('demo sign-in configuration', () => {
  it('is impossible unless enabled', async () => {
    const off = await import('../../harness/server').then((h) => h.startServer({ HOINGHI_DEMO_SIGNIN: 'false' }));
    try {
      const res = await fetch(`${off.url}/api/demo/signin`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ accountId: 'bo-truong' }),
      });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'demo sign-in is disabled' } });
    } finally {
      await off.close();
    }
  });
});
