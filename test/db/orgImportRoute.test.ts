/**
 * The organisation import over HTTP (issue 23: the CSV import had no way in for an operator, and
 * stopped whole on one bad line): a national host posts the ministry's CSV and gets the per-line
 * report; the good lines are imported (or none, with `all-or-nothing`); other roles, a bad mode, a
 * file that is not one and a second import at once get typed errors and change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, useDb } from '../../harness/postgres';
import { seedProvinces } from '../../signaling/org/orgRepo';
import { HN_HOST, NATIONAL, bearer, startApi, teacher, type Api } from '../helpers/orgFixture';
import type { ClaimsInput } from '../../signaling/auth/tokens';

describe.each(ENGINES)('organisation import route on %s', (engine) => {
  const db = useDb(engine, { beforeAll, afterAll });
  let api: Api;
  beforeAll(async () => {
    await seedProvinces(db());
    api = await startApi(db());
  });
  afterAll(async () => api?.close());

  const post = async (path: string, csv: string, who: Omit<ClaimsInput, 'meetings'> | null = NATIONAL) => {
    const res = await fetch(api.url + path, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', ...(who ? { authorization: `Bearer ${bearer(who)}` } : {}) },
      body: csv,
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const count = async (table: 'schools' | 'teachers'): Promise<number> => Number((await db().query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n);

  it('imports the good lines and reports each bad one with its number and reason', async () => {
    const schools = await post('/api/org/schools.csv', '\uFEFFcode,name,province\nR-1,THPT Hà Đông,01\nR-2,"THCS Lê Lợi, cơ sở 2",79\nR-3,Tỉnh sai,99\nR-1,Trùng mã,01\n');
    expect(schools.status).toBe(200);
    expect(schools.body).toMatchObject({ mode: 'valid-lines', imported: 2, skipped: 2, committed: true });
    expect(schools.body.errors.map((e: { line: number }) => e.line)).toEqual([4, 5]);
    const teachers = await post('/api/org/teachers.csv', 'id,name,school,subject\nRT-1,Đỗ Thị Thu,R-1,Toán\nRT-2,Nguyễn Văn A\u0000,R-2,\nRT-3,Lê B,NO-SCHOOL,Văn\n');
    expect(teachers.body).toMatchObject({ imported: 1, skipped: 2, committed: true });
    expect(teachers.body.errors).toEqual([
      { line: 3, reason: expect.stringMatching(/NUL|control/i) },
      { line: 4, reason: 'unknown school NO-SCHOOL' },
    ]);
  });

  it('all-or-nothing imports nothing when a line is bad', async () => {
    const before = await count('schools');
    const r = await post('/api/org/schools.csv?mode=all-or-nothing', 'code,name,province\nR-9,THPT Mới,01\nR-10,"unbalanced,01\n');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ mode: 'all-or-nothing', imported: 0, skipped: 1, committed: false });
    expect(await count('schools')).toBe(before);
  });

  it('refuses other roles, a bad mode and a file that is not one, changing nothing', async () => {
    const before = await count('schools');
    const csv = 'code,name,province\nR-20,THPT X,01\n';
    expect((await post('/api/org/schools.csv', csv, null)).status).toBe(401);
    expect((await post('/api/org/schools.csv', csv, HN_HOST)).status).toBe(403);
    expect((await post('/api/org/schools.csv', csv, teacher('gv-x'))).status).toBe(403);
    const mode = await post('/api/org/schools.csv?mode=some', csv);
    expect(mode.status).toBe(400);
    expect(mode.body.error).toMatchObject({ code: 'bad_request', field: 'mode' });
    const notCsv = await post('/api/org/schools.csv', 'title,author\nX,Y\n');
    expect(notCsv.status).toBe(400);
    expect(notCsv.body.error.message).toMatch(/not a schools file: missing column/);
    expect(await count('schools')).toBe(before);
  });
});
