/**
 * Reading `HOINGHI_*` settings from the environment against a zod schema, once at start-up: an
 * unknown `HOINGHI_*` name or an invalid value stops the process with a message naming it.
 *
 * Every setting is declared once, in a settings fragment (a zod shape), with its doc string
 * registered in `settingDocs` next to its type and default; docs/configuration.md is generated
 * from those fragments (`npm run settings-doc`), and test/unit/configurationDoc.test.ts fails
 * when it is stale or when a setting lacks a doc.
 */
import path from 'node:path';
import { z } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** What the operator's reference says about one setting. */
export interface SettingDoc {
  /** What the setting does and why one would change it (not measurements: those live in docs/). */
  doc: string;
  /**
   * The default as the reference shows it, when the schema's own default is not the whole story:
   * one computed on the machine (CPU cores, host name), or an unset value that means something.
   */
  shownDefault?: string;
  /** The type as the reference shows it, when the schema alone would say too little. */
  type?: string;
}

/** Doc strings of settings: `.register(settingDocs, { doc })` on the outermost schema of a setting. */
export const settingDocs = z.registry<SettingDoc>();

/** Names of value types the helpers below make (a boolean spelled as text, a path, …). */
export const settingTypes = z.registry<{ type: string }>();

/** A boolean setting: `true`/`1` or `false`/`0`. */
export const bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1')
  .register(settingTypes, { type: 'boolean (`true`, `false`, `1`, `0`)' });

/** An IPv4 or IPv6 address. */
export const ipAddress = z.union([z.ipv4(), z.ipv6()]).register(settingTypes, { type: 'IP address (v4 or v6)' });

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
  const kept = keep.map((k) => ` or \`${k}\``).join('');
  return z
    .string()
    .min(1)
    .transform((p) => (keep.includes(p) ? p : path.resolve(p)))
    .register(settingTypes, { type: `path${kept}` });
}

/**
 * A program setting: a bare name (`ffmpeg`) is looked up on PATH when run; a path (with a
 * separator) is made absolute like any other path setting.
 */
export function programSetting() {
  return z
    .string()
    .min(1)
    .transform((p) => (p.includes('/') || p.includes(path.sep) ? path.resolve(p) : p))
    .register(settingTypes, { type: 'program name (on PATH) or path' });
}
