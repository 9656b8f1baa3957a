/**
 * Settings of the signaling process's listeners: HTTP and socket.io, /metrics, the web client it
 * serves, how its peers reach it, and how it drains on SIGTERM.
 */
import { z } from 'zod';
import { pathSetting, settingDocs } from '../../common/env';

export const serverSettings = {
  HOINGHI_HOST: z.string().min(1).default('127.0.0.1').register(settingDocs, {
    doc: 'HTTP and socket.io listen address. `0.0.0.0` to be reached from other machines (with the RTC settings below).',
  }),
  HOINGHI_PORT: z.coerce.number().int().min(0).max(65535).default(3000).register(settingDocs, { doc: 'HTTP and socket.io port (0: any free port).' }),
  HOINGHI_CORS_ORIGINS: z.string().optional().register(settingDocs, {
    doc: 'Browser origins allowed to call this process cross-origin, comma-separated.',
    shownDefault: 'unset: none',
    type: 'comma-separated origins',
  }),
  HOINGHI_METRICS_PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .optional()
    .register(settingDocs, {
      doc:
        'Serve /metrics on this port (on `HOINGHI_METRICS_HOST`) instead of the public port. Unset, it is the public port on a ' +
        'single node, but in cluster mode (`HOINGHI_SFU=cluster` or `HOINGHI_REDIS_URL` set) a listener of its own on a free ' +
        'port, printed at start-up: a cluster sits behind a public load balancer, and /metrics stays off it.',
      shownDefault: 'unset: see the doc',
    }),
  HOINGHI_METRICS_HOST: z.string().min(1).default('127.0.0.1').register(settingDocs, { doc: 'Listen address of the /metrics listener when it has its own port.' }),
  HOINGHI_WEB_DIST: pathSetting().optional().register(settingDocs, {
    doc: 'Folder of the built web client (a relative folder is taken from the working directory).',
    shownDefault: "unset: the checkout's `web/dist`",
  }),
  HOINGHI_NODE_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .optional()
    .register(settingDocs, { doc: "This signaling process's id in the meeting store (cluster).", shownDefault: 'unset: host name, pid and a random suffix' }),
  HOINGHI_INTERNAL_URL: z.string().url().optional().register(settingDocs, {
    doc: 'How other signaling processes reach this one\'s HTTP listener (a cluster passes HLS requests to the process that has the files), e.g. `http://10.0.0.12:3000`.',
    shownDefault: 'unset: the listening address',
  }),
  HOINGHI_DRAIN_WINDOW_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(3_600_000)
    .default(30_000)
    .register(settingDocs, { doc: 'On SIGTERM, connected clients are asked to move to another process, spread over this window, ms.' }),
  HOINGHI_DRAIN_DEADLINE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(3_600_000)
    .default(45_000)
    .register(settingDocs, {
      doc:
        'On SIGTERM the process exits when its last client has left, or at this deadline, ms (at least the drain window). ' +
        "Set an orchestrator's grace period above it.",
    }),
};
