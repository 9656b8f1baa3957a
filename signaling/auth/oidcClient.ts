/**
 * The relying party (openid-client): discovery of the ministry's provider (on first use, and again
 * after a failure, so this server starts whether or not the provider answers), the authorization
 * URL of a new sign-in (code flow, PKCE S256, state and nonce), and the callback's checks (state,
 * nonce, PKCE, the ID token's signature, issuer, audience and times), done by the library.
 */
import * as oidc from 'openid-client';
import type { OidcSettings } from './oidcSettings';
import type { PendingLogin } from './loginCookie';

export const CALLBACK_PATH = '/auth/callback';

/** The callback could not be trusted (state, nonce, PKCE, the provider's answer): nothing was created. */
export class CallbackError extends Error {
  override name = 'CallbackError';
}

export class OidcClient {
  readonly settings: OidcSettings;
  #config: Promise<oidc.Configuration> | null = null;

  constructor(settings: OidcSettings) {
    this.settings = settings;
  }

  get redirectUri(): string {
    return `${this.settings.publicOrigin}${CALLBACK_PATH}`;
  }

  /** The provider's configuration (discovered once; a failed discovery is tried again next time). */
  configuration(): Promise<oidc.Configuration> {
    if (!this.#config) {
      const s = this.settings;
      const insecure = s.issuer.protocol === 'http:'; // loopback only (config.ts)
      this.#config = oidc
        .discovery(
          s.issuer,
          s.clientId,
          { redirect_uris: [this.redirectUri], response_types: ['code'], ...(s.clientSecret ? { client_secret: s.clientSecret } : {}) },
          s.clientSecret ? oidc.ClientSecretPost(s.clientSecret) : oidc.None(),
          insecure ? { execute: [oidc.allowInsecureRequests] } : undefined,
        )
        .catch((error: unknown) => {
          this.#config = null;
          throw error;
        });
    }
    return this.#config;
  }

  /** A new sign-in: what to remember (in the login cookie) and where to send the browser. */
  async begin(returnTo: string): Promise<{ login: PendingLogin; url: URL }> {
    const config = await this.configuration();
    const verifier = oidc.randomPKCECodeVerifier();
    const login: PendingLogin = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier, returnTo };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: this.settings.scopes,
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: login.state,
      nonce: login.nonce,
      // Credentials at every sign-in here: a shared computer never hands the last person's
      // sign-in at the provider to the next one.
      ...(this.settings.askEveryTime ? { prompt: 'login' } : {}),
    });
    return { login, url };
  }

  /**
   * The callback's checks and the code exchange; returns the ID token's claims. Throws
   * CallbackError for anything not to be trusted (and the provider's own errors, e.g. a refusal).
   */
  async finish(callbackUrl: URL, login: PendingLogin): Promise<Record<string, unknown>> {
    const config = await this.configuration();
    let claims: Record<string, unknown> | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: login.verifier,
        expectedState: login.state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims() as Record<string, unknown> | undefined;
    } catch (error) {
      // The provider out of reach (fetch failed): not a callback to refuse, a service down.
      if (error instanceof TypeError && /fetch failed/i.test(error.message)) throw error;
      const e = error as { code?: unknown; error?: unknown; name?: unknown };
      throw new CallbackError(`${String(e.name ?? 'Error')}: ${String(e.error ?? e.code ?? 'refused')}`);
    }
    if (!claims) throw new CallbackError('no ID token');
    return claims;
  }
}
