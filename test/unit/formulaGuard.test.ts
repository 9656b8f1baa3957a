/**
 * The export's guard against formula injection (issue 23): text a spreadsheet could run as a
 * formula gets an apostrophe, also behind invisible characters and in fullwidth or small forms;
 * ordinary Vietnamese text is left alone.
 */
import { describe, expect, it } from 'vitest';
import { csvField } from '../../signaling/attendance/attendanceExport';
import { looksLikeFormula, safeCell, safeText } from '../../signaling/attendance/formulaGuard';

describe('formula guard', () => {
  it('defuses the plain triggers, as before', () => {
    for (const v of ['=1+1', '+84 912', '-2', '@SUM(A1)', '\t=1', '\r=1', '\n=1']) expect(safeText(v), JSON.stringify(v)).toBe(`'${v}`);
  });

  it('defuses a trigger behind a zero-width space, an LRM mark or another invisible character (was passed through)', () => {
    for (const lead of ['\u200B', '\u200E', '\u200F', '\u202A', '\u202E', '\u2060', '\uFEFF', '\u00AD', '\u034F', '\u180E', '\u3164', '\u00A0', '\u3000', ' ', '\u0000', '\u200B\u200E ']) {
      const v = `${lead}=HYPERLINK("http://x","Bấm vào")`;
      expect(safeText(v), JSON.stringify(lead)).toBe(`'${v}`);
      expect(csvField(v), JSON.stringify(lead)).toBe(`"'${v.replace(/"/g, '""')}"`);
    }
  });

  it('defuses fullwidth, small and other forms of = + - @ (was passed through)', () => {
    for (const v of ['＝1+1', '＋1', '－1', '＠SUM(A1)', '﹦1', '﹢1', '﹣1', '﹫x', '−1', '\u200B＝1']) {
      expect(looksLikeFormula(v), JSON.stringify(v)).toBe(true);
      expect(csvField(v), JSON.stringify(v)).toBe(`'${v}`);
    }
  });

  it('leaves ordinary text and numbers alone', () => {
    for (const v of ['Nguyễn Thị Lan', 'THPT Chu Văn An', 'a=b', '1+1', 'Lan@school', '', '\u200B', '  Tổ Toán', '2026-01-01T08:00:00.000Z', 'yes']) {
      expect(safeText(v), JSON.stringify(v)).toBe(v);
    }
    expect(safeCell(-5)).toBe(-5);
    expect(csvField(-5)).toBe('-5');
  });
});
