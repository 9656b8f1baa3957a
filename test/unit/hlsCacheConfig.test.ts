/**
 * The HLS cache node's nginx configuration as rendered from deploy/nginx/hls-cache.conf: every
 * placeholder filled, nothing an operator's value could inject, and nginx itself accepts it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hlsCacheConfig, type HlsCacheOptions } from '../../deploy/nginx/hlsCache';

const OPTIONS: HlsCacheOptions = {
  prefix: '/var/lib/hoinghi-hls',
  listen: '0.0.0.0:8080',
  origins: ['10.0.0.11:3000', '10.0.0.12:3000'],
  secret: 'b'.repeat(40),
  siteOrigin: 'https://hop.example.vn',
};

describe('the HLS cache configuration', () => {
  it('fills every placeholder below the header, with one upstream server per origin', () => {
    const text = hlsCacheConfig(OPTIONS);
    const body = text.split('\n').filter((l) => !l.startsWith('#')).join('\n');
    expect(body).not.toContain('{{');
    expect(body).toContain('server 10.0.0.11:3000 max_fails=2 fail_timeout=5s;');
    expect(body).toContain('server 10.0.0.12:3000 max_fails=2 fail_timeout=5s;');
    expect(body).toContain(`set $hls_link_secret "${OPTIONS.secret}";`);
    expect(body).toContain('Access-Control-Allow-Origin "https://hop.example.vn"');
  });

  it('refuses values that could end a string or a directive', () => {
    expect(() => hlsCacheConfig({ ...OPTIONS, secret: `${'b'.repeat(40)}";` })).toThrow(/secret/);
    expect(() => hlsCacheConfig({ ...OPTIONS, origins: ['10.0.0.11:3000; include /etc/passwd'] })).toThrow(/origin/);
    expect(() => hlsCacheConfig({ ...OPTIONS, siteOrigin: 'https://hop.example.vn" always; add_header X 1' })).toThrow();
    expect(() => hlsCacheConfig({ ...OPTIONS, prefix: 'relative/dir' })).toThrow(/prefix/);
    expect(() => hlsCacheConfig({ ...OPTIONS, origins: [] })).toThrow(/origin/);
  });

  it('is accepted by nginx -t', () => {
    const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-nginx-t-'));
    try {
      for (const d of ['tmp', 'cache']) fs.mkdirSync(path.join(prefix, d));
      const file = path.join(prefix, 'nginx.conf');
      fs.writeFileSync(file, hlsCacheConfig({ ...OPTIONS, prefix, listen: '127.0.0.1:1' }));
      // -t checks syntax and the modules used (secure_link), without binding the port.
      execFileSync('nginx', ['-t', '-q', '-p', prefix, '-c', file, '-e', path.join(prefix, 'error.log')], { stdio: 'pipe' });
    } finally {
      fs.rmSync(prefix, { recursive: true, force: true });
    }
  });
});
