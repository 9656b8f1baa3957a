/**
 * The web client over HTTP: precompressed brotli/gzip chosen by Accept-Encoding, immutable
 * caching of hashed assets, index.html revalidated, no source maps.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';

let server: HoinghiServer;
let dist: string;
const JS = `console.log(${JSON.stringify('xin chào '.repeat(500))});\n`;

beforeAll(async () => {
  dist = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-dist-'));
  fs.mkdirSync(path.join(dist, 'assets'));
  fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><script type="module" src="/assets/index-AbCd1234.js"></script>');
  const js = path.join(dist, 'assets/index-AbCd1234.js');
  fs.writeFileSync(js, JS);
  fs.writeFileSync(`${js}.br`, zlib.brotliCompressSync(JS));
  fs.writeFileSync(`${js}.gz`, zlib.gzipSync(JS));
  fs.writeFileSync(`${js}.map`, '{"version":3,"sources":["secret.ts"]}');
  server = await startServer({ HOINGHI_WEB_DIST: dist });
});

afterAll(async () => {
  await server.close();
  fs.rmSync(dist, { recursive: true, force: true });
});

/** A raw GET (no automatic decompression), with its headers and body bytes. */
function get(urlPath: string, acceptEncoding?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${server.url}${urlPath}`, { headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
  });
}

describe('the web client over HTTP', () => {
  it('sends the brotli file to a browser that accepts it, with the right type and Vary', async () => {
    const res = await get('/assets/index-AbCd1234.js', 'gzip, deflate, br');
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers.vary).toMatch(/Accept-Encoding/i);
    expect(res.body.length).toBeLessThan(JS.length / 5);
    expect(zlib.brotliDecompressSync(res.body).toString()).toBe(JS);
  });

  it('sends gzip when brotli is not accepted, and the plain file when nothing is', async () => {
    const gz = await get('/assets/index-AbCd1234.js', 'gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(gz.body).toString()).toBe(JS);
    const refused = await get('/assets/index-AbCd1234.js', 'br;q=0, gzip;q=0');
    expect(refused.headers['content-encoding']).toBeUndefined();
    const plain = await get('/assets/index-AbCd1234.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(JS);
  });

  it('caches hashed assets as immutable for a year and revalidates index.html', async () => {
    expect((await get('/assets/index-AbCd1234.js', 'br')).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const index = await get('/');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.body.toString()).toContain('/assets/index-AbCd1234.js');
    // The app's own paths get index.html too.
    expect((await get('/teacher')).body.toString()).toContain('<!doctype html>');
  });

  it('never serves source maps, and leaves the API alone', async () => {
    expect((await get('/assets/index-AbCd1234.js.map')).status).toBe(404);
    expect((await get('/assets/index-AbCd1234.js.br')).status).toBe(404);
    const api = await get('/api/provinces');
    expect(api.headers['content-type']).toMatch(/json/);
  });
});
