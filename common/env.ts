/**
 * Reading `HOINGHI_*` settings from the environment against a zod schema, once at start-up: an
 * unknown `HOINGHI_*` name or an invalid value stops the process with a message naming it.
 */
import path from 'node:path';
import { z } from 'zod';

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

/**
 * A folder or file setting, made absolute against the working directory once, at start-up:
 * whatever reads it later (express's `sendFile` refuses relative paths; ffmpeg runs in a
 * recording's folder) sees the place the operator meant. `keep` values (e.g. `memory://`) stay.
 * Give a default with `.prefault()`, not `.default()`: zod passes a default through unparsed, so
 * a relative default would stay relative.
 */
export function pathSetting(...keep: string[]) {
  return z
    .string()
    .min(1)
    .transform((p) => (keep.includes(p) ? p : path.resolve(p)));
}

/**
 * A program setting: a bare name (`ffmpeg`) is looked up on PATH when run; a path (with a
 * separator) is made absolute like any other path setting.
 */
export function programSetting() {
  return z
    .string()
    .min(1)
    .transform((p) => (p.includes('/') || p.includes(path.sep) ? path.resolve(p) : p));
}
