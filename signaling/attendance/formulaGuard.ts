/**
 * The one guard of exported text against spreadsheet formula injection (CSV and XLSX, attendance
 * and interaction exports): a cell a spreadsheet program could run as a formula is prefixed with
 * an apostrophe, which makes it plain text. A formula is text whose first visible character is
 * = + - @ in any width or form (fullwidth ＝ ＋ － ＠, small ﹦ ﹢ ﹣ ﹫, the minus sign −), even behind
 * characters that show nothing (zero-width space, direction marks, the BOM, other format and
 * default-ignorable characters, controls, spaces, combining marks); or text that starts with a
 * tab, CR or LF.
 */

/** What may stand before a formula without showing: controls, format characters, spaces, marks, ignorables. */
const INVISIBLE_RUN = /^[\p{Cc}\p{Cf}\p{Z}\p{M}\p{Default_Ignorable_Code_Point}]+/u;
const TRIGGERS = new Set(['=', '+', '-', '@']);

function isTrigger(cp: number): boolean {
  if (cp === 0x2212) return true; // − MINUS SIGN (not folded by NFKC)
  return TRIGGERS.has(String.fromCodePoint(cp).normalize('NFKC').charAt(0));
}

/** Whether a spreadsheet program could take `v` for a formula. */
export function looksLikeFormula(v: string): boolean {
  if (/^[\t\r\n]/.test(v)) return true;
  const rest = v.replace(INVISIBLE_RUN, '');
  const cp = rest.codePointAt(0);
  return cp !== undefined && isTrigger(cp);
}

/** A text cell made safe from formula injection (unchanged when it is safe already). */
export function safeText(v: string): string {
  return looksLikeFormula(v) ? `'${v}` : v;
}

/** For rows of mixed cells: numbers stay numbers, text is guarded. */
export function safeCell<T extends string | number>(v: T): T | string {
  return typeof v === 'string' ? safeText(v) : v;
}
