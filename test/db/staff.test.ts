/**
 * The staff directory behind the co-host picker (issue 23: co-hosts had to be typed as user ids):
 * the demo's hosts are in it, a host who opens their meetings enters it, a search needs no
 * diacritics and takes LIKE's wildcards literally, and the route answers hosts only, with typed
 * errors for bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, useDb } from '../../harness/postgres';
import { seedDemo } from '../../signaling/demo/seedDemo';
import { searchStaff, staffByIds, upsertStaff } from '../../signaling/org/staffRepo';
import { NATIONAL, startApi, teacher, type Api } from '../helpers/orgFixture';
import type { StaffAnswer } from '../../signaling/protocol/http';

describe.each(ENGINES)('staff directory on %s', (engine) => {
  const db = useDb(engine, { beforeAll, afterAll });
  let api: Api;
  beforeAll(async () => {
    await seedDemo(db(), { schools: 34, teachers: 40, meetingId: 'demo-staff' });
    api = await startApi(db());
  });
  afterAll(async () => api?.close());

  it('holds the demo\'s hosts and province hosts, found by name without diacritics, teachers never', async () => {
    expect((await searchStaff(db(), 'vu truong')).map((s) => s.id)).toEqual(['vu-truong']);
    expect(await searchStaff(db(), 'SỞ GD&ĐT hà nội')).toEqual([{ id: 'so-ha-noi', name: 'Sở GD&ĐT Hà Nội', role: 'province_host', province: '01' }]);
    expect((await searchStaff(db(), 'so ')).map((s) => s.id).sort()).toEqual(['so-da-nang', 'so-ha-noi', 'so-hcm']);
    expect(await searchStaff(db(), 'Nguyễn Thị Lan')).toEqual([]); // a teacher
    // LIKE's wildcards are letters here.
    expect(await searchStaff(db(), '%')).toEqual([]);
    expect(await searchStaff(db(), '_')).toEqual([]);
  });

  it('refreshes a person\'s name and role when seen again, and reads chosen ids back with names', async () => {
    await upsertStaff(db(), [{ id: 'pho-vu', name: 'Phó Vụ trưởng', role: 'host', province: null }]);
    await upsertStaff(db(), [{ id: 'pho-vu', name: 'Phó Vụ trưởng Giáo dục Trung học', role: 'host', province: null }]);
    expect(await staffByIds(db(), ['pho-vu', 'nobody'])).toEqual([{ id: 'pho-vu', name: 'Phó Vụ trưởng Giáo dục Trung học', role: 'host', province: null }]);
  });

  it('learns a host who opens their meetings, and answers a search to hosts only', async () => {
    const newcomer = { ...NATIONAL, sub: 'chanh-van-phong', name: 'Chánh Văn phòng Bộ' };
    expect(await staffByIds(db(), ['chanh-van-phong'])).toEqual([]);
    expect((await api.call('GET', '/api/meetings', newcomer)).status).toBe(200);
    const found = await api.call('GET', `/api/staff?q=${encodeURIComponent('chanh van phong')}`, NATIONAL);
    expect(found.status, found.text).toBe(200);
    expect((found.body as StaffAnswer).staff).toEqual([{ id: 'chanh-van-phong', name: 'Chánh Văn phòng Bộ', role: 'host', province: null }]);
    const byIds = await api.call('GET', '/api/staff?ids=vu-truong,so-hcm', NATIONAL);
    expect((byIds.body as StaffAnswer).staff.map((s) => s.id).sort()).toEqual(['so-hcm', 'vu-truong']);
    // A teacher opening their meetings does not enter the directory, and may not search it.
    expect((await api.call('GET', '/api/meetings', teacher('gv-nosy'))).status).toBe(200);
    expect(await staffByIds(db(), ['gv-nosy'])).toEqual([]);
    expect((await api.call('GET', '/api/staff?q=vu', teacher('gv-nosy'))).status).toBe(403);
    expect((await api.call('GET', '/api/staff?q=vu', null)).status).toBe(401);
  });

  it('refuses bad queries with 400 naming the field, and changes nothing', async () => {
    const before = await db().query<{ n: number }>('SELECT count(*)::int AS n FROM staff');
    for (const [query, field] of [
      [`q=${'x'.repeat(65)}`, 'q'],
      ['q=a%00b', 'q'],
      [`ids=${Array.from({ length: 21 }, (_, i) => `id-${i}`).join(',')}`, 'ids'],
      ['', 'q'],
    ] as const) {
      const r = await api.call('GET', `/api/staff?${query}`, NATIONAL);
      expect(r.status, `${query}: ${r.text}`).toBe(400);
      expect((r.body as { error: { code: string; field: string } }).error).toMatchObject({ code: 'bad_request', field });
    }
    expect(await db().query<{ n: number }>('SELECT count(*)::int AS n FROM staff')).toEqual(before);
  });
});
