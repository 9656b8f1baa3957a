/**
 * The scope matrix of meetings on both databases, through the real HTTP API with real tokens
 * (whose `meetings` list is a decoy: the server never reads it), and join decisions from the
 * database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, useDb } from '../../harness/postgres';
import { HCM_HOST, HN_HOST, NATIONAL, meetingBody, seedOrg, startApi, teacher, tokens, type Api } from '../helpers/orgFixture';
import { DatabaseJoinAuthorizer } from '../../signaling/schedule/joinAuthorizers';
import { AppError } from '../../signaling/protocol/errors';

describe.each(ENGINES)('meeting scope on %s', (engine) => {
  const db = useDb(engine, { beforeAll, afterAll });
  let api: Api;
  beforeAll(async () => {
    await seedOrg(db());
    api = await startApi(db());
  });
  afterAll(async () => api?.close());

  const claims = (c: Omit<Parameters<typeof tokens.issue>[0], 'meetings'>) => tokens.verify(tokens.issue({ ...c, meetings: ['decoy-meeting'] }, 60));
  const joinError = async (who: Omit<Parameters<typeof tokens.issue>[0], 'meetings'>, id: string): Promise<string | null> => {
    try {
      await new DatabaseJoinAuthorizer(db()).authorize(claims(who), id);
      return null;
    } catch (error) {
      return error instanceof AppError ? error.code : String(error);
    }
  };

  it('a province host cannot schedule a national meeting, nor one for another province or its schools', async () => {
    expect((await api.call('POST', '/api/meetings', HN_HOST, meetingBody({ kind: 'country' }))).status).toBe(403);
    expect((await api.call('POST', '/api/meetings', HN_HOST, meetingBody({ kind: 'provinces', provinces: ['01', '79'] }))).status).toBe(403);
    const other = await api.call('POST', '/api/meetings', HN_HOST, meetingBody({ kind: 'schools', schools: ['HN-A', 'HCM-A'] }));
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('forbidden');
    const own = await api.call('POST', '/api/meetings', HN_HOST, meetingBody({ kind: 'provinces', provinces: ['01'] }));
    expect(own.status).toBe(201);
    expect(own.body).toMatchObject({ ownerProvince: '01', state: 'scheduled', rights: { manage: true, dashboard: true } });
    // Nothing was created by the refused attempts.
    expect((await api.call('GET', '/api/meetings', NATIONAL)).body.upcoming).toHaveLength(1);
  });

  it('a teacher cannot schedule, and bad input is refused with a typed error', async () => {
    expect((await api.call('POST', '/api/meetings', teacher('t-hn-a1'), meetingBody({ kind: 'country' }))).body.error.code).toBe('forbidden');
    expect((await api.call('POST', '/api/meetings', NATIONAL, { title: '' })).body.error.code).toBe('bad_request');
    expect((await api.call('POST', '/api/meetings', NATIONAL, meetingBody({ kind: 'schools', schools: ['NOPE'] }))).body.error.code).toBe('bad_request');
    expect((await api.call('POST', '/api/meetings', NATIONAL, { ...meetingBody({ kind: 'country' }), endsAt: '2000-01-01T00:00:00Z' })).status).toBe(400);
    expect((await api.call('GET', '/api/meetings', null)).status).toBe(401);
  });

  it('a teacher sees and may join only meetings whose audience includes their school', async () => {
    const forHnA = (await api.call('POST', '/api/meetings', NATIONAL, meetingBody({ kind: 'schools', schools: ['HN-A'] }, -1000))).body;
    const forHcm = (await api.call('POST', '/api/meetings', NATIONAL, meetingBody({ kind: 'provinces', provinces: ['79'] }, -1000))).body;
    const mine = await api.call('GET', '/api/meetings', teacher('t-hn-a1'));
    const ids = [...mine.body.live, ...mine.body.upcoming].map((m: { id: string }) => m.id);
    expect(ids).toContain(forHnA.id);
    expect(ids).not.toContain(forHcm.id);
    expect(mine.body.live.find((m: { id: string }) => m.id === forHnA.id).rights).toEqual({ join: true, manage: false, dashboard: false });
    expect((await api.call('GET', `/api/meetings/${forHcm.id}`, teacher('t-hn-a1'))).status).toBe(404);
    expect(await joinError(teacher('t-hn-a1'), forHnA.id)).toBeNull();
    expect(await joinError(teacher('t-hn-b1'), forHnA.id)).toBe('forbidden');
    expect(await joinError(teacher('t-hcm-a1'), forHcm.id)).toBeNull();
    expect(await joinError(teacher('nobody'), forHcm.id)).toBe('forbidden');
    expect(await joinError(teacher('t-hn-a1'), 'no-such-meeting')).toBe('not_found');
  });

  it('a teacher waits until the meeting opens (by the host, or at its time) and cannot join after it ends', async () => {
    const later = (await api.call('POST', '/api/meetings', NATIONAL, meetingBody({ kind: 'country' }, 3600_000))).body;
    expect(later.state).toBe('scheduled');
    expect(await joinError(teacher('t-dn-a1'), later.id)).toBe('not_open');
    // The host may enter early; a province host may not open a national meeting.
    expect(await joinError(NATIONAL, later.id)).toBeNull();
    expect((await api.call('POST', `/api/meetings/${later.id}/open`, HN_HOST)).status).toBe(403);
    expect((await api.call('POST', `/api/meetings/${later.id}/open`, NATIONAL)).body.state).toBe('open');
    expect(await joinError(teacher('t-dn-a1'), later.id)).toBeNull();
    expect((await api.call('POST', `/api/meetings/${later.id}/end`, NATIONAL)).body.state).toBe('ended');
    expect(await joinError(teacher('t-dn-a1'), later.id)).toBe('not_open');
    const started = (await api.call('POST', '/api/meetings', NATIONAL, meetingBody({ kind: 'country' }, -5_000))).body;
    expect(started.state).toBe('open');
  });

  it('admits a teacher at once after the host opened the meeting through another node, though this node refused a moment ago', async () => {
    const m = (await api.call('POST', '/api/meetings', NATIONAL, meetingBody({ kind: 'country' }, 3600_000))).body;
    // This node's authorizer (its cache) refuses while the meeting is scheduled…
    const here = new DatabaseJoinAuthorizer(db());
    await expect(here.authorize(claims(teacher('t-dn-a1')), m.id)).rejects.toMatchObject({ code: 'not_open' });
    // …the host opens it through another node (the API's own authorizer)…
    expect((await api.call('POST', `/api/meetings/${m.id}/open`, NATIONAL)).body.state).toBe('open');
    // …and the next join here is admitted, not refused from the cache.
    await expect(here.authorize(claims(teacher('t-dn-a1')), m.id)).resolves.toBeUndefined();
  });

  it('a province host manages only their own meetings and lists those reaching their province', async () => {
    const national = (await api.call('POST', '/api/meetings', NATIONAL, meetingBody({ kind: 'provinces', provinces: ['01', '48'] }))).body;
    const hcm = (await api.call('POST', '/api/meetings', HCM_HOST, meetingBody({ kind: 'provinces', provinces: ['79'] }))).body;
    const edit = { ...meetingBody({ kind: 'provinces', provinces: ['79'] }), title: 'Đổi tên' };
    expect((await api.call('PUT', `/api/meetings/${hcm.id}`, HN_HOST, edit)).status).toBe(404);
    expect((await api.call('PUT', `/api/meetings/${national.id}`, HN_HOST, edit)).status).toBe(403);
    expect((await api.call('PUT', `/api/meetings/${hcm.id}`, HCM_HOST, edit)).body.title).toBe('Đổi tên');
    // Widening their own meeting to the country is refused like creating one.
    expect((await api.call('PUT', `/api/meetings/${hcm.id}`, HCM_HOST, meetingBody({ kind: 'country' }))).status).toBe(403);
    const list = await api.call('GET', '/api/meetings', HN_HOST);
    const ids = [...list.body.upcoming, ...list.body.live].map((m: { id: string }) => m.id);
    expect(ids).toContain(national.id);
    expect(ids).not.toContain(hcm.id);
    expect(await joinError(HN_HOST, hcm.id)).toBe('forbidden');
    expect(await joinError(HN_HOST, national.id)).toBeNull();
  });

  it('deleting a meeting really deletes it and its audience', async () => {
    const m = (await api.call('POST', '/api/meetings', NATIONAL, meetingBody({ kind: 'schools', schools: ['HN-A', 'HN-B'] }))).body;
    expect((await api.call('DELETE', `/api/meetings/${m.id}`, HN_HOST)).status).toBe(403);
    expect((await api.call('DELETE', `/api/meetings/${m.id}`, NATIONAL)).status).toBe(204);
    expect(await db().query('SELECT 1 FROM meetings WHERE id = $1', [m.id])).toHaveLength(0);
    expect(await db().query('SELECT 1 FROM meeting_schools WHERE meeting_id = $1', [m.id])).toHaveLength(0);
  });
});
