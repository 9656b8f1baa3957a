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

  it('needs an announced IP when listening on every interface', () => {
    expect(() => loadConfig({ HOINGHI_DEMO_SIGNIN: 'true', HOINGHI_RTC_LISTEN_IP: '0.0.0.0' })).toThrow(/ANNOUNCED/);
  });
});
