/**
 * The organisation CSV import on both databases, one bad line of each kind (issue 23): the line
 * is reported with its number and reason and every good line is imported (`valid-lines`), or
 * nothing is (`all-or-nothing`). Before, each of these stopped the whole import.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, useDb } from '../../harness/postgres';
import { importSchoolsCsv, importTeachersCsv } from '../../signaling/org/csvImport';
import { seedProvinces, teacherPlace } from '../../signaling/org/orgRepo';

/** A file as bytes, in chunks cut mid-line (as a network stream would). */
const file = (text: string | Buffer): Readable => {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7));
  return Readable.from(chunks);
};

describe.each(ENGINES)('organisation import on %s', (engine) => {
  const db = useDb(engine, { beforeAll, afterAll });
  beforeAll(async () => {
    await seedProvinces(db());
    await importSchoolsCsv(db(), file('code,name,province\nIMP-A,THPT Nguyễn Trãi,01\nIMP-B,THCS Lê Lợi,79\n'));
  });

  const names = async (ids: string[]): Promise<(string | null)[]> => Promise.all(ids.map(async (id) => (await teacherPlace(db(), id))?.name ?? null));

  it('a teacher id twice in one file: the later line is reported, the rest imported (was "ON CONFLICT DO UPDATE … a second time")', async () => {
    const r = await importTeachersCsv(db(), file('id,name,school,subject\nD-1,Nguyễn Văn An,IMP-A,Toán\nD-2,Trần Thị Bình,IMP-A,Văn\nD-1,Lê Văn Cường,IMP-B,Sử\nD-3,Phạm Thị Dung,IMP-B,\n'));
    expect(r).toMatchObject({ imported: 3, skipped: 1, committed: true, errors: [{ line: 4, reason: expect.stringMatching(/duplicate teacher id D-1 \(first on line 2\)/) }] });
    expect(await names(['D-1', 'D-2', 'D-3'])).toEqual(['Nguyễn Văn An', 'Trần Thị Bình', 'Phạm Thị Dung']);
  });

  it('a school code twice in one file: reported by line, the rest imported', async () => {
    const r = await importSchoolsCsv(db(), file('code,name,province\r\nIMP-C,Trường C,01\r\nIMP-C,Trường C bis,01\r\nIMP-D,Trường D,48\r\n'));
    expect(r).toMatchObject({ imported: 2, skipped: 1, errors: [{ line: 3, reason: expect.stringMatching(/duplicate school code IMP-C/) }] });
  });

  it('a NUL byte spoils its own line only', async () => {
    const r = await importTeachersCsv(db(), file('id,name,school,subject\nN-1,Đỗ Văn Em,IMP-A,Toán\nN-2,Vũ Thị\u0000Giang,IMP-A,Văn\nN-3,Bùi Văn Hải,IMP-A,Lí\n'));
    expect(r).toMatchObject({ imported: 2, skipped: 1, errors: [{ line: 3, reason: expect.stringMatching(/NUL/) }] });
    expect(await names(['N-1', 'N-2', 'N-3'])).toEqual(['Đỗ Văn Em', null, 'Bùi Văn Hải']);
  });

  it('an unbalanced quote spoils its own line only, not the rest of the file', async () => {
    const r = await importTeachersCsv(
      db(),
      file('id,name,school,subject\nQ-1,"Hồ Thị Khánh,IMP-A,Toán\nQ-2,"Lý Văn Long",IMP-A,Văn\nQ-3,Mai Thị "Ngọc",IMP-B,Hóa\n'),
    );
    expect(r).toMatchObject({ imported: 2, skipped: 1, errors: [{ line: 2, reason: expect.stringMatching(/unbalanced quote/) }] });
    expect(await names(['Q-1', 'Q-2', 'Q-3'])).toEqual([null, 'Lý Văn Long', 'Mai Thị "Ngọc"']);
  });

  it('a record over 4 KB is reported and skipped, the next lines imported', async () => {
    const r = await importTeachersCsv(db(), file(`id,name,school,subject\nL-1,${'Ngô '.repeat(1100)},IMP-A,Toán\nL-2,Tạ Thị Oanh,IMP-A,Văn\n`));
    expect(r).toMatchObject({ imported: 1, skipped: 1, errors: [{ line: 2, reason: expect.stringMatching(/longer than 4096 bytes/) }] });
    expect(await names(['L-2'])).toEqual(['Tạ Thị Oanh']);
  });

  it('bytes that are not UTF-8, a bad field and an unknown school are each reported with their line', async () => {
    const bytes = Buffer.concat([
      Buffer.from('id,name,school,subject\nU-1,'),
      Buffer.from([0x4e, 0x67, 0xf4, 0x20, 0x54, 0xe0]), // "Ngô Tà" in Windows-1258-like bytes
      Buffer.from(',IMP-A,Toán\nU-2,,IMP-A,Văn\nU-3,Kiều Thị Phương,NO-SUCH,Sử\nU-4,Quách Văn Quân,IMP-B,Địa\n'),
    ]);
    const r = await importTeachersCsv(db(), file(bytes));
    expect(r.imported).toBe(1);
    expect(r.errors.map((e) => e.line)).toEqual([2, 3, 4]);
    expect(r.errors[0]!.reason).toMatch(/UTF-8/);
    expect(r.errors[1]!.reason).toMatch(/^name:/);
    expect(r.errors[2]!.reason).toMatch(/unknown school NO-SUCH/);
  });

  it('all-or-nothing: one bad line and nothing is written, every bad line reported', async () => {
    const r = await importTeachersCsv(
      db(),
      file('id,name,school,subject\nA-1,Đinh Văn Sơn,IMP-A,Toán\nA-2,"Lương Thị Tâm,IMP-A,Văn\nA-1,Hà Văn Uy,IMP-A,Lí\nA-3,Trịnh Thị Vân,NO-SUCH,Sử\n'),
      { mode: 'all-or-nothing' },
    );
    expect(r).toMatchObject({ mode: 'all-or-nothing', imported: 0, skipped: 3, committed: false });
    expect(r.errors.map((e) => e.line)).toEqual([3, 4, 5]);
    expect(await names(['A-1', 'A-2', 'A-3'])).toEqual([null, null, null]);
  });

  it('all-or-nothing: a clean file is written whole', async () => {
    const r = await importTeachersCsv(db(), file('id,name,school,subject\nB-1,Đinh Văn Sơn,IMP-A,Toán\nB-2,Hà Văn Uy,IMP-B,Lí\n'), { mode: 'all-or-nothing' });
    expect(r).toMatchObject({ imported: 2, skipped: 0, committed: true, errors: [] });
    expect(await names(['B-1', 'B-2'])).toEqual(['Đinh Văn Sơn', 'Hà Văn Uy']);
  });
});
