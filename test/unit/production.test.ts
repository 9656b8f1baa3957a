/** The rules of a produced broadcast (signaling/meeting/production.ts), as pure functions. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProductionRefusal, applyChange, inBackstage, onAir, stageKey, type Actor, type StageChange } from '../../signaling/meeting/production';
import { MAX_STAGE_SOURCES, type Production } from '../../signaling/protocol/production';
import { NO_PRODUCTION } from '../../signaling/store/types';

const host: Actor = { userId: 'h', role: 'host', crew: null };
const producer: Actor = { userId: 'p', role: 'teacher', crew: 'producer' };
const presenter: Actor = { userId: 'r', role: 'teacher', crew: 'presenter' };
const NOW = 1_000_000;

function run(p: Production, change: StageChange, actor = host, onAirNow: string[] = []): Production {
  return { ...applyChange(p, change, actor, NOW, onAirNow), version: p.version + 1 };
}

describe('on air', () => {
  const cam = { peerId: 'a', source: 'camera' as const, stage: 'presenter' as const };
  const screen = { peerId: 'a', source: 'screen' as const, stage: 'presenter' as const };
  const interp = { peerId: 'i', source: 'camera' as const, stage: 'interpreter' as const };
  const speaker = { peerId: 't', source: 'mic' as const };

  it('is everything without backstage, and what the stage says with it', () => {
    expect(onAir(cam, NO_PRODUCTION, NOW)).toBe(true);
    let p = run(NO_PRODUCTION, { type: 'backstage', on: true });
    expect([onAir(cam, p, NOW), onAir(interp, p, NOW), onAir(speaker, p, NOW)]).toEqual([false, false, true]);
    p = run(p, { type: 'put', key: 'a', on: true });
    expect(onAir(cam, p, NOW)).toBe(false);
    p = run(p, { type: 'goLive', inS: 10 });
    expect(onAir(cam, p, NOW)).toBe(false);
    expect([onAir(cam, p, NOW + 10_000), onAir(screen, p, NOW + 10_000), onAir(interp, p, NOW + 10_000)]).toEqual([true, false, true]);
    expect(stageKey(screen)).toBe('a#screen');
  });

  it('turning backstage on keeps what was on air live', () => {
    const p = run(NO_PRODUCTION, { type: 'backstage', on: true }, host, ['a', 'b#screen']);
    expect(p.stage).toEqual(['a', 'b#screen']);
    expect(p.liveAt).toBe(NOW);
  });
});

describe('who may do what', () => {
  it('lets hosts and producers produce; only hosts name producers; nobody changes their own role but hosts', () => {
    const p = run(NO_PRODUCTION, { type: 'backstage', on: true });
    expect(() => applyChange(p, { type: 'layout', layout: 'grid' }, presenter, NOW)).toThrow(ProductionRefusal);
    expect(applyChange(p, { type: 'layout', layout: 'grid' }, producer, NOW).layout).toBe('grid');
    expect(() => applyChange(p, { type: 'crew', userId: 'x', name: 'X', role: 'producer' }, producer, NOW)).toThrow(/only hosts/);
    expect(() => applyChange(p, { type: 'crew', userId: 'p', name: 'P', role: null }, producer, NOW)).toThrow(/own role/);
    expect(applyChange(p, { type: 'crew', userId: 'x', name: 'X', role: 'captioner' }, producer, NOW).crew.x).toEqual({ role: 'captioner', name: 'X' });
    expect([inBackstage(host), inBackstage(producer), inBackstage(presenter), inBackstage({ role: 'teacher', crew: 'captioner' }), inBackstage({ role: 'teacher', crew: null })]).toEqual([
      true, true, true, false, false,
    ]);
  });

  it('takes a crew member off the stage with their role', () => {
    let p = run(NO_PRODUCTION, { type: 'backstage', on: true }, host, ['r', 'r#screen', 'h']);
    p = run(p, { type: 'crew', userId: 'r', name: 'R', role: 'presenter' });
    p = run(p, { type: 'crew', userId: 'r', name: 'R', role: null });
    expect(p.stage).toEqual(['h']);
    expect(p.crew).toEqual({});
  });
});

describe('any sequence of changes', () => {
  const keys = ['a', 'b', 'c', 'a#screen', 'd', 'e', 'f', 'g'];
  const change: fc.Arbitrary<StageChange> = fc.oneof(
    fc.record({ type: fc.constant('backstage' as const), on: fc.boolean() }),
    fc.record({ type: fc.constant('put' as const), key: fc.constantFrom(...keys), on: fc.boolean() }),
    fc.record({ type: fc.constant('move' as const), key: fc.constantFrom(...keys), to: fc.integer({ min: 0, max: 6 }) }),
    fc.record({ type: fc.constant('goLive' as const), inS: fc.integer({ min: 0, max: 120 }) }),
    fc.record({ type: fc.constant('endLive' as const) }),
  );

  it('keeps the stage a short list without repeats, empty and off air without backstage, and never changes on a refusal', () => {
    fc.assert(
      fc.property(fc.array(change, { maxLength: 40 }), (changes) => {
        let p: Production = NO_PRODUCTION;
        for (const c of changes) {
          const before = JSON.stringify(p);
          try {
            p = run(p, c, host, ['a', 'b']);
          } catch (error) {
            expect(error).toBeInstanceOf(ProductionRefusal);
            expect(JSON.stringify(p)).toBe(before);
            continue;
          }
          expect(new Set(p.stage).size).toBe(p.stage.length);
          expect(p.stage.length).toBeLessThanOrEqual(MAX_STAGE_SOURCES);
          if (!p.backstage) expect([p.stage.length, p.liveAt]).toEqual([0, null]);
        }
      }),
    );
  });
});
