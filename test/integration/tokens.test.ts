import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { ConfigError, loadConfig } from '../../signaling/config';
import { MEETING, call, connectClient, next, request, startServer } from '../../harness/server';
import { sleep } from '../../harness/wait';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-keys-'));
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ecPem = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
fs.writeFileSync(path.join(dir, 'ec.pem'), ecPem);
fs.writeFileSync(
  path.join(dir, 'jwks.json'),
  JSON.stringify({ keys: [{ ...rsa.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' }] }),
);

const claims = { sub: 't1', name: 'T', role: 'teacher' as const, province: '01', school: 's', meetings: [MEETING] };
const std = { issuer: 'hoinghi', audience: 'hoinghi', expiresIn: 600 } as const;
const now = (): number => Math.floor(Date.now() / 1000);

async function outcome(server: HoinghiServer, token: string): Promise<unknown> {
  try {
    (await connectClient(server, token)).close();
    return 'accepted';
  } catch (error) {
    return (error as { data?: { code: string; message: string } }).data?.message;
  }
}

function b64(x: object): string {
  return Buffer.from(JSON.stringify(x)).toString('base64url');
}

describe('ES256 with a public key file', () => {
  let server: HoinghiServer;
  beforeAll(async () => {
    server = await startServer({
      HOINGHI_JWT_SECRET: '',
      HOINGHI_DEMO_SIGNIN: 'false',
      HOINGHI_JWT_ALG: 'ES256',
      HOINGHI_JWT_PUBLIC_KEY_FILE: path.join(dir, 'ec.pem'),
      HOINGHI_JWT_CLOCK_SKEW_S: '30',
    });
  });
  afterAll(async () => server.close());

  const cases: [string, () => string, string][] = [
    ['a valid ES256 token', () => jwt.sign(claims, ec.privateKey, { ...std, algorithm: 'ES256' }), 'accepted'],
    ['an HS256 token signed with the public key as secret (algorithm confusion)', () => jwt.sign(claims, ecPem, { ...std, algorithm: 'HS256' }), 'token invalid'],
    ['an alg:none token', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, iss: 'hoinghi', aud: 'hoinghi', exp: now() + 600 })}.`, 'token invalid'],
    ['an RS256 token', () => jwt.sign(claims, rsa.privateKey, { ...std, algorithm: 'RS256' }), 'token invalid'],
    ['an expired token (past the skew)', () => jwt.sign({ ...claims, exp: now() - 120 }, ec.privateKey, { issuer: 'hoinghi', audience: 'hoinghi', algorithm: 'ES256' }), 'token expired'],
    ['a token expired within the skew', () => jwt.sign({ ...claims, exp: now() - 10 }, ec.privateKey, { issuer: 'hoinghi', audience: 'hoinghi', algorithm: 'ES256' }), 'accepted'],
    ['a token not yet valid (nbf past the skew)', () => jwt.sign({ ...claims, nbf: now() + 300 }, ec.privateKey, { ...std, algorithm: 'ES256' }), 'token not yet valid'],
    ['a token whose nbf is within the skew', () => jwt.sign({ ...claims, nbf: now() + 10 }, ec.privateKey, { ...std, algorithm: 'ES256' }), 'accepted'],
    ['a token for another issuer', () => jwt.sign(claims, ec.privateKey, { ...std, issuer: 'evil', algorithm: 'ES256' }), 'token invalid'],
    ['a token for another audience', () => jwt.sign(claims, ec.privateKey, { ...std, audience: 'evil', algorithm: 'ES256' }), 'token invalid'],
    ['a token without exp', () => jwt.sign(claims, ec.privateKey, { issuer: 'hoinghi', audience: 'hoinghi', algorithm: 'ES256' }), 'token claims invalid'],
  ];
  it.each(cases)('%s → %s', async (_name, make, expected) => {
    expect(await outcome(server, make())).toBe(expected);
  });

  it('has no demo sign-in', async () => {
    const res = await fetch(`${server.url}/api/demo/signin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"accountId":"bo-truong"}' });
    expect(res.status).toBe(404);
  });
});

describe('RS256 with a JWKS file', () => {
  let server: HoinghiServer;
  beforeAll(async () => {
    server = await startServer({ HOINGHI_JWT_SECRET: '', HOINGHI_DEMO_SIGNIN: 'false', HOINGHI_JWT_JWKS_FILE: path.join(dir, 'jwks.json') });
  });
  afterAll(async () => server.close());

  const cases: [string, () => string, string][] = [
    ['a token with a known kid', () => jwt.sign(claims, rsa.privateKey, { ...std, algorithm: 'RS256', keyid: 'k1' }), 'accepted'],
    ['a token with an unknown kid', () => jwt.sign(claims, rsa.privateKey, { ...std, algorithm: 'RS256', keyid: 'k2' }), 'token invalid'],
    ['a token without kid', () => jwt.sign(claims, rsa.privateKey, { ...std, algorithm: 'RS256' }), 'token invalid'],
    ['a token signed by another key under the same kid', () => jwt.sign(claims, otherRsa.privateKey, { ...std, algorithm: 'RS256', keyid: 'k1' }), 'token invalid'],
    ['an HS256 token made with the JWK as secret', () => jwt.sign(claims, JSON.stringify(rsa.publicKey.export({ format: 'jwk' })), { ...std, algorithm: 'HS256', keyid: 'k1' }), 'token invalid'],
    ['a garbage token', () => 'not.a.token', 'token invalid'],
  ];
  it.each(cases)('%s → %s', async (_name, make, expected) => {
    expect(await outcome(server, make())).toBe(expected);
  });
});

describe('token settings', () => {
  it('refuses demo sign-in together with asymmetric keys', () => {
    expect(() => loadConfig({ HOINGHI_DEMO_SIGNIN: 'true', HOINGHI_JWT_ALG: 'ES256', HOINGHI_JWT_PUBLIC_KEY_FILE: path.join(dir, 'ec.pem') })).toThrow(ConfigError);
  });
  it('refuses a public key without a pinned asymmetric algorithm', () => {
    expect(() => loadConfig({ HOINGHI_JWT_PUBLIC_KEY_FILE: path.join(dir, 'ec.pem') })).toThrow(/HOINGHI_JWT_ALG/);
  });
  it('refuses two key sources at once', () => {
    expect(() => loadConfig({ HOINGHI_JWT_SECRET: 'x'.repeat(40), HOINGHI_JWT_JWKS_FILE: path.join(dir, 'jwks.json') })).toThrow(/only one/);
  });
});

describe('a token that expires during a meeting', () => {
  let server: HoinghiServer;
  beforeAll(async () => {
    server = await startServer({ HOINGHI_JWT_CLOCK_SKEW_S: '0' });
  });
  afterAll(async () => server.close());

  it('ends the session when not refreshed', async () => {
    const s = await connectClient(server, server.tokens.issue({ ...claims, sub: 'short' }, 2));
    await call(s, 'join', { meetingId: MEETING });
    const expired = next(s, 'sessionExpired', 5_000);
    const gone = new Promise<string>((r) => s.once('disconnect', (reason) => r(reason)));
    await expired;
    expect(await gone).toBe('io server disconnect');
    expect(server.sockets.registry.get(MEETING)?.peers.has('short') ?? false).toBe(false);
  });

  it('keeps the session when refreshed in time', async () => {
    const s = await connectClient(server, server.tokens.issue({ ...claims, sub: 'refreshed' }, 2));
    await call(s, 'join', { meetingId: MEETING });
    const res = await call(s, 'refreshToken', { token: server.tokens.issue({ ...claims, sub: 'refreshed' }, 600) });
    expect(res.expiresAt).toBeGreaterThan(Date.now() + 500_000);
    // Deliberate: time is the subject. The first token (2 s) has expired by now; the session stands.
    await sleep(3_000);
    expect(s.connected).toBe(true);
    s.close();
  });

  it('refuses a refresh with another user\'s or role\'s token', async () => {
    const s = await connectClient(server, server.tokens.issue({ ...claims, sub: 'me' }, 600));
    expect(await request(s, 'refreshToken', { token: server.tokens.issue({ ...claims, sub: 'someone-else' }, 600) })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await request(s, 'refreshToken', { token: server.tokens.issue({ ...claims, sub: 'me', role: 'host' as const }, 600) })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await request(s, 'refreshToken', { token: 'forged.token.value' })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    s.close();
  });
});
