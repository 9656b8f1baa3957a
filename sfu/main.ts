/**
 * Starts a stand-alone SFU node: its mediasoup workers, its control endpoint, and its
 * announcement in Redis (see sfu/node/config.ts for the settings). Signaling nodes started with
 * HOINGHI_SFU=cluster find it there and place viewers on it.
 */
import { logger } from '../common/log';
import { LocalSfu } from './LocalSfu';
import { SfuNodeServer } from './node/SfuNodeServer';
import { ConfigError } from '../common/env';
import { loadSfuNodeConfig, sfuNodeSettingsSchema } from './node/config';
import { openRedisEndpoint } from '../common/redisEndpoint';

const log = logger('sfu-main');

async function main(): Promise<void> {
  // The names this program reads, one a line (scripts/start-cluster.sh gives each program its own).
  if (process.argv.includes('--settings')) {
    console.log(Object.keys(sfuNodeSettingsSchema.shape).join('\n'));
    return;
  }
  let config;
  try {
    config = loadSfuNodeConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`hoinghi-sfu: configuration error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  process.on('unhandledRejection', (reason) => log.error({ err: String(reason) }, 'unhandled rejection'));
  const redis = await openRedisEndpoint(config.redis, logger('redis'));
  const sfu = await LocalSfu.create(config.sfu);
  const server = await SfuNodeServer.start(sfu, {
    nodeId: config.nodeId,
    host: config.control.host,
    port: config.control.port,
    controlUrl: config.control.url,
    secret: config.control.secret,
    redisUrl: redis.url,
    orphanGraceMs: config.control.orphanGraceMs,
    controllerGraceMs: config.control.controllerGraceMs,
  });
  const shutdown = (signal: string): void => {
    log.info({ signal }, 'shutting down');
    Promise.all([server.close().then(() => redis.close()), sfu.close()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  // One line a supervisor (or a test) can read: the node is up and where it listens.
  console.log(`hoinghi-sfu ready ${JSON.stringify({ nodeId: config.nodeId, controlUrl: server.url, workers: config.sfu.numWorkers })}`);
}

main().catch((error: unknown) => {
  console.error('hoinghi-sfu: failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
