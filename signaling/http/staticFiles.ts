/**
 * The built web client, served for weak connections: brotli or gzip files made at build time
 * (web/vite.config.ts) chosen by Accept-Encoding, with `Vary: Accept-Encoding`; content-hashed
 * assets cached as immutable for a year; index.html revalidated on every load; source maps never
 * served. The file list is read once at start-up, so a request never touches a path a client made.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { NextFunction, Request, Response } from 'express';

/** Content-hashed files (vite's `assets/name-HASH.ext`) never change under their name. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';
const HASHED = /^\/assets\/.+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

interface StaticFile {
  /** Absolute paths of the plain file and its precompressed siblings, if any. */
  plain: string;
  br: string | null;
  gzip: string | null;
  cacheControl: string;
}

/** url path → file. */
function scan(root: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
        continue;
      }
      if (/\.(br|gz|map)$/.test(entry.name)) continue;
      const url = '/' + path.relative(root, full).split(path.sep).join('/');
      files.set(url, {
        plain: full,
        br: fs.existsSync(`${full}.br`) ? `${full}.br` : null,
        gzip: fs.existsSync(`${full}.gz`) ? `${full}.gz` : null,
        cacheControl: HASHED.test(url) ? IMMUTABLE : REVALIDATE,
      });
    }
  };
  walk(root);
  return files;
}

/** Which encodings the client accepts (q=0 refuses one). */
function accepts(header: string | undefined): { br: boolean; gzip: boolean } {
  const out = { br: false, gzip: false };
  for (const part of (header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q && Number(q.slice(2)) === 0) continue;
    if (name === 'br') out.br = true;
    else if (name === 'gzip') out.gzip = true;
  }
  return out;
}

/**
 * Serves the files of `root`, and index.html for every other GET without a file extension that
 * `isAppRoute` accepts (the single-page app's own paths). Source maps and the .br/.gz files
 * themselves answer 404.
 */
export function staticFiles(root: string, isAppRoute: (urlPath: string) => boolean) {
  const files = scan(root);
  const index = files.get('/index.html');
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const urlPath = req.path;
    let file = files.get(urlPath);
    // The app's own paths (no file extension) get index.html; a missing file is a 404.
    if (!file && index && !/\.[A-Za-z0-9]+$/.test(urlPath) && isAppRoute(urlPath)) file = index;
    if (!file) return next();
    const enc = accepts(req.headers['accept-encoding']);
    const chosen = enc.br && file.br ? { path: file.br, encoding: 'br' } : enc.gzip && file.gzip ? { path: file.gzip, encoding: 'gzip' } : null;
    res.setHeader('Cache-Control', file.cacheControl);
    if (file.br || file.gzip) res.setHeader('Vary', 'Accept-Encoding');
    // The type of the original file, not of its .br/.gz sibling (send keeps a type already set).
    res.type(path.extname(file.plain));
    if (chosen) res.setHeader('Content-Encoding', chosen.encoding);
    res.sendFile(chosen?.path ?? file.plain, { cacheControl: false, dotfiles: 'deny' }, (error) => {
      if (error && !res.headersSent) next(error);
    });
  };
}
