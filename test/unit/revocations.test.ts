/**
 * The rule of an ended sign-in (signaling/auth/revocations.ts): tokens issued before the instant
 * are refused, to the millisecond for ours (`iatMs`) and the second for another issuer's (`iat`);
 * the latest instant wins wherever it is learnt; a revocation older than the longest token
 * lifetime is forgotten; a store's entries come back after a restart.
 */
import { describe, expect, it } from 'vitest';
import { Revocations, type Revocation, type RevocationStore } from '../../signaling/auth/revocations';
import { issuedAtMs } from '../../signaling/auth/tokens';

const memoryStore = (): RevocationStore & { rows: Revocation[] } => {
  const rows: Revocation[] = [];
  return { rows, save: async (r) => void rows.push(r), since: async (ms) => rows.filter((r) => r.beforeMs > ms) };
};

describe('revocations', () => {
  it('refuses what was issued before, to the millisecond for our tokens and the second for others', async () => {
    const r = new Revocations({ store: null, maxTokenAgeMs: 3_600_000 });
    await r.revoke('gv-1', 1_000_500);
    expect(r.isRevoked('gv-1', issuedAtMs({ iatMs: 1_000_499 }))).toBe(true);
    expect(r.isRevoked('gv-1', issuedAtMs({ iatMs: 1_000_501 }))).toBe(false);
    // Another issuer's token of the same second: refused (it may have come before).
    expect(r.isRevoked('gv-1', issuedAtMs({ iat: 1_000 }))).toBe(true);
    expect(r.isRevoked('gv-1', issuedAtMs({ iat: 1_001 }))).toBe(false);
    // A token that does not say when: refused once its person has a revocation; others untouched.
    expect(r.isRevoked('gv-1', issuedAtMs({}))).toBe(true);
    expect(r.isRevoked('gv-2', issuedAtMs({}))).toBe(false);
  });

  it('keeps the latest instant, tells the other nodes, and forgets what no token can outlive', async () => {
    const told: Revocation[] = [];
    const r = new Revocations({ store: null, maxTokenAgeMs: 10_000 });
    r.broadcast = (x) => told.push(x);
    await r.revoke('gv-1', 50_000);
    r.apply({ userId: 'gv-1', beforeMs: 40_000 }); // an older word changes nothing
    expect(r.isRevoked('gv-1', 45_000)).toBe(true);
    expect(told).toEqual([{ userId: 'gv-1', beforeMs: 50_000 }]);
    await r.refresh(70_000); // 20 s later: every token of before then has expired
    expect(r.isRevoked('gv-1', 0)).toBe(false);
  });

  it('comes back from the store after a restart', async () => {
    const store = memoryStore();
    await new Revocations({ store, maxTokenAgeMs: 3_600_000 }).revoke('gv-1', Date.now());
    const restarted = new Revocations({ store, maxTokenAgeMs: 3_600_000 });
    expect(restarted.isRevoked('gv-1', Date.now() - 1_000)).toBe(false);
    await restarted.start();
    restarted.stop();
    expect(restarted.isRevoked('gv-1', Date.now() - 1_000)).toBe(true);
  });
});
