/**
 * Settings of the sign-in with the ministry's account (OpenID Connect, authorization code with
 * PKCE) and of the sessions this server keeps afterwards (signaling/auth/sessions.ts). Unset
 * `HOINGHI_OIDC_ISSUER`: no OIDC sign-in (the demo sign-in or tokens issued elsewhere).
 */
import { z } from 'zod';
import { settingDocs, bool } from '../../common/env';

export const oidcSettings = {
  HOINGHI_OIDC_ISSUER: z.string().url().optional().register(settingDocs, {
    doc:
      "The ministry's OpenID Provider (its issuer URL; the rest is discovered from `/.well-known/openid-configuration`). " +
      'Set, teachers and staff sign in there and get sessions of this server: it needs a database (the people are looked up ' +
      'in the organisation records), `HOINGHI_JWT_SECRET` (access tokens are HS256, issued here), `HOINGHI_PUBLIC_URL` and ' +
      '`HOINGHI_OIDC_CLIENT_ID`. Plain `http` only for a provider on this machine (tests). See docs/sign-in.md.',
    shownDefault: 'unset: no OIDC sign-in',
  }),
  HOINGHI_OIDC_CLIENT_ID: z.string().min(1).max(256).optional().register(settingDocs, { doc: 'This site\'s client id at the provider.' }),
  HOINGHI_OIDC_CLIENT_SECRET: z.string().min(1).max(1024).optional().register(settingDocs, {
    doc: "This site's client secret at the provider (a confidential client; sent in the token request body). Unset: a public client (PKCE only).",
    shownDefault: 'unset: a public client',
  }),
  HOINGHI_OIDC_SCOPES: z
    .string()
    .regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, 'space-separated scope names')
    .refine((s) => s.split(' ').includes('openid'), 'must include openid')
    .default('openid profile')
    .register(settingDocs, { doc: 'Scopes asked of the provider, space-separated (must include `openid`).' }),
  HOINGHI_OIDC_ID_CLAIM: z
    .string()
    .regex(/^[A-Za-z0-9_:.-]{1,64}$/)
    .default('sub')
    .register(settingDocs, {
      doc: "The ID token claim that holds the person's id in the organisation records (a teacher's or a staff member's id), e.g. `preferred_username` or `employee_id`.",
    }),
  HOINGHI_OIDC_ASK_EVERY_TIME: bool.default(true).register(settingDocs, {
    doc:
      "Ask the provider for the person's credentials at every sign-in here (`prompt=login`), even if the provider remembers them: on a " +
      "shared computer (a school's staff room) the next person is never signed in as the last. `false`: the provider's single sign-on.",
  }),
  HOINGHI_PUBLIC_URL: z
    .string()
    .url()
    .optional()
    .register(settingDocs, {
      doc: "This site's own origin as browsers see it (e.g. `https://hoinghi.moet.gov.vn`): the provider sends people back to `<public>/auth/callback`; with `https`, the sign-in cookies are `Secure`.",
      shownDefault: 'unset (needed with OIDC)',
    }),
  HOINGHI_ACCESS_TOKEN_TTL_S: z.coerce
    .number()
    .int()
    .min(30)
    .max(3600)
    .default(600)
    .register(settingDocs, { doc: 'Lifetime of the access tokens a session hands out (`POST /auth/token`), seconds. A page renews its token before it runs out.' }),
  HOINGHI_SESSION_TTL_S: z.coerce
    .number()
    .int()
    .min(300)
    .max(30 * 24 * 3600)
    .default(12 * 3600)
    .register(settingDocs, { doc: 'How long a session lasts after signing in with the provider, seconds: then the person signs in again.' }),
};
