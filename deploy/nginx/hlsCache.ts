/**
 * Renders deploy/nginx/hls-cache.conf (the HLS cache node's nginx configuration) from its
 * settings, checking each one, so an operator's file and the tests' (harness/hlsCache.ts) are the
 * same template. From the command line:
 *
 *   HOINGHI_HLS_LINK_SECRET=... node --import tsx deploy/nginx/hlsCache.ts --prefix /var/lib/hoinghi-hls \
 *     --listen 0.0.0.0:8080 --origin 10.0.0.11:3000 --origin 10.0.0.12:3000 --site-origin https://hop.example.vn \
 *     > /etc/nginx/hoinghi-hls-cache.conf
 *
 * (the secret is read from the environment, never from the command line, which `ps` shows).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

export const HLS_CACHE_TEMPLATE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hls-cache.conf');

export interface HlsCacheOptions {
  /** Folder nginx owns: pid file, temp files, the cache. */
  prefix: string;
  /** `host:port` to listen on. */
  listen: string;
  /** The signaling nodes, `host:port` each. */
  origins: readonly string[];
  /** HOINGHI_HLS_LINK_SECRET. */
  secret: string;
  /** The meeting site's origin (`https://host[:port]`): its pages may read the answers. */
  siteOrigin: string;
  /** Worker processes. Default `auto`. */
  workers?: number | 'auto';
  /** Disk the cache may use (nginx size, e.g. `20g`). Default `10g`. */
  cacheSize?: string;
  /** A file for the access log. Default: none. */
  accessLog?: string;
}

const HOST_PORT = /^[A-Za-z0-9.:[\]-]+:[0-9]{1,5}$/;
const SECRET = /^[A-Za-z0-9_.~+/=-]{32,}$/;

export function hlsCacheConfig(o: HlsCacheOptions): string {
  if (!path.isAbsolute(o.prefix) || /[\s;{}"'$]/.test(o.prefix)) throw new Error(`prefix must be an absolute path without spaces or quotes: ${o.prefix}`);
  if (!HOST_PORT.test(o.listen)) throw new Error(`listen must be host:port: ${o.listen}`);
  if (o.origins.length === 0) throw new Error('at least one origin');
  for (const origin of o.origins) if (!HOST_PORT.test(origin)) throw new Error(`origin must be host:port: ${origin}`);
  if (!SECRET.test(o.secret)) throw new Error('the secret must be at least 32 characters of A-Z a-z 0-9 _ . ~ + / = - (as HOINGHI_HLS_LINK_SECRET)');
  const site = new URL(o.siteOrigin);
  if (site.origin !== o.siteOrigin.replace(/\/+$/, '')) throw new Error(`site origin must be scheme://host[:port]: ${o.siteOrigin}`);
  if (o.accessLog !== undefined && (!path.isAbsolute(o.accessLog) || /[\s;{}"'$]/.test(o.accessLog))) throw new Error(`access log must be an absolute path: ${o.accessLog}`);
  const cacheSize = o.cacheSize ?? '10g';
  if (!/^[0-9]+[kmg]?$/.test(cacheSize)) throw new Error(`cache size: ${cacheSize}`);
  const workers = o.workers ?? 'auto';
  if (workers !== 'auto' && !(Number.isInteger(workers) && workers > 0)) throw new Error(`workers: ${workers}`);
  const values: Record<string, string> = {
    PREFIX: o.prefix.replace(/\/+$/, ''),
    LISTEN: o.listen,
    WORKERS: String(workers),
    ORIGINS: o.origins.map((h) => `server ${h} max_fails=2 fail_timeout=5s;`).join('\n    '),
    SECRET: o.secret,
    SITE_ORIGIN: site.origin,
    CACHE_SIZE: cacheSize,
    ACCESS_LOG: o.accessLog === undefined ? 'off' : `${o.accessLog} hls`,
  };
  const template = fs.readFileSync(HLS_CACHE_TEMPLATE, 'utf8');
  // Placeholders in the header comment stay as they are (they document the names).
  const [head, body] = splitHeader(template);
  return head + body.replace(/\{\{([A-Z_]+)\}\}/g, (_m, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`unknown placeholder {{${name}}}`);
    return v;
  });
}

/** The leading comment block and the rest. */
function splitHeader(text: string): [string, string] {
  const lines = text.split('\n');
  const n = lines.findIndex((l) => !l.startsWith('#'));
  return [lines.slice(0, n).join('\n') + '\n', lines.slice(n).join('\n')];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      prefix: { type: 'string' },
      listen: { type: 'string' },
      origin: { type: 'string', multiple: true },
      'site-origin': { type: 'string' },
      workers: { type: 'string' },
      'cache-size': { type: 'string' },
      'access-log': { type: 'string' },
    },
  });
  const secret = process.env.HOINGHI_HLS_LINK_SECRET;
  if (!values.prefix || !values.listen || !values.origin || !values['site-origin'] || !secret) {
    console.error('usage: HOINGHI_HLS_LINK_SECRET=... deploy/nginx/hlsCache.ts --prefix DIR --listen HOST:PORT --origin HOST:PORT... --site-origin URL [--workers N] [--cache-size 10g] [--access-log FILE]');
    process.exit(2);
  }
  process.stdout.write(
    hlsCacheConfig({
      prefix: values.prefix,
      listen: values.listen,
      origins: values.origin,
      secret,
      siteOrigin: values['site-origin'],
      ...(values.workers ? { workers: values.workers === 'auto' ? 'auto' : Number(values.workers) } : {}),
      ...(values['cache-size'] ? { cacheSize: values['cache-size'] } : {}),
      ...(values['access-log'] ? { accessLog: values['access-log'] } : {}),
    }),
  );
}
