/**
 * Province order in the web client: the codes look like numbers, so a plain object keyed by them
 * iterates "10".."96" before "01", "04", "08". The helpers keep the API's order (Hà Nội first).
 */
import { describe, expect, it } from 'vitest';
import { PROVINCES } from '../../signaling/data/provinces';
import { byCountThenProvince, inProvinceOrder, provincesOf } from '../../web/src/state/provinceOrder';

const provinces = provincesOf(PROVINCES);

describe('province order', () => {
  it('an object keyed by code would lose the order (why the list is an array)', () => {
    const asObject = Object.fromEntries(PROVINCES.map((p) => [p.code, p.name]));
    expect(Object.keys(asObject)[0]).not.toBe('01');
  });

  it('keeps the API order in the list, with names looked up by code', () => {
    expect(provinces.list.map((p) => p.code)).toEqual(PROVINCES.map((p) => p.code));
    expect(provinces.list[0]).toEqual({ code: '01', name: 'Hà Nội' });
    expect(provinces.names.get('04')).toBe('Cao Bằng');
  });

  it('orders the keys of a per-province tally as the API does, unknown codes ("--") last', () => {
    const tally = { '96': 1, '--': 2, '79': 3, '08': 4, '01': 5, '04': 6 };
    expect(inProvinceOrder(provinces, Object.keys(tally))).toEqual(['01', '04', '08', '79', '96', '--']);
  });

  it('sorts counts largest first, equal counts in the API order', () => {
    const counts = { '96': 2, '79': 1, '08': 2, '01': 2, '--': 2, '04': 5 };
    expect(byCountThenProvince(provinces, counts)).toEqual([
      ['04', 5],
      ['01', 2],
      ['08', 2],
      ['96', 2],
      ['--', 2],
      ['79', 1],
    ]);
  });
});
