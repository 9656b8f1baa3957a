/**
 * The provinces as the API lists them, and helpers that keep that order. Province codes look like
 * numbers ("01", "10", "96"): used as keys of a plain object, JS iterates the integer-like ones
 * ("10".."96") first and the rest ("01", "04", "08") after, so Hà Nội would come after Cà Mau.
 * The order therefore lives in an array; the map is for looking names up only.
 */
import type { ProvinceInfo } from '../../../signaling/protocol/http';

export interface Provinces {
  /** In the API's order (by administrative code). */
  readonly list: readonly ProvinceInfo[];
  /** Code → name, for lookups (never iterated). */
  readonly names: ReadonlyMap<string, string>;
  /** Code → position in the list. */
  readonly rank: ReadonlyMap<string, number>;
}

export function provincesOf(list: readonly ProvinceInfo[]): Provinces {
  return {
    list,
    names: new Map(list.map((p) => [p.code, p.name])),
    rank: new Map(list.map((p, i) => [p.code, i])),
  };
}

export const NO_PROVINCES: Provinces = provincesOf([]);

/** Sorts codes (e.g. the keys of a per-province tally) in the API's order; codes it does not list ("--": no province) go last. */
export function compareProvinces(provinces: Provinces, a: string, b: string): number {
  const ra = provinces.rank.get(a) ?? Number.MAX_SAFE_INTEGER;
  const rb = provinces.rank.get(b) ?? Number.MAX_SAFE_INTEGER;
  return ra !== rb ? ra - rb : a < b ? -1 : a > b ? 1 : 0;
}

/** The codes in the API's order. */
export function inProvinceOrder(provinces: Provinces, codes: Iterable<string>): string[] {
  return [...codes].sort((a, b) => compareProvinces(provinces, a, b));
}

/** A per-province count, largest first; equal counts in the API's order. */
export function byCountThenProvince(provinces: Provinces, counts: Readonly<Record<string, number>>): [string, number][] {
  return Object.entries(counts).sort((a, b) => b[1] - a[1] || compareProvinces(provinces, a[0], b[0]));
}
