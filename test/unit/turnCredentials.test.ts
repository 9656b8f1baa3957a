/**
 * TURN credentials of the REST scheme, as coturn's `use-auth-secret` checks them (the relay's own
 * check is in test/e2e/turn.test.ts), and the settings that turn them on.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TurnCredentials } from '../../signaling/edge/turnCredentials';
import { ConfigError, loadConfig } from '../../signaling/config';

const SECRET = 'a-turn-secret-of-at-least-32-characters';
const URLS = ['turns:turn.example.vn:443?transport=tcp', 'turn:turn.example.vn:3478'];

describe('TURN credentials', () => {
  it('name the user and an expiry one lifetime from now, signed with HMAC-SHA1 of the shared secret', () => {
    const now = Date.UTC(2026, 11, 6, 8, 0, 0);
    const [server] = new TurnCredentials({ urls: URLS, secret: SECRET, ttlS: 3600 }, () => now).issue('gv-hn-1');
    expect(server!.urls).toEqual(URLS);
    expect(server!.username).toBe(`${now / 1000 + 3600}:gv-hn-1`);
    expect(server!.credential).toBe(createHmac('sha1', SECRET).update(server!.username).digest('base64'));
  });

  it('differ per user and per moment, and keep a user id with a colon from shifting the expiry', () => {
    let now = 1_800_000_000_000;
    const turn = new TurnCredentials({ urls: URLS, secret: SECRET, ttlS: 600 }, () => now);
    const a = turn.issue('gv-hn-1')[0]!;
    expect(turn.issue('gv-hn-2')[0]!.credential).not.toBe(a.credential);
    now += 1_000;
    expect(turn.issue('gv-hn-1')[0]!.username).not.toBe(a.username);
    const odd = turn.issue('oidc:sub:42')[0]!;
    expect(odd.username.split(':')).toHaveLength(2);
    expect(Number(odd.username.split(':')[0])).toBe(Math.floor(now / 1000) + 600);
  });

  it('are on only with both the relays and the secret, and refuse malformed relay URLs', () => {
    const base = { HOINGHI_DEMO_SIGNIN: 'true' };
    expect(loadConfig(base).turn).toBeUndefined();
    expect(loadConfig({ ...base, HOINGHI_TURN_URLS: URLS.join(','), HOINGHI_TURN_SECRET: SECRET }).turn).toEqual({ urls: URLS, secret: SECRET, ttlS: 14_400 });
    expect(() => loadConfig({ ...base, HOINGHI_TURN_URLS: URLS[0] })).toThrow(/HOINGHI_TURN_SECRET/);
    expect(() => loadConfig({ ...base, HOINGHI_TURN_SECRET: SECRET })).toThrow(/HOINGHI_TURN_URLS/);
    expect(() => loadConfig({ ...base, HOINGHI_TURN_URLS: 'https://turn.example.vn', HOINGHI_TURN_SECRET: SECRET })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, HOINGHI_TURN_URLS: URLS[0], HOINGHI_TURN_SECRET: 'short' })).toThrow(/32 characters/);
    expect(() => loadConfig({ ...base, HOINGHI_TURN_URLS: URLS[0], HOINGHI_TURN_SECRET: SECRET, HOINGHI_TURN_TTL_S: '10' })).toThrow(ConfigError);
  });
});
