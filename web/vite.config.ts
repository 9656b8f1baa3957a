import { defineConfig, type Plugin } from 'vite';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Brotli (quality 11) and gzip (level 9) siblings of every text file of the build, written once
 * at build time so the server never compresses per request (signaling/http/staticFiles.ts picks
 * one by Accept-Encoding). Files under 1 KiB are left alone.
 */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'hoinghi-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      const walk = (dir: string): string[] =>
        fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
      for (const file of walk(outDir)) {
        if (!/\.(js|mjs|css|html|svg|json|txt)$/.test(file)) continue;
        const data = fs.readFileSync(file);
        if (data.length < 1024) continue;
        fs.writeFileSync(`${file}.br`, zlib.brotliCompressSync(data, {
          params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length },
        }));
        fs.writeFileSync(`${file}.gz`, zlib.gzipSync(data, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  root,
  plugins: [precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No source maps in the production build: nothing of the sources is served publicly.
    sourcemap: false,
    target: 'es2022',
    // One ~130 kB (brotli) bundle; split it when the sign-in page must load faster on 2G.
    chunkSizeWarningLimit: 600,
  },
  oxc: { jsx: { runtime: 'automatic' } },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:3000',
      '/socket.io': { target: 'ws://127.0.0.1:3000', ws: true },
    },
  },
});
