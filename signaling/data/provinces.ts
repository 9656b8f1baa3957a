/**
 * The 34 provinces and centrally-run cities of Viet Nam after the 2025 reorganisation, with their
 * administrative codes. A token's `province` claim is one of these codes.
 */
import rows from './provinces.json' with { type: 'json' };

export interface Province {
  code: string;
  name: string;
}

export const PROVINCES: readonly Province[] = rows;
const byCode = new Map(PROVINCES.map((p) => [p.code, p]));

export function provinceByCode(code: string): Province | undefined {
  return byCode.get(code);
}
