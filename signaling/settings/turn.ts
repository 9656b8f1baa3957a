/**
 * Settings of TURN relays for teachers whose school lets nothing out but TCP to 443: the relays'
 * addresses and the secret they share with the signaling nodes (coturn's `use-auth-secret`), from
 * which every transport gets credentials of its own that expire (the TURN REST scheme).
 */
import { z } from 'zod';
import { settingDocs } from '../../common/env';

const TURN_URL = /^turns?:[^\s,?]+(\?transport=(udp|tcp))?$/;

export const turnSettings = {
  HOINGHI_TURN_URLS: z
    .string()
    .default('')
    .refine((v) => v.split(',').map((u) => u.trim()).filter(Boolean).every((u) => TURN_URL.test(u)), 'a comma-separated list of turn: or turns: URLs')
    .register(settingDocs, {
      doc:
        'TURN relays offered to every page as ICE servers, e.g. `turns:turn.example.vn:443?transport=tcp` (TLS on 443: what a school ' +
        'firewall that blocks UDP still lets out) and `turn:turn.example.vn:3478` (UDP, for networks that only block the SFU\'s ports). ' +
        'Needs `HOINGHI_TURN_SECRET`. Empty: no relay; a teacher whose network blocks UDP falls back to the delayed HLS stream.',
      shownDefault: 'empty: no TURN',
      type: 'comma-separated `turn:`/`turns:` URLs',
    }),
  HOINGHI_TURN_SECRET: z
    .string()
    .min(32, 'HOINGHI_TURN_SECRET must be at least 32 characters')
    .optional()
    .register(settingDocs, {
      doc:
        "The secret shared with the TURN servers (coturn: `use-auth-secret` and `static-auth-secret`, deploy/coturn/turnserver.conf). " +
        'Each transport gets a username `<expiry>:<user id>` and its HMAC-SHA1 under this secret, good until the expiry: no password ' +
        'is stored anywhere and one leaked from a page stops working by itself.',
      shownDefault: 'unset',
      type: 'string, ≥ 32 characters',
    }),
  HOINGHI_TURN_TTL_S: z.coerce
    .number()
    .int()
    .min(300)
    .max(86_400)
    .default(14_400)
    .register(settingDocs, {
      doc:
        'How long TURN credentials are good for, seconds. A relay refuses to refresh an allocation once they expire, so this should ' +
        'outlast a meeting day\'s session; every new transport (a join, a reconnect) gets fresh ones.',
    }),
};
