/**
 * Disabling a person of the records (issue 24: an account disabled must end that person's
 * sign-ins everywhere): a national host disables a teacher or a staff member; the teacher has no
 * place any more (no join, no list, no sign-in through the records), the staff member is neither
 * found by the co-host picker nor signed in; their sign-ins in progress are ended; an import keeps
 * them disabled; enabling brings them back. Other roles, unknown ids and oneself are refused.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, useDb } from '../../harness/postgres';
import { seedDemo } from '../../signaling/demo/seedDemo';
import { teacherPlace } from '../../signaling/org/orgRepo';
import { searchStaff, staffByIds } from '../../signaling/org/staffRepo';
import { personFromRecords } from '../../signaling/auth/people';
import { importTeachersCsv } from '../../signaling/org/csvImport';
import { HN_HOST, NATIONAL, startApi, teacher, type Api } from '../helpers/orgFixture';

describe.each(ENGINES)('disabling people on %s', (engine) => {
  const db = useDb(engine, { beforeAll, afterAll });
  let api: Api;
  beforeAll(async () => {
    await seedDemo(db(), { schools: 34, teachers: 40, meetingId: 'demo-disable' });
    api = await startApi(db());
  });
  afterAll(async () => api?.close());

  it('a disabled teacher has no place, is not signed in through the records, and their sign-ins end; an import keeps them disabled; enabling brings them back', async () => {
    expect(await teacherPlace(db(), 'gv-hn-2')).not.toBeNull();
    const r = await api.call('POST', '/api/org/people/gv-hn-2/disable', NATIONAL);
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({ id: 'gv-hn-2', records: ['teacher'], disabled: true });
    expect(api.ended).toContain('gv-hn-2');
    expect(await teacherPlace(db(), 'gv-hn-2')).toBeNull();
    expect(await personFromRecords(db(), 'gv-hn-2')).toBeNull();
    // Their meeting list is empty now (they have no school).
    const lists = await api.call('GET', '/api/meetings', teacher('gv-hn-2'));
    expect(lists.body.live).toEqual([]);
    // The ministry's next export still lists them: they stay disabled.
    const place = await db().query<{ school_code: string }>('SELECT school_code FROM teachers WHERE id = $1', ['gv-hn-2']);
    await importTeachersCsv(db(), Readable.from([`id,name,school,subject\ngv-hn-2,Trần Văn Minh,${place[0]!.school_code},Toán\n`]));
    expect(await teacherPlace(db(), 'gv-hn-2')).toBeNull();
    expect((await api.call('POST', '/api/org/people/gv-hn-2/enable', NATIONAL)).status).toBe(200);
    expect(await teacherPlace(db(), 'gv-hn-2')).not.toBeNull();
  });

  it('a disabled staff member is not offered as a co-host nor signed in', async () => {
    expect((await searchStaff(db(), 'tp.hcm')).map((s) => s.id)).toEqual(['so-hcm']);
    expect((await api.call('POST', '/api/org/people/so-hcm/disable', NATIONAL)).body).toMatchObject({ records: ['staff'] });
    expect(await searchStaff(db(), 'tp.hcm')).toEqual([]);
    expect(await staffByIds(db(), ['so-hcm'])).toEqual([]);
    expect(await personFromRecords(db(), 'so-hcm')).toBeNull();
    await api.call('POST', '/api/org/people/so-hcm/enable', NATIONAL);
    expect((await searchStaff(db(), 'tp.hcm')).map((s) => s.id)).toEqual(['so-hcm']);
  });

  it('refuses other roles, unknown people and oneself, changing nothing', async () => {
    const before = api.ended.length;
    expect((await api.call('POST', '/api/org/people/gv-hn-1/disable', HN_HOST)).status).toBe(403);
    expect((await api.call('POST', '/api/org/people/gv-hn-1/disable', teacher('gv-hn-3'))).status).toBe(403);
    expect((await api.call('POST', '/api/org/people/gv-hn-1/disable', null)).status).toBe(401);
    expect((await api.call('POST', '/api/org/people/nobody-here/disable', NATIONAL)).status).toBe(404);
    expect((await api.call('POST', `/api/org/people/${NATIONAL.sub}/disable`, NATIONAL)).status).toBe(409);
    expect(api.ended.length).toBe(before);
    expect(await teacherPlace(db(), 'gv-hn-1')).not.toBeNull();
  });
});
