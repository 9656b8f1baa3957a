/**
 * Starts a single hoinghi node from the environment (see config.ts) and prints its URL.
 */
import { logger } from '../common/log';
import { ConfigError, loadConfig, signalingSettingsSchema } from './config';
import { HoinghiServer } from './server';

const log = logger('main');

async function main(): Promise<void> {
  // The names this program reads, one a line (scripts/start-cluster.sh gives each program its own).
  if (process.argv.includes('--settings')) {
    console.log(Object.keys(signalingSettingsSchema.shape).join('\n'));
    return;
  }
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`hoinghi: configuration error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  if (config.jwt.secretWasGenerated) log.warn('HOINGHI_JWT_SECRET unset: demo tokens are signed with a random key per start');

  process.on('unhandledRejection', (reason) => log.error({ err: String(reason) }, 'unhandled rejection'));

  const server = await HoinghiServer.create(config);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  // SIGTERM (an orchestrator, the cluster script): drain first, so clients move without a
  // reload; exit when empty or at HOINGHI_DRAIN_DEADLINE_MS. SIGINT (Ctrl-C): stop now.
  const drain = (): void => {
    if (stopping) return;
    log.info({ windowMs: config.drain.windowMs, deadlineMs: config.drain.deadlineMs }, 'SIGTERM: draining');
    server.drain().then(
      (outcome) => {
        log.info({ outcome }, 'drain finished');
        shutdown('SIGTERM');
      },
      () => shutdown('SIGTERM'),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', drain);

  const media = config.cluster
    ? `SFU cluster: ${server.sfu.stats().workersAlive} worker(s) on the nodes found in Redis so far`
    : `${config.sfu.numWorkers} mediasoup worker(s)`;
  console.log(`\n  hoinghi is running: ${server.url}\n`);
  console.log(`  ${media}; demo sign-in ${config.demo.enabled ? 'ON' : 'off'}; metrics ${server.metricsUrl}\n`);
}

main().catch((error: unknown) => {
  console.error('hoinghi: failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
