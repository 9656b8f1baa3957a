/**
 * Reading `HOINGHI_*` settings from the environment against a zod schema, once at start-up: an
 * unknown `HOINGHI_*` name or an invalid value stops the process with a message naming it.
 */
import type { z } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseEnv<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const known = new Set(Object.keys(schema.shape));
  const unknown = Object.keys(env).filter((k) => k.startsWith('HOINGHI_') && !known.has(k));
  if (unknown.length > 0) throw new ConfigError(`unknown setting(s): ${unknown.join(', ')}`);
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid setting(s):\n  ${lines.join('\n  ')}`);
  }
  return parsed.data;
}
