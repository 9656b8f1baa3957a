/**
 * The settings every process of a cluster shares: the Redis it meets in, and the secret the
 * signaling processes and the SFU nodes prove to each other. Declared once here; the signaling
 * process takes them as optional (a single node has neither), an SFU node requires both.
 */
import { z } from 'zod';
import { settingDocs } from './env';

export const clusterSettings = {
  HOINGHI_REDIS_URL: z
    .string()
    .url()
    .register(settingDocs, {
      doc:
        'Redis of the cluster (`redis://…`). A signaling process keeps meeting state, socket.io\'s adapter and the SFU node ' +
        'directory there; unset, it runs as a single node with its state in memory. An SFU node announces itself and its load there.',
    }),
  HOINGHI_SFU_SECRET: z
    .string()
    .min(32, 'HOINGHI_SFU_SECRET must be at least 32 characters')
    .register(settingDocs, {
      doc:
        'Shared secret of the SFU nodes\' control endpoints: signaling processes and SFU nodes prove it to each other by HMAC, ' +
        'it is never sent. Give every process of the cluster the same one. A signaling process needs it with `HOINGHI_SFU=cluster`.',
    }),
};

/** The same settings, optional (the signaling process: unset on a single node). */
export const optionalClusterSettings = {
  HOINGHI_REDIS_URL: clusterSettings.HOINGHI_REDIS_URL.optional(),
  HOINGHI_SFU_SECRET: clusterSettings.HOINGHI_SFU_SECRET.optional(),
};
