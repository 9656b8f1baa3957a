/**
 * Settings of admission: the token bucket joins pass and the queue they wait in.
 */
import { z } from 'zod';
import { settingDocs } from '../../common/env';

export const admissionSettings = {
  HOINGHI_JOIN_RATE: z.coerce
    .number()
    .positive()
    .max(100_000)
    .default(200)
    .register(settingDocs, {
      doc:
        'Teacher joins admitted per second: per process on a single node, for the whole cluster when `HOINGHI_REDIS_URL` is ' +
        'set (give every process the same value). Refused joins wait in a first-come queue. Rejoins after a failure are spread at this rate too.',
    }),
  HOINGHI_JOIN_BURST: z.coerce
    .number()
    .int()
    .positive()
    .max(1_000_000)
    .default(400)
    .register(settingDocs, { doc: 'Joins admitted at once above the rate (the bucket\'s size); same scope as `HOINGHI_JOIN_RATE`.' }),
  HOINGHI_JOIN_HOLD_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(2_000)
    .register(settingDocs, {
      doc:
        'While joins wait, unused admissions are kept up to this long of the rate (beyond the burst), since waiting clients poll ' +
        'about once a second. 0: never beyond the burst (strict arrival order with a burst of 1, at the cost of rate).',
    }),
  HOINGHI_JOIN_QUEUE_MAX: z.coerce
    .number()
    .int()
    .positive()
    .max(100_000_000)
    .default(2_000_000)
    .register(settingDocs, { doc: 'Waiting joins at most (both lanes); beyond, joins get `unavailable`.' }),
  HOINGHI_JOIN_TICKET_TTL_MS: z.coerce
    .number()
    .int()
    .min(25_000)
    .max(600_000)
    .default(30_000)
    .register(settingDocs, { doc: 'A waiting join that has not polled for this long leaves the queue, ms.' }),
  HOINGHI_RESUME_TICKET_TTL_S: z.coerce
    .number()
    .int()
    .min(10)
    .max(86_400)
    .default(900)
    .register(settingDocs, { doc: 'How long after a join coming back counts as a rejoin (which goes ahead of new joins), seconds.' }),
  HOINGHI_ADMISSION_SECRET: z
    .string()
    .min(32, 'HOINGHI_ADMISSION_SECRET must be at least 32 characters')
    .optional()
    .register(settingDocs, {
      doc: 'Key material of resume tickets, shared by all signaling processes.',
      shownDefault: 'with Redis: a random key the first process stores there; on one node: derived from `HOINGHI_JWT_SECRET` (or random)',
    }),
};
