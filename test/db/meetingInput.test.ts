/**
 * Bad meeting input through the real HTTP API on both databases (issue 23): every refusal is a
 * 400 naming the field at fault, never a 500 from the database, and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, useDb } from '../../harness/postgres';
import { NATIONAL, meetingBody, seedOrg, startApi, type Api } from '../helpers/orgFixture';

describe.each(ENGINES)('meeting input on %s', (engine) => {
  const db = useDb(engine, { beforeAll, afterAll });
  let api: Api;
  beforeAll(async () => {
    await seedOrg(db());
    api = await startApi(db());
  });
  afterAll(async () => api?.close());

  const meetingCount = async (): Promise<number> => Number((await db().query<{ n: number }>('SELECT count(*)::int AS n FROM meetings'))[0]!.n);

  /** POSTs a body and expects a 400 naming `field`, with nothing created. */
  const refused = async (body: unknown, field: string): Promise<void> => {
    const before = await meetingCount();
    const r = await api.call('POST', '/api/meetings', NATIONAL, body);
    expect(r.status, r.text).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'bad_request', field });
    expect(typeof r.body.error.message).toBe('string');
    expect(await meetingCount()).toBe(before);
  };

  it('refuses an unknown province in the audience with 400 naming it (was a 500 from the foreign key)', async () => {
    await refused(meetingBody({ kind: 'provinces', provinces: ['01', '99'] }), 'audience.provinces.1');
  });

  it('refuses an unknown province in the breakout plan with 400 naming it (was accepted)', async () => {
    await refused(meetingBody({ kind: 'country' }, 60_000, { breakoutPlan: { provinces: ['01', '00'], durationMin: 10 } }), 'breakoutPlan.provinces.1');
  });

  it('refuses times the database cannot hold or far out of range with 400 naming the field', async () => {
    await refused({ ...meetingBody({ kind: 'country' }), startsAt: '0000-01-01T00:00:00Z', endsAt: '0000-01-01T01:00:00Z' }, 'startsAt');
    await refused({ ...meetingBody({ kind: 'country' }), startsAt: '9999-12-31T23:00:00-14:00', endsAt: '9999-12-31T23:30:00-14:00' }, 'startsAt');
    await refused({ ...meetingBody({ kind: 'country' }), startsAt: '1900-01-01T00:00:00Z', endsAt: '1900-01-01T01:00:00Z' }, 'startsAt');
    await refused({ ...meetingBody({ kind: 'country' }), startsAt: '2026-02-30T08:00:00+07:00', endsAt: '2026-02-30T09:00:00+07:00' }, 'startsAt');
    await refused({ ...meetingBody({ kind: 'country' }), endsAt: 'tomorrow' }, 'endsAt');
  });

  it('refuses text the database cannot store (NUL, control characters) with 400 naming the field', async () => {
    await refused(meetingBody({ kind: 'country' }, 60_000, { title: 'Họp\u0000' }), 'title');
    await refused(meetingBody({ kind: 'country' }, 60_000, { agenda: 'a\u0000b' }), 'agenda');
    await refused(meetingBody({ kind: 'country' }, 60_000, { coHosts: ['so-ha-noi\u0000'] }), 'coHosts.0');
    await refused(meetingBody({ kind: 'schools', schools: ['HN-A\u0000'] }), 'audience.schools.0');
    await refused(meetingBody({ kind: 'schools', schools: ['NOPE'] }), 'audience.schools');
  });

  it('refuses the same on an edit, and the meeting stays as it was', async () => {
    const m = (await api.call('POST', '/api/meetings', NATIONAL, meetingBody({ kind: 'provinces', provinces: ['01'] }))).body;
    expect(m.id).toBeTruthy();
    for (const [body, field] of [
      [meetingBody({ kind: 'provinces', provinces: ['98'] }), 'audience.provinces.0'],
      [{ ...meetingBody({ kind: 'provinces', provinces: ['01'] }), startsAt: '0000-01-01T00:00:00Z' }, 'startsAt'],
      [meetingBody({ kind: 'provinces', provinces: ['01'] }, 60_000, { breakoutPlan: { provinces: ['77'], durationMin: 5 } }), 'breakoutPlan.provinces.0'],
    ] as const) {
      const r = await api.call('PUT', `/api/meetings/${m.id}`, NATIONAL, body);
      expect(r.status, r.text).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'bad_request', field });
    }
    const now = (await api.call('GET', `/api/meetings/${m.id}`, NATIONAL)).body;
    expect(now).toMatchObject({ audience: { kind: 'provinces', provinces: ['01'] }, startsAt: m.startsAt, breakoutPlan: { provinces: [] } });
  });

  it('refuses a control character in the attendance filter with 400, not a database error', async () => {
    const m = (await api.call('POST', '/api/meetings', NATIONAL, meetingBody({ kind: 'country' }))).body;
    for (const path of [`/api/meetings/${m.id}/attendance?school=HN%00A`, `/api/meetings/${m.id}/attendance.csv?school=HN%00A`]) {
      const r = await api.call('GET', path, NATIONAL);
      expect(r.status, r.text).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'bad_request', field: 'school' });
    }
  });
});
