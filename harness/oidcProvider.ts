/**
 * A real OpenID Provider (oidc-provider, certified) in this process on 127.0.0.1, standing for the
 * ministry's: one confidential client (authorization code, PKCE required), and its development
 * login form, where any login name with any password signs in as that name (the `sub`). Consent
 * is taken as given (the ministry's own provider would not ask for its own site). The demo
 * records hold `gv-hn-1`, `bo-truong` and the like; any other name is a person they do not know.
 *
 * `signInThroughProvider` walks a sign-in without a browser: /auth/login, the provider's form,
 * back to /auth/callback, keeping each host's cookies, with hooks to tamper on the way.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export const OIDC_CLIENT_ID = 'hoinghi-test';
export const OIDC_CLIENT_SECRET = 'hoinghi-test-client-secret-0123456789';

export interface TestProvider {
  issuer: string;
  close(): Promise<void>;
}

/** Names the provider's accounts go by (`name` claim): the records, not these, name people here. */
const NAMES: Record<string, string> = { 'gv-hn-1': 'Nguyễn Thị Lan (Bộ)', 'bo-truong': 'Bộ trưởng (Bộ)' };

export async function startOidcProvider(redirectUris: string[]): Promise<TestProvider> {
  let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: OIDC_CLIENT_ID,
        client_secret: OIDC_CLIENT_SECRET,
        redirect_uris: redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    claims: { openid: ['sub'], profile: ['name'] },
    cookies: { keys: ['test-provider-cookie-key-0123456789'] },
    findAccount: (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: () => ({ sub, name: NAMES[sub] ?? sub }),
    }),
    // Consent taken as given: a grant of what the client asks, made on first use.
    loadExistingGrant: async (ctx: {
      oidc: {
        client: { clientId: string };
        session: { accountId: string; grantIdFor(id: string): string | undefined };
        params: { scope?: string };
        provider: { Grant: { new (o: object): { addOIDCScope(s: string): void; save(): Promise<string> }; find(id: string): Promise<unknown> } };
      };
    }) => {
      const { client, session, params, provider: p } = ctx.oidc;
      const existing = session.grantIdFor(client.clientId);
      if (existing) return p.Grant.find(existing);
      const grant = new p.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope(params.scope ?? 'openid');
      await grant.save();
      return grant;
    },
  });
  handler = provider.callback();
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Cookies by host, as a browser keeps them (enough for these two sites: no paths, no expiry). */
class CookieJar {
  readonly #byHost = new Map<string, Map<string, string>>();
  header(url: URL): string {
    return [...(this.#byHost.get(url.host) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  take(url: URL, res: Response): void {
    const jar = this.#byHost.get(url.host) ?? new Map<string, string>();
    this.#byHost.set(url.host, jar);
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) jar.delete(name);
      else jar.set(name, value);
    }
  }
  get(host: string, name: string): string | undefined {
    return this.#byHost.get(host)?.get(name);
  }
  set(host: string, name: string, value: string): void {
    const jar = this.#byHost.get(host) ?? new Map<string, string>();
    this.#byHost.set(host, jar);
    jar.set(name, value);
  }
}

export interface Walk {
  /** The last answer (the callback's, or where the walk stopped). */
  res: Response;
  body: string;
  jar: CookieJar;
}

export interface WalkHooks {
  /** Change the provider's authorization URL before the browser follows it (e.g. its nonce). */
  authorizationUrl?: (url: URL) => URL;
  /** Change the callback URL before it is followed (e.g. its state). */
  callbackUrl?: (url: URL) => URL;
  /** Cookies of the app already there (a jar of an earlier walk). */
  jar?: CookieJar;
}

/**
 * Signs in as `login` through the provider's form, starting at `<app>/auth/login?return=…`, and
 * stops at the app's callback answer (not following its redirect).
 */
export async function signInThroughProvider(app: string, login: string, returnParam: string | null, hooks: WalkHooks = {}): Promise<Walk> {
  const jar = hooks.jar ?? new CookieJar();
  const go = async (url: URL, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    const c = jar.header(url);
    if (c) headers.set('cookie', c);
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    jar.take(url, res);
    return res;
  };
  const appOrigin = new URL(app).origin;
  let url = new URL(`/auth/login${returnParam === null ? '' : `?return=${encodeURIComponent(returnParam)}`}`, app);
  let res = await go(url);
  let first = true;
  for (let hop = 0; hop < 20; hop += 1) {
    if (res.status === 200 && new URL(url).origin !== appOrigin) {
      // The provider's login form: any password will do.
      const html = await res.text();
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      if (!action) throw new Error(`no login form at ${url.href}: ${html.slice(0, 300)}`);
      url = new URL(action.replace(/&amp;/g, '&'), url);
      res = await go(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ prompt: 'login', login, password: 'any' }).toString() });
      continue;
    }
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !location) break;
    let nextUrl = new URL(location, url);
    if (first && nextUrl.origin !== appOrigin && hooks.authorizationUrl) nextUrl = hooks.authorizationUrl(nextUrl);
    first = false;
    if (nextUrl.origin === appOrigin && nextUrl.pathname === '/auth/callback' && hooks.callbackUrl) nextUrl = hooks.callbackUrl(nextUrl);
    // The app's answer to the callback is where the walk ends.
    const atCallback = url.origin === appOrigin && url.pathname === '/auth/callback';
    if (atCallback) break;
    url = nextUrl;
    res = await go(url);
  }
  return { res, body: await res.text().catch(() => ''), jar };
}

export type { CookieJar };
