/**
 * Settings of a stand-alone SFU node (sfu/main.ts): the media settings it shares with the
 * single-node default (sfu/config.ts), its name and control endpoint (declared here), and the
 * cluster's Redis and secret (common/clusterSettings.ts, required here). Unknown `HOINGHI_*`
 * names or invalid values stop the process with a message naming them.
 */
import os from 'node:os';
import { z } from 'zod';
import { clusterSettings, requiredRedisTarget, type RedisTarget } from '../../common/clusterSettings';
import { ConfigError, parseEnv, settingDocs } from '../../common/env';
import { sfuEnvProblem, sfuEnvShape, sfuOptionsFrom } from '../config';
import type { SfuOptions } from '../types';

/** The settings only an SFU node reads: its name and its control endpoint. */
export const sfuNodeOwnSettings = {
  HOINGHI_SFU_NODE_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .default(`${os.hostname()}-${process.pid}`)
    .register(settingDocs, { doc: 'This node\'s name in the cluster (in metrics and in the node directory).', shownDefault: 'host name and pid' }),
  HOINGHI_SFU_CONTROL_HOST: z.string().min(1).default('127.0.0.1').register(settingDocs, { doc: 'Listen address of the control endpoint that signaling processes connect to.' }),
  HOINGHI_SFU_CONTROL_PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(4400)
    .register(settingDocs, { doc: 'Port of the control endpoint (0: any free port).' }),
  HOINGHI_SFU_CONTROL_URL: z.string().url().optional().register(settingDocs, {
    doc: 'How controllers reach the control endpoint, when not at its listen address (behind NAT or a proxy).',
    shownDefault: 'unset: `http://host:port` of the endpoint',
  }),
  HOINGHI_SFU_ORPHAN_GRACE_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(3_600_000)
    .default(60_000)
    .register(settingDocs, {
      doc:
        'With no controller connected for this long, ms, the node closes every room. Until then media keeps flowing while the ' +
        'signaling processes restart or a new owner of a meeting takes over.',
    }),
  HOINGHI_SFU_CONTROLLER_GRACE_MS: z.coerce
    .number()
    .int()
    .min(500)
    .max(3_600_000)
    .default(30_000)
    .register(settingDocs, {
      doc:
        'A controller (signaling process) gone for this long, ms, is taken for dead: the viewers\' and publishers\' transports it ' +
        'created are closed (their clients have new ones through another signaling process).',
    }),
};

/** Everything a stand-alone SFU node reads (sfu/main.ts). */
export const sfuNodeSettingsSchema = z.object({
  ...sfuEnvShape,
  ...sfuNodeOwnSettings,
  ...clusterSettings,
});

export interface SfuNodeConfig {
  nodeId: string;
  control: { host: string; port: number; url: string | undefined; secret: string; orphanGraceMs: number; controllerGraceMs: number };
  redis: RedisTarget;
  sfu: SfuOptions;
}

export function loadSfuNodeConfig(env: NodeJS.ProcessEnv = process.env): SfuNodeConfig {
  const e = parseEnv(sfuNodeSettingsSchema, env);
  const problem = sfuEnvProblem(e);
  if (problem) throw new ConfigError(problem);
  return {
    nodeId: e.HOINGHI_SFU_NODE_ID,
    control: { host: e.HOINGHI_SFU_CONTROL_HOST, port: e.HOINGHI_SFU_CONTROL_PORT, url: e.HOINGHI_SFU_CONTROL_URL, secret: e.HOINGHI_SFU_SECRET, orphanGraceMs: e.HOINGHI_SFU_ORPHAN_GRACE_MS, controllerGraceMs: e.HOINGHI_SFU_CONTROLLER_GRACE_MS },
    redis: requiredRedisTarget(e),
    sfu: sfuOptionsFrom(e),
  };
}
