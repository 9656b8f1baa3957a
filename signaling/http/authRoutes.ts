/**
 * Sign-in with the ministry's account (OpenID Connect), mounted only when HOINGHI_OIDC_ISSUER is set:
 *   GET  /auth/login?return=/m/<id>   a new sign-in: state, nonce and PKCE sealed in a 10-minute
 *                                     cookie (SameSite=Lax, it comes back on the provider's redirect),
 *                                     then off to the provider. `return` only as a path of this site.
 *   GET  /auth/callback               the provider's answer checked (state, nonce, PKCE); the person
 *                                     looked up in the organisation records; a session started (its
 *                                     refresh token in a cookie: HttpOnly, SameSite=Strict, Path=/auth);
 *                                     back to the return path. Unknown person: 403 page; an answer
 *                                     not to be trusted: 400 page; nothing created either way.
 *   POST /auth/token                  the refresh cookie rotated; `{ token, expiresAt, account }` with
 *                                     a short access token (HS256). A reused refresh token revokes
 *                                     its session: 401 now and for every later refresh.
 *   POST /auth/logout                 the session revoked and its cookie cleared.
 * The pages are short, in Vietnamese first; the JSON errors are the API's (`{ error: { code } }`).
 */
import { isDisabled } from '../org/orgRepo';
import express, { type Request, type Response, type Router } from 'express';
import type { Db } from '../db/Db';
import type { TokenVerifier } from '../auth/tokens';
import type { Sessions, SessionPerson } from '../auth/sessions';
import { personFromRecords } from '../auth/people';
import { LOGIN_COOKIE_TTL_S, LoginSealer } from '../auth/loginCookie';
import { CallbackError, type OidcClient } from '../auth/oidcClient';
import { AppError } from '../protocol/errors';
import type { SessionTokenAnswer } from '../protocol/http';
import { cookie, parseCookies } from './cookies';
import { logger } from '../../common/log';

const log = logger('auth');

export const LOGIN_COOKIE = 'hoinghi_login';
export const REFRESH_COOKIE = 'hoinghi_refresh';

export interface AuthRouteDeps {
  db: Db;
  tokens: TokenVerifier;
  sessions: Sessions;
  client: OidcClient;
}

/** A path of this site: `/` then neither `/` nor `\` (`//host` and `/\host` name another host), printable ASCII only. */
export function safeReturnPath(value: unknown): string {
  return typeof value === 'string' && value.length <= 512 && /^\/(?![/\\])[\x21-\x7E]*$/.test(value) ? value : '/';
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A short page (the browser landed here, not the app): what happened, and the way on. */
function page(res: Response, status: number, kind: string, vi: { title: string; text: string }, en: string): void {
  res.status(status).setHeader('Cache-Control', 'no-store').type('html').send(
    `<!doctype html><html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
      `<title>${escapeHtml(vi.title)} · Hội nghị</title></head><body><main data-state="${kind}">` +
      `<h1>${escapeHtml(vi.title)}</h1><p>${escapeHtml(vi.text)}</p><p lang="en">${escapeHtml(en)}</p>` +
      `<p><a href="/">Về trang đăng nhập</a></p></main></body></html>`,
  );
}

function unavailable(res: Response): void {
  page(res, 503, 'provider-unavailable', { title: 'Chưa kết nối được hệ thống đăng nhập', text: 'Hệ thống đăng nhập của Bộ GD&ĐT chưa trả lời. Vui lòng thử lại sau ít phút.' }, "The ministry's sign-in service does not answer; try again in a few minutes.");
}

export function authRouter(deps: AuthRouteDeps): Router {
  const router = express.Router();
  const { client, sessions, tokens } = deps;
  const s = client.settings;
  const secure = s.publicOrigin.startsWith('https:');
  const sealer = new LoginSealer(s.cookieSecret);
  const loginCookie = (value: string, maxAgeS: number): string => cookie(LOGIN_COOKIE, value, { path: '/auth', sameSite: 'Lax', secure, maxAgeS });
  const refreshCookie = (value: string, maxAgeS: number): string => cookie(REFRESH_COOKIE, value, { path: '/auth', sameSite: 'Strict', secure, maxAgeS });

  /** Only this site's pages may ask for tokens (the cookie is SameSite=Strict already; this says so twice). */
  const sameOrigin = (req: Request): void => {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== s.publicOrigin) throw new AppError('forbidden', 'forbidden: another site');
  };

  router.get('/auth/login', async (req: Request, res: Response) => {
    const returnTo = safeReturnPath(req.query.return);
    let begun;
    try {
      begun = await client.begin(returnTo);
    } catch (error) {
      log.warn({ err: error }, 'the OpenID provider does not answer');
      unavailable(res);
      return;
    }
    res.setHeader('Set-Cookie', loginCookie(sealer.seal(begun.login), LOGIN_COOKIE_TTL_S));
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, begun.url.href);
  });

  router.get('/auth/callback', async (req: Request, res: Response) => {
    const cookies = parseCookies(req.headers.cookie);
    const login = sealer.open(cookies.get(LOGIN_COOKIE));
    // The pending sign-in is spent whatever happens next: a callback is used once.
    res.setHeader('Set-Cookie', loginCookie('', 0));
    const invalid = (): void =>
      page(res, 400, 'signin-invalid', { title: 'Đăng nhập không thành công', text: 'Yêu cầu đăng nhập không hợp lệ hoặc đã quá hạn (10 phút). Vui lòng đăng nhập lại từ đầu.' }, 'The sign-in request was not valid or is over; please sign in again.');
    if (!login) {
      invalid();
      return;
    }
    let claims: Record<string, unknown>;
    try {
      claims = await client.finish(new URL(req.originalUrl, s.publicOrigin), login);
    } catch (error) {
      if (!(error instanceof CallbackError)) {
        // The provider could not be reached (discovery, the token endpoint's network): not the person's fault.
        log.warn({ err: error }, 'the OpenID provider does not answer');
        unavailable(res);
        return;
      }
      log.warn({ reason: error.message }, 'a sign-in callback was refused');
      invalid();
      return;
    }
    const id = claims[s.idClaim];
    const person = typeof id === 'string' ? await personFromRecords(deps.db, id) : null;
    if (!person && typeof id === 'string' && (await isDisabled(deps.db, id))) {
      log.warn({ person: id }, 'a disabled person signed in at the provider');
      page(res, 403, 'signin-disabled', { title: 'Tài khoản đã bị tạm khoá', text: 'Tài khoản này đã bị quản trị viên tạm khoá trên hệ thống hội nghị, nên không thể đăng nhập hay tham gia. Nếu bạn cho rằng đây là nhầm lẫn, vui lòng liên hệ Sở GD&ĐT hoặc nhà trường.' }, 'An administrator has disabled this account on the conference system: it cannot sign in or join. If you think this is a mistake, contact your province\'s department or your school.');
      return;
    }
    if (!person) {
      log.info({ claim: s.idClaim, known: false }, 'a person the records do not know signed in at the provider');
      page(res, 403, 'signin-unknown', { title: 'Tài khoản chưa có trong danh sách', text: 'Bạn đã đăng nhập bằng tài khoản Bộ GD&ĐT, nhưng tài khoản này chưa có trong danh sách giáo viên và cán bộ của hệ thống hội nghị. Vui lòng liên hệ Sở GD&ĐT hoặc nhà trường để được bổ sung.' }, 'You signed in at the ministry, but this account is not in the conference\'s records of teachers and staff. Ask your province\'s department or your school to add it.');
      return;
    }
    const started = await sessions.start(person);
    res.setHeader('Set-Cookie', [loginCookie('', 0), refreshCookie(started.refreshToken, s.sessionTtlS)]);
    res.setHeader('Cache-Control', 'no-store');
    log.info({ user: person.sub, role: person.role }, 'signed in with the provider');
    res.redirect(303, login.returnTo);
  });

  router.post('/auth/token', async (req: Request, res: Response) => {
    sameOrigin(req);
    res.setHeader('Cache-Control', 'no-store');
    let rotated;
    try {
      rotated = await sessions.rotate(parseCookies(req.headers.cookie).get(REFRESH_COOKIE));
    } catch (error) {
      // The cookie is of no use any more: cleared, so the page shows the sign-in at once.
      if (error instanceof AppError && error.code === 'unauthorized') res.setHeader('Set-Cookie', refreshCookie('', 0));
      throw error;
    }
    const ttl = s.accessTokenTtlS;
    const token = tokens.issue({ ...rotated.person, meetings: ['*'] }, ttl);
    res.setHeader('Set-Cookie', refreshCookie(rotated.refreshToken, s.sessionTtlS));
    res.json({ token, expiresAt: new Date(Date.now() + ttl * 1000).toISOString(), account: accountOf(rotated.person) } satisfies SessionTokenAnswer);
  });

  router.post('/auth/logout', async (req: Request, res: Response) => {
    sameOrigin(req);
    await sessions.revoke(parseCookies(req.headers.cookie).get(REFRESH_COOKIE));
    res.setHeader('Set-Cookie', refreshCookie('', 0));
    res.setHeader('Cache-Control', 'no-store');
    res.status(204).end();
  });

  return router;
}

function accountOf(p: SessionPerson): SessionTokenAnswer['account'] {
  return { id: p.sub, sub: p.sub, name: p.name, role: p.role, province: p.province, school: p.school };
}
