/** What the OIDC sign-in and the sessions are configured with (signaling/settings/oidc.ts, checked in config.ts). */
export interface OidcSettings {
  /** The provider's issuer (discovery). */
  issuer: URL;
  clientId: string;
  /** Unset: a public client (PKCE only). */
  clientSecret: string | undefined;
  /** Space-separated, with `openid`. */
  scopes: string;
  /** The ID token claim naming the person in the organisation records. */
  idClaim: string;
  /** This site's origin as browsers see it (no trailing slash). */
  publicOrigin: string;
  accessTokenTtlS: number;
  sessionTtlS: number;
  /** `prompt=login`: the provider asks for credentials at every sign-in here (shared computers). */
  askEveryTime: boolean;
  /** The HS256 secret: the login cookie's key is derived from it. */
  cookieSecret: string;
}
