import { useEffect, useState } from 'react';
import { useStore } from '../state/store';
import { useT } from '../i18n/useT';
import type { StringKey } from '../i18n/strings';
import { errorText } from '../i18n/errors';
import { NO_PROVINCES, provincesOf, type Provinces } from '../state/provinceOrder';
import type { AuthConfigAnswer, DemoAccountsAnswer, DemoSignInAnswer, ProvincesAnswer } from '../../../signaling/protocol/http';
import { authConfig, sessionToken, startOidcSignIn } from '../auth/oidcSession';


const ROLE_ORDER = ['host', 'province_host', 'teacher'] as const;
const ROLE_TEXT: Record<string, StringKey> = { host: 'roleHost', province_host: 'roleProvinceHost', teacher: 'roleTeacher' };

export function SignInPage() {
  const t = useT();
  const signIn = useStore((s) => s.signIn);
  const [demo, setDemo] = useState<DemoAccountsAnswer | null | 'disabled'>(null);
  const [provinces, setProvinces] = useState<Provinces | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** How this server signs people in; null while asking (and, with OIDC, while a session may resume). */
  const [auth, setAuth] = useState<AuthConfigAnswer | null>(null);

  // With the ministry's account: a session still open on the server signs this page in at once
  // (a reload, a new tab, "sign in again" while the session lasts); otherwise the button.
  useEffect(() => {
    let live = true;
    void (async () => {
      const c = await authConfig();
      if (c.oidc) {
        try {
          const answer = await sessionToken();
          if (answer && live) {
            signIn(answer.token, null, answer.account, 'oidc');
            return;
          }
        } catch (e) {
          if (live) setError(errorText(t, e));
        }
      }
      if (live) setAuth(c);
    })();
    return () => {
      live = false;
    };
    // Once per page: `t` changes with every render, the check must not.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [signIn]);

  // Both lists load before any account is shown: buttons that grew a province name under the
  // pointer would move between press and release, and the click would be lost.
  useEffect(() => {
    fetch('/api/demo/accounts')
      .then(async (r) => setDemo(r.ok ? ((await r.json()) as DemoAccountsAnswer) : 'disabled'))
      .catch(() => setDemo('disabled'));
    fetch('/api/provinces')
      .then(async (r) => {
        const body = (await r.json()) as ProvincesAnswer;
        setProvinces(provincesOf(body.provinces));
      })
      .catch(() => setProvinces(NO_PROVINCES));
  }, []);

  async function choose(accountId: string): Promise<void> {
    if (busy) return;
    setError(null);
    setBusy(true);
    try {
      const res = await fetch('/api/demo/signin', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ accountId }),
      });
      if (!res.ok) {
        const body = (await res.json().catch(() => null)) as { error?: { code?: string } } | null;
        const retryAfterS = Number(res.headers.get('retry-after'));
        setError(errorText(t, { code: body?.error?.code, retryAfterMs: retryAfterS > 0 ? retryAfterS * 1000 : undefined }));
        return;
      }
      const body = (await res.json()) as DemoSignInAnswer;
      signIn(body.token, body.meetingId, body.account, 'demo');
    } catch (e) {
      setError(errorText(t, e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin">
      <h1>{t('signInTitle')}</h1>
      {!auth && !error && <p role="status">{t('signInChecking')}</p>}
      {auth?.oidc && (
        <section className="oidc-signin">
          <p>{t('signInOidcHint')}</p>
          <button className="primary" data-action="sign-in-oidc" onClick={() => startOidcSignIn(window.location.pathname + window.location.search)}>
            {t('signInOidc')}
          </button>
        </section>
      )}
      {auth && !auth.oidc && demo === 'disabled' && <p>{t('demoDisabled')}</p>}
      {auth && demo && demo !== 'disabled' && provinces && (
        <>
          <h2 className="demo-label">{t('demoSection')}</h2>
          <p>{t('signInHint')}</p>
          {ROLE_ORDER.map((role) => (
            <section key={role}>
              <h3>{t(ROLE_TEXT[role]!)}</h3>
              <ul className="accounts">
                {demo.accounts
                  .filter((a) => a.role === role)
                  .map((a) => (
                    <li key={a.id}>
                      <button data-account={a.id} disabled={busy} onClick={() => void choose(a.id)}>
                        <strong>{a.name}</strong>
                        <small>
                          {[a.province ? provinces.names.get(a.province) ?? a.province : null, a.school].filter(Boolean).join(' · ')}
                        </small>
                      </button>
                    </li>
                  ))}
              </ul>
            </section>
          ))}
        </>
      )}
      {error && <p className="error" role="alert" data-testid="signin-error">{error}</p>}
    </main>
  );
}
