/**
 * Namespaced structured logger (pino). JSON in production; `LOG_LEVEL` sets the level
 * (default `info`, `silent` in tests unless set). Use `logger('sfu').child({ meeting })` for context.
 */
import { pino, type Logger } from 'pino';

const level = process.env.LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info');

const root: Logger = pino({
  level,
  base: undefined,
  timestamp: pino.stdTimeFunctions.isoTime,
  // Tokens must never reach a log line, whatever a caller passes in.
  redact: { paths: ['token', '*.token', 'auth.token', 'headers.authorization'], censor: '[redacted]' },
});

export type { Logger };

export function logger(name: string, context: Record<string, unknown> = {}): Logger {
  return root.child({ name, ...context });
}
