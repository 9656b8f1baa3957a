/**
 * Settings of sign-in: the keys and claims that verify tokens, the demo sign-in with its
 * generated organisation, and the limits on sign-in requests.
 */
import { z } from 'zod';
import { bool, pathSetting, settingDocs } from '../../common/env';

export const authSettings = {
  HOINGHI_JWT_ALG: z.enum(['HS256', 'ES256', 'RS256']).optional().register(settingDocs, {
    doc:
      'Token algorithm, pinned: ES256 or RS256 with `HOINGHI_JWT_PUBLIC_KEY_FILE` or `HOINGHI_JWT_JWKS_FILE`, or HS256 with ' +
      '`HOINGHI_JWT_SECRET`. Exactly one key source may be set.',
    shownDefault: 'unset: HS256 with a secret',
  }),
  HOINGHI_JWT_PUBLIC_KEY_FILE: pathSetting().optional().register(settingDocs, { doc: 'PEM public key file for ES256/RS256 tokens.' }),
  HOINGHI_JWT_JWKS_FILE: pathSetting().optional().register(settingDocs, { doc: "JWKS file for ES256/RS256 tokens (the key is chosen by the token's `kid`)." }),
  HOINGHI_JWT_SECRET: z
    .string()
    .min(32, 'HOINGHI_JWT_SECRET must be at least 32 characters')
    .optional()
    .register(settingDocs, {
      doc: 'HS256 key for tokens. Required when no other key source is set, unless demo sign-in is on.',
      shownDefault: 'with demo sign-in: random per start (tokens die with the process)',
    }),
  HOINGHI_JWT_ISSUER: z.string().min(1).default('hoinghi').register(settingDocs, { doc: 'The `iss` claim tokens must carry (and demo tokens are given).' }),
  HOINGHI_JWT_AUDIENCE: z.string().min(1).default('hoinghi').register(settingDocs, { doc: 'The `aud` claim tokens must carry (and demo tokens are given).' }),
  HOINGHI_JWT_CLOCK_SKEW_S: z.coerce
    .number()
    .int()
    .min(0)
    .max(300)
    .default(30)
    .register(settingDocs, { doc: 'Clock skew accepted when checking `exp` and `nbf`, seconds.' }),
  HOINGHI_DEMO_SIGNIN: bool.default(false).register(settingDocs, {
    doc: 'Enables the demo sign-in: demo accounts, and tokens issued by this process (HS256 only). `scripts/start.sh` turns it on.',
  }),
  HOINGHI_DEMO_MEETING: z
    .string()
    .regex(/^[a-z0-9-]{1,64}$/)
    .default('hoi-nghi-toan-quoc')
    .register(settingDocs, { doc: 'The meeting the demo accounts may join.' }),
  HOINGHI_DEMO_TOKEN_TTL_S: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 24 * 3600)
    .default(12 * 3600)
    .register(settingDocs, { doc: 'Lifetime of demo tokens, seconds.' }),
  HOINGHI_DEMO_SCHOOLS: z.coerce
    .number()
    .int()
    .min(34)
    .max(100_000)
    .default(340)
    .register(settingDocs, { doc: 'Schools of the generated demo organisation that the demo start loads into the database (at least one per province).' }),
  HOINGHI_DEMO_TEACHERS: z.coerce
    .number()
    .int()
    .min(0)
    .max(2_000_000)
    .default(3_400)
    .register(settingDocs, { doc: 'Teachers of the generated demo organisation.' }),
  HOINGHI_SIGNIN_PER_MIN: z.coerce
    .number()
    .int()
    .positive()
    .max(100_000)
    .default(30)
    .register(settingDocs, {
      doc: 'Sign-in requests per minute per account from one IP address. Keyed on the account and the IP together, so a school whose teachers share one public IP is not locked out.',
    }),
  HOINGHI_SIGNIN_PER_IP_PER_MIN: z.coerce
    .number()
    .int()
    .positive()
    .max(1_000_000)
    .default(600)
    .register(settingDocs, {
      doc: 'Sign-in requests per minute from one IP address, whatever the account: the ceiling against brute force and account enumeration, high enough for a large school signing in at once.',
    }),
};
