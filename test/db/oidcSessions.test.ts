/**
 * Sign-in with the ministry's account (issue 24) against a real OpenID Provider (oidc-provider, in
 * this process) and the real routes on a real database (both engines): the person is found in the
 * organisation records and gets a session of ours; refresh tokens rotate, a reused one revokes its
 * whole session, sign-out ends it; a person the records do not know, a forged state, a wrong
 * nonce, a wrong PKCE verifier and a sealed cookie from elsewhere create nothing; `return` never
 * leads off the site.
 */
import http from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, useDb } from '../../harness/postgres';
import { freePort } from '../../harness/cluster';
import { OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, signInThroughProvider, startOidcProvider, type TestProvider, type Walk } from '../../harness/oidcProvider';
import { seedDemo } from '../../signaling/demo/seedDemo';
import { authRouter, LOGIN_COOKIE, REFRESH_COOKIE, safeReturnPath } from '../../signaling/http/authRoutes';
import { errorHandler } from '../../signaling/http/routes';
import { Sessions } from '../../signaling/auth/sessions';
import { OidcClient } from '../../signaling/auth/oidcClient';
import { LoginSealer } from '../../signaling/auth/loginCookie';
import { TokenVerifier } from '../../signaling/auth/tokens';
import { TEST_SECRET } from '../../harness/server';
import type { SessionTokenAnswer } from '../../signaling/protocol/http';

const tokens = new TokenVerifier({ keys: { kind: 'secret', secret: TEST_SECRET }, issuer: 'hoinghi', audience: 'hoinghi', clockSkewS: 0 });

describe.each(ENGINES)('OIDC sign-in and sessions on %s', (engine) => {
  const db = useDb(engine, { beforeAll, afterAll });
  let provider: TestProvider;
  let app: http.Server;
  let origin = '';
  let sessions: Sessions;

  beforeAll(async () => {
    await seedDemo(db(), { schools: 34, teachers: 40, meetingId: 'demo-oidc' });
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    provider = await startOidcProvider([`${origin}/auth/callback`]);
    sessions = new Sessions(db(), 3600);
    const client = new OidcClient({
      issuer: new URL(provider.issuer),
      clientId: OIDC_CLIENT_ID,
      clientSecret: OIDC_CLIENT_SECRET,
      scopes: 'openid profile',
      idClaim: 'sub',
      publicOrigin: origin,
      accessTokenTtlS: 600,
      sessionTtlS: 3600,
      cookieSecret: TEST_SECRET,
      askEveryTime: true,
    });
    const e = express();
    e.use(authRouter({ db: db(), tokens, sessions, client }));
    e.use(errorHandler);
    app = http.createServer(e);
    await new Promise<void>((r) => app.listen(port, '127.0.0.1', r));
  }, 120_000);
  afterAll(async () => {
    await new Promise<void>((r) => (app ? app.close(() => r()) : r()));
    await provider?.close();
  });

  const count = async (): Promise<{ families: number; tokens: number }> => {
    const [row] = await db().query<{ families: number; tokens: number }>(
      'SELECT (SELECT count(*) FROM session_families)::int AS families, (SELECT count(*) FROM refresh_tokens)::int AS tokens',
    );
    return row!;
  };
  const refreshOf = (w: Walk): string => w.jar.get(new URL(origin).host, REFRESH_COOKIE)!;
  const post = (path: string, refresh: string | undefined, headers: Record<string, string> = {}) =>
    fetch(`${origin}${path}`, { method: 'POST', headers: { ...(refresh ? { cookie: `${REFRESH_COOKIE}=${refresh}` } : {}), ...headers } });
  const newCookie = (res: Response): string | undefined =>
    res.headers
      .getSetCookie()
      .find((c) => c.startsWith(`${REFRESH_COOKIE}=`))
      ?.split(';')[0]!
      .slice(REFRESH_COOKIE.length + 1);

  it('a teacher signs in at the provider and comes back to the join link with a session of ours; tokens rotate', async () => {
    const before = await count();
    const walk = await signInThroughProvider(origin, 'gv-hn-1', '/m/abc-123?x=1');
    expect(walk.res.status, walk.body).toBe(303);
    expect(walk.res.headers.get('location')).toBe('/m/abc-123?x=1');
    const set = walk.res.headers.getSetCookie().find((c) => c.startsWith(`${REFRESH_COOKIE}=`))!;
    expect(set).toMatch(/; Path=\/auth/);
    expect(set).toMatch(/; HttpOnly/);
    expect(set).toMatch(/; SameSite=Strict/);
    expect(set).not.toMatch(/Secure/); // http public URL (tests); https gets Secure
    // The login cookie is spent.
    expect(walk.jar.get(new URL(origin).host, LOGIN_COOKIE)).toBeUndefined();
    expect(await count()).toEqual({ families: before.families + 1, tokens: before.tokens + 1 });
    // Stored hashed: the cookie's value is nowhere in the table.
    const first = refreshOf(walk);
    expect(await db().query('SELECT 1 FROM refresh_tokens WHERE hash = $1', [first])).toEqual([]);

    const res = await post('/auth/token', first);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as SessionTokenAnswer;
    // Who the records say (not the provider's name), as a teacher with school and province.
    expect(answer.account).toEqual({ id: 'gv-hn-1', sub: 'gv-hn-1', name: 'Nguyễn Thị Lan', role: 'teacher', province: '01', school: 'THPT Chu Văn An' });
    const claims = tokens.verify(answer.token);
    expect(claims).toMatchObject({ sub: 'gv-hn-1', role: 'teacher', province: '01' });
    expect(claims.exp - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(600);
    expect(Date.parse(answer.expiresAt)).toBeGreaterThan(Date.now());
    const second = newCookie(res)!;
    expect(second).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second).not.toBe(first);
    // The next one works once more, and so on.
    const third = await post('/auth/token', second);
    expect(third.status).toBe(200);
    expect(newCookie(third)).not.toBe(second);
  });

  it('asks the provider for credentials at every sign-in (prompt=login), with PKCE: a shared computer never signs the next person in as the last', async () => {
    const res = await fetch(`${origin}/auth/login?return=/meetings`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    const to = new URL(res.headers.get('location')!);
    expect(to.origin).toBe(new URL(provider.issuer).origin);
    expect(to.searchParams.get('prompt')).toBe('login');
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  });

  it('a refresh token used twice revokes the whole session: 401 then, and for every later refresh', async () => {
    const walk = await signInThroughProvider(origin, 'bo-truong', '/meetings');
    const first = refreshOf(walk);
    const ok = await post('/auth/token', first);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as SessionTokenAnswer).account).toMatchObject({ id: 'bo-truong', role: 'host', province: null });
    const second = newCookie(ok)!;
    // The first, again (a copy someone kept): refused, and the cookie cleared.
    const reuse = await post('/auth/token', first);
    expect(reuse.status).toBe(401);
    expect(((await reuse.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    expect(reuse.headers.getSetCookie().some((c) => c.startsWith(`${REFRESH_COOKIE}=;`) && /Max-Age=0/.test(c))).toBe(true);
    // The rightful holder's newer token is dead too: the family is revoked.
    expect((await post('/auth/token', second)).status).toBe(401);
    const [family] = await db().query<{ revoked: boolean }>(
      'SELECT f.revoked_at IS NOT NULL AS revoked FROM session_families f JOIN refresh_tokens r ON r.family_id = f.id WHERE r.hash = encode(sha256(convert_to($1, \'UTF8\')), \'hex\')',
      [second],
    );
    expect(family).toEqual({ revoked: true });
  });

  it('ending a person\'s sign-in everywhere (an operator\'s revoke) ends every session of theirs: the next refresh is refused', async () => {
    const desk = refreshOf(await signInThroughProvider(origin, 'gv-hcm-1', '/meetings'));
    const phone = refreshOf(await signInThroughProvider(origin, 'gv-hcm-1', '/meetings'));
    const other = refreshOf(await signInThroughProvider(origin, 'gv-hn-2', '/meetings'));
    expect(await sessions.revokeUser('gv-hcm-1')).toBe(2);
    expect((await post('/auth/token', desk)).status).toBe(401);
    expect((await post('/auth/token', phone)).status).toBe(401);
    expect((await post('/auth/token', other)).status).toBe(200);
  });

  it('sign-out revokes the session and clears its cookie; the API refuses another site\'s page', async () => {
    const walk = await signInThroughProvider(origin, 'so-ha-noi', '/');
    const refresh = refreshOf(walk);
    const foreign = await post('/auth/token', refresh, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    const ok = await post('/auth/token', refresh);
    expect(((await ok.json()) as SessionTokenAnswer).account).toMatchObject({ role: 'province_host', province: '01' });
    const current = newCookie(ok)!;
    const out = await post('/auth/logout', current);
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().some((c) => c.startsWith(`${REFRESH_COOKIE}=;`) && /Max-Age=0/.test(c))).toBe(true);
    expect((await post('/auth/token', current)).status).toBe(401);
    // No cookie, or a malformed one: 401, nothing else.
    expect((await post('/auth/token', undefined)).status).toBe(401);
    expect((await post('/auth/token', 'not-a-token')).status).toBe(401);
    expect((await post('/auth/logout', undefined)).status).toBe(204);
  });

  it('a person the records do not know gets a clear Vietnamese page (403), and no session', async () => {
    const before = await count();
    const walk = await signInThroughProvider(origin, 'nguoi-la-123', '/m/abc');
    expect(walk.res.status).toBe(403);
    expect(walk.res.headers.get('content-type')).toMatch(/text\/html/);
    expect(walk.body).toContain('Tài khoản chưa có trong danh sách');
    expect(walk.body).toContain('lang="vi"');
    expect(refreshOf(walk)).toBeUndefined();
    expect(await count()).toEqual(before);
  });

  it('a forged or missing state, a wrong nonce, a wrong PKCE verifier, a foreign login cookie: 400 page, nothing created', async () => {
    const before = await count();
    const cases: [string, Parameters<typeof signInThroughProvider>[3]][] = [
      ['forged state', { callbackUrl: (u) => (u.searchParams.set('state', 'forged'), u) }],
      ['missing state', { callbackUrl: (u) => (u.searchParams.delete('state'), u) }],
      // The provider puts the nonce it was given into the ID token: not the one our cookie holds.
      ['wrong nonce', { authorizationUrl: (u) => (u.searchParams.set('nonce', 'another-nonce'), u) }],
      // A code bound to another challenge: the provider refuses our verifier at the token endpoint.
      ['wrong PKCE', { authorizationUrl: (u) => (u.searchParams.set('code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'), u) }],
    ];
    for (const [what, hooks] of cases) {
      const walk = await signInThroughProvider(origin, 'gv-hn-1', '/m/abc', hooks);
      expect(walk.res.status, `${what}: ${walk.body.slice(0, 200)}`).toBe(400);
      expect(walk.body, what).toContain('Đăng nhập không thành công');
      expect(refreshOf(walk), what).toBeUndefined();
    }
    // A callback without the login cookie at all (another browser), and one sealed by another key.
    const bare = await fetch(`${origin}/auth/callback?code=x&state=y`, { redirect: 'manual' });
    expect(bare.status).toBe(400);
    const other = new LoginSealer('another-secret-another-secret-0123456789').seal({ state: 'y', nonce: 'n', verifier: 'v'.repeat(43), returnTo: '/' });
    const foreign = await fetch(`${origin}/auth/callback?code=x&state=y`, { redirect: 'manual', headers: { cookie: `${LOGIN_COOKIE}=${other}` } });
    expect(foreign.status).toBe(400);
    expect(await count()).toEqual(before);
  });

  it('`return` is a path of this site or `/`: never another host', async () => {
    for (const [given, landed] of [
      ['https://evil.example', '/'],
      ['//evil.example', '/'],
      ['/\\evil.example', '/'],
      ['/\t/evil.example', '/'],
      ['javascript:alert(1)', '/'],
      [null, '/'],
      ['/m/abc-123', '/m/abc-123'],
    ] as const) {
      const walk = await signInThroughProvider(origin, 'gv-hn-1', given);
      expect(walk.res.status, String(given)).toBe(303);
      expect(walk.res.headers.get('location'), String(given)).toBe(landed);
    }
    expect(safeReturnPath(['/a', '/b'])).toBe('/');
  });
});

describe('sessions without the routes', () => {
  const db = useDb('pglite', { beforeAll, afterAll });

  it('a provider that does not answer: a 503 page at sign-in and at the callback, nothing created', async () => {
    const dead = await freePort(); // nothing listens there
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const client = new OidcClient({
      issuer: new URL(`http://127.0.0.1:${dead}`),
      clientId: OIDC_CLIENT_ID,
      clientSecret: undefined,
      scopes: 'openid',
      idClaim: 'sub',
      publicOrigin: origin,
      accessTokenTtlS: 600,
      sessionTtlS: 3600,
      cookieSecret: TEST_SECRET,
      askEveryTime: true,
    });
    const e = express();
    e.use(authRouter({ db: db(), tokens, sessions: new Sessions(db(), 3600), client }));
    e.use(errorHandler);
    const app = http.createServer(e);
    await new Promise<void>((r) => app.listen(port, '127.0.0.1', r));
    try {
      const login = await fetch(`${origin}/auth/login?return=/m/x`, { redirect: 'manual' });
      expect(login.status).toBe(503);
      expect(await login.text()).toContain('Chưa kết nối được hệ thống đăng nhập');
      const sealed = new LoginSealer(TEST_SECRET).seal({ state: 's', nonce: 'n', verifier: 'v'.repeat(43), returnTo: '/' });
      const back = await fetch(`${origin}/auth/callback?code=c&state=s`, { redirect: 'manual', headers: { cookie: `${LOGIN_COOKIE}=${sealed}` } });
      expect(back.status).toBe(503);
      expect(await db().query('SELECT 1 FROM session_families')).toEqual([]);
    } finally {
      await new Promise<void>((r) => app.close(() => r()));
    }
  });

  it('a family runs out at its lifetime, and old families are pruned with their tokens', async () => {
    const sessions = new Sessions(db(), 3600);
    const { familyId, refreshToken } = await sessions.start({ sub: 'gv-x', name: 'X', role: 'teacher', province: '01', school: null });
    await db().query(`UPDATE session_families SET expires_at = now() - interval '1 second' WHERE id = $1`, [familyId]);
    await expect(sessions.rotate(refreshToken)).rejects.toMatchObject({ code: 'unauthorized' });
    await db().query(`UPDATE session_families SET expires_at = now() - interval '2 days' WHERE id = $1`, [familyId]);
    await sessions.prune();
    expect(await db().query('SELECT 1 FROM refresh_tokens WHERE family_id = $1', [familyId])).toEqual([]);
    expect(await db().query('SELECT 1 FROM session_families WHERE id = $1', [familyId])).toEqual([]);
  });
});
