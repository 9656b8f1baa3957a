/**
 * How exports read for a Vietnamese office (the default export language): times in Việt Nam's
 * local time (Asia/Ho_Chi_Minh, UTC+7 all year: no daylight saving since 1975) as
 * "dd/MM/yyyy HH:mm:ss", the zone named in the column header, and flags as "Có"/"Không".
 * `lang=en` keeps the older machine-readable format (ISO times in UTC, yes/no, snake_case).
 */
export const EXPORT_LANGS = ['vi', 'en'] as const;
export type ExportLang = (typeof EXPORT_LANGS)[number];

/** Said in every time column's header. */
export const VN_ZONE = 'giờ Việt Nam, UTC+7';
const VN_OFFSET_MS = 7 * 3600_000;

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** "06/12/2026 15:09:48" for 2026-12-06T08:09:48Z; empty for no time. */
export function vnTime(d: Date | null): string {
  if (!d) return '';
  const v = new Date(d.getTime() + VN_OFFSET_MS);
  return `${pad(v.getUTCDate())}/${pad(v.getUTCMonth() + 1)}/${pad(v.getUTCFullYear(), 4)} ${pad(v.getUTCHours())}:${pad(v.getUTCMinutes())}:${pad(v.getUTCSeconds())}`;
}

export const yesNo = (b: boolean): string => (b ? 'Có' : 'Không');

/** A time column's header: "Vào lần đầu (giờ Việt Nam, UTC+7)". */
export const timeHeader = (name: string): string => `${name} (${VN_ZONE})`;
