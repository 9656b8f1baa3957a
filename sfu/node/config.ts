/**
 * Settings of a stand-alone SFU node (sfu/main.ts): the media settings it shares with the
 * single-node default, plus its control endpoint, secret and Redis. Unknown `HOINGHI_*` names or
 * invalid values stop the process with a message naming them.
 */
import os from 'node:os';
import { z } from 'zod';
import { ConfigError, parseEnv } from '../../common/env';
import { sfuEnvProblem, sfuEnvShape, sfuOptionsFrom } from '../config';
import type { SfuOptions } from '../types';

const envSchema = z.object({
  ...sfuEnvShape,
  /** This node's name in the cluster. Default: host name and pid. */
  HOINGHI_SFU_NODE_ID: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).default(`${os.hostname()}-${process.pid}`),
  /** Control endpoint listen address and port (0 = any free port). Defaults 127.0.0.1 and 4400. */
  HOINGHI_SFU_CONTROL_HOST: z.string().min(1).default('127.0.0.1'),
  HOINGHI_SFU_CONTROL_PORT: z.coerce.number().int().min(0).max(65535).default(4400),
  /** How controllers reach the endpoint (behind NAT or a proxy). Default http://host:port. */
  HOINGHI_SFU_CONTROL_URL: z.string().url().optional(),
  /** Shared secret that controllers and this node prove to each other (HMAC; never sent). Required. */
  HOINGHI_SFU_SECRET: z.string().min(32, 'HOINGHI_SFU_SECRET must be at least 32 characters'),
  /** With no controller connected for this long, the node closes every room, ms. Default 60000. */
  HOINGHI_SFU_ORPHAN_GRACE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
  /**
   * A controller (signaling process) gone for this long is taken for dead: the viewers' and
   * publishers' transports it created are closed (their clients have new ones through another
   * signaling process), ms. Default 30000.
   */
  HOINGHI_SFU_CONTROLLER_GRACE_MS: z.coerce.number().int().min(500).max(3_600_000).default(30_000),
  /** Redis, where the node announces itself and its load. Required. */
  HOINGHI_REDIS_URL: z.string().url(),
});

export interface SfuNodeConfig {
  nodeId: string;
  control: { host: string; port: number; url: string | undefined; secret: string; orphanGraceMs: number; controllerGraceMs: number };
  redisUrl: string;
  sfu: SfuOptions;
}


export function loadSfuNodeConfig(env: NodeJS.ProcessEnv = process.env): SfuNodeConfig {
  const e = parseEnv(envSchema, env);
  const problem = sfuEnvProblem(e);
  if (problem) throw new ConfigError(problem);
  return {
    nodeId: e.HOINGHI_SFU_NODE_ID,
    control: { host: e.HOINGHI_SFU_CONTROL_HOST, port: e.HOINGHI_SFU_CONTROL_PORT, url: e.HOINGHI_SFU_CONTROL_URL, secret: e.HOINGHI_SFU_SECRET, orphanGraceMs: e.HOINGHI_SFU_ORPHAN_GRACE_MS, controllerGraceMs: e.HOINGHI_SFU_CONTROLLER_GRACE_MS },
    redisUrl: e.HOINGHI_REDIS_URL,
    sfu: sfuOptionsFrom(e),
  };
}
