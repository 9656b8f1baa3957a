import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../signaling/config';

describe('configuration', () => {
  it('has single-node defaults when demo sign-in is on', () => {
    const c = loadConfig({ HOINGHI_DEMO_SIGNIN: 'true' });
    expect(c.http).toEqual({ host: '127.0.0.1', port: 3000 });
    expect(c.sfu).toMatchObject({ listenIp: '127.0.0.1', rtcBasePort: 40000 });
    expect(c.sfu.numWorkers).toBeGreaterThan(0);
    expect(c.jwt.secretWasGenerated).toBe(true);
    expect(c.redisUrl).toBeUndefined();
  });

  it('stops on an unknown setting', () => {
    expect(() => loadConfig({ HOINGHI_DEMO_SIGNIN: 'true', HOINGHI_WORKER: '2' })).toThrow(ConfigError);
  });

  it('stops on an invalid value, naming it', () => {
    expect(() => loadConfig({ HOINGHI_DEMO_SIGNIN: 'true', HOINGHI_PORT: 'eighty' })).toThrow(/HOINGHI_PORT/);
  });

  it('needs a key unless demo sign-in is on', () => {
    expect(() => loadConfig({})).toThrow(/token keys are required/);
  });

  it('takes the OIDC sign-in only with what it needs: client id, public URL, an HS256 secret, a database, https unless on this machine', () => {
    const base = {
      HOINGHI_OIDC_ISSUER: 'https://sso.moet.gov.vn/realms/giao-vien',
      HOINGHI_OIDC_CLIENT_ID: 'hoinghi',
      HOINGHI_PUBLIC_URL: 'https://hoinghi.moet.gov.vn/',
      HOINGHI_JWT_SECRET: 'x'.repeat(32),
      HOINGHI_DATA_DIR: 'memory://',
    };
    const c = loadConfig(base);
    expect(c.oidc).toMatchObject({ clientId: 'hoinghi', clientSecret: undefined, scopes: 'openid profile', idClaim: 'sub', publicOrigin: 'https://hoinghi.moet.gov.vn', accessTokenTtlS: 600 });
    expect(loadConfig({ HOINGHI_DEMO_SIGNIN: 'true' }).oidc).toBeUndefined();
    const without = (k: keyof typeof base) => Object.fromEntries(Object.entries(base).filter(([n]) => n !== k));
    expect(() => loadConfig(without('HOINGHI_OIDC_CLIENT_ID'))).toThrow(/HOINGHI_OIDC_CLIENT_ID/);
    expect(() => loadConfig(without('HOINGHI_PUBLIC_URL'))).toThrow(/HOINGHI_PUBLIC_URL/);
    expect(() => loadConfig(without('HOINGHI_DATA_DIR'))).toThrow(/needs a database/);
    expect(() => loadConfig({ ...without('HOINGHI_JWT_SECRET'), HOINGHI_JWT_ALG: 'ES256', HOINGHI_JWT_PUBLIC_KEY_FILE: '/dev/null' })).toThrow(/HS256/);
    expect(() => loadConfig({ ...base, HOINGHI_OIDC_ISSUER: 'http://sso.moet.gov.vn' })).toThrow(/https/);
    expect(loadConfig({ ...base, HOINGHI_OIDC_ISSUER: 'http://127.0.0.1:9999' }).oidc?.issuer.href).toBe('http://127.0.0.1:9999/');
    expect(() => loadConfig({ ...base, HOINGHI_OIDC_SCOPES: 'profile email' })).toThrow(/HOINGHI_OIDC_SCOPES/);
    expect(() => loadConfig({ HOINGHI_DEMO_SIGNIN: 'true', HOINGHI_OIDC_CLIENT_ID: 'x' })).toThrow(/without HOINGHI_OIDC_ISSUER/);
  });

  it('needs an announced IP when listening on every interface', () => {
    expect(() => loadConfig({ HOINGHI_DEMO_SIGNIN: 'true', HOINGHI_RTC_LISTEN_IP: '0.0.0.0' })).toThrow(/ANNOUNCED/);
  });

  it('takes trusted proxies as addresses and CIDR blocks, and stops on anything else', () => {
    const c = loadConfig({ HOINGHI_DEMO_SIGNIN: 'true', HOINGHI_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8,fd00::/8' });
    expect(c.edge.trustedProxies).toEqual(['127.0.0.1', '10.0.0.0/8', 'fd00::/8']);
    expect(loadConfig({ HOINGHI_DEMO_SIGNIN: 'true' }).edge.trustedProxies).toEqual([]);
    for (const bad of ['10.0.0.0/33', 'haproxy', '10.0.0.0/8/1', '*']) {
      expect(() => loadConfig({ HOINGHI_DEMO_SIGNIN: 'true', HOINGHI_TRUSTED_PROXIES: bad }), bad).toThrow(/HOINGHI_TRUSTED_PROXIES/);
    }
  });

  it('takes signed HLS links only with a key fit for the cache\'s configuration, and a cache URL only with a key', () => {
    const base = { HOINGHI_DEMO_SIGNIN: 'true' };
    expect(loadConfig(base).hlsLinks).toBeUndefined();
    const key = 'a'.repeat(32);
    expect(loadConfig({ ...base, HOINGHI_HLS_LINK_SECRET: key, HOINGHI_HLS_CACHE_URL: 'https://hls.example.vn/' }).hlsLinks).toEqual({ secret: key, ttlS: 900, baseUrl: 'https://hls.example.vn' });
    expect(() => loadConfig({ ...base, HOINGHI_HLS_CACHE_URL: 'https://hls.example.vn' })).toThrow(/HOINGHI_HLS_LINK_SECRET/);
    expect(() => loadConfig({ ...base, HOINGHI_HLS_LINK_SECRET: 'short' })).toThrow(/HOINGHI_HLS_LINK_SECRET/);
    // It is written into nginx's configuration: nothing that could end a string or a directive.
    expect(() => loadConfig({ ...base, HOINGHI_HLS_LINK_SECRET: `${key}"; return 200` })).toThrow(/HOINGHI_HLS_LINK_SECRET/);
    expect(() => loadConfig({ ...base, HOINGHI_HLS_LINK_SECRET: key, HOINGHI_HLS_CACHE_URL: 'ftp://hls.example.vn' })).toThrow(/HOINGHI_HLS_CACHE_URL/);
  });

  it('stops when the drain deadline is shorter than the drain window', () => {
    expect(() => loadConfig({ HOINGHI_DEMO_SIGNIN: 'true', HOINGHI_DRAIN_WINDOW_MS: '5000', HOINGHI_DRAIN_DEADLINE_MS: '1000' })).toThrow(/DRAIN_DEADLINE/);
  });

  it('resolves every folder and file setting to an absolute path once, against the working directory', () => {
    const cwd = process.cwd();
    const defaults = loadConfig({ HOINGHI_DEMO_SIGNIN: 'true' });
    expect(defaults.recording.dir).toBe(path.join(cwd, 'recordings'));
    expect(defaults.recording.recorder.ffmpegPath).toBe('ffmpeg');
    const c = loadConfig({
      HOINGHI_DEMO_SIGNIN: 'true',
      HOINGHI_RECORDINGS_DIR: 'var/rec',
      HOINGHI_DATA_DIR: './data',
      HOINGHI_WEB_DIST: '../web/dist',
      HOINGHI_FFMPEG: 'bin/ffmpeg',
    });
    expect(c.recording.dir).toBe(path.join(cwd, 'var/rec'));
    expect(c.database).toEqual({ kind: 'pglite', dataDir: path.join(cwd, 'data') });
    expect(c.webDist).toBe(path.resolve(cwd, '../web/dist'));
    expect(c.recording.recorder.ffmpegPath).toBe(path.join(cwd, 'bin/ffmpeg'));
    const keys = loadConfig({ HOINGHI_JWT_ALG: 'ES256', HOINGHI_JWT_PUBLIC_KEY_FILE: 'keys/ec.pem' });
    expect(keys.jwt.keys).toMatchObject({ kind: 'publicKeyFile', path: path.join(cwd, 'keys/ec.pem') });
    const jwks = loadConfig({ HOINGHI_JWT_JWKS_FILE: 'keys/jwks.json' });
    expect(jwks.jwt.keys).toMatchObject({ kind: 'jwksFile', path: path.join(cwd, 'keys/jwks.json') });
  });

  it('keeps what is not a path: the in-memory database, and a program name looked up on PATH', () => {
    const c = loadConfig({ HOINGHI_DEMO_SIGNIN: 'true', HOINGHI_DATA_DIR: 'memory://', HOINGHI_FFMPEG: 'ffmpeg-7' });
    expect(c.database).toEqual({ kind: 'pglite', dataDir: 'memory://' });
    expect(c.recording.recorder.ffmpegPath).toBe('ffmpeg-7');
    expect(loadConfig({ HOINGHI_DEMO_SIGNIN: 'true', HOINGHI_RECORDINGS_DIR: '/srv/rec' }).recording.dir).toBe('/srv/rec');
  });
});
