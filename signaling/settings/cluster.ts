/**
 * Settings of a signaling process's side of a cluster: whether it controls SFU nodes, and how wide
 * their relay tree fans out. Redis and the SFU secret, shared with the SFU nodes, are declared in
 * common/clusterSettings.ts.
 */
import { z } from 'zod';
import { settingDocs } from '../../common/env';

export const signalingClusterSettings = {
  HOINGHI_SFU: z
    .enum(['local', 'cluster'])
    .default('local')
    .register(settingDocs, {
      doc:
        '`local`: mediasoup workers in this process (a single node). `cluster`: control the SFU nodes found in Redis (needs ' +
        '`HOINGHI_REDIS_URL` and `HOINGHI_SFU_SECRET`).',
    }),
  HOINGHI_SFU_FANOUT: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(8)
    .register(settingDocs, { doc: 'SFU nodes one node feeds directly before the media tree grows a relay level (cluster).' }),
};
