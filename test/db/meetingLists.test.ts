/**
 * Issue 23 on both databases, through the real HTTP API: an account's meeting creation is bounded
 * (per hour, and not yet ended), and the lists put every meeting happening now first, never cut
 * by a flood of others, then page through upcoming and past meetings without gaps or repeats.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, useDb } from '../../harness/postgres';
import { HCM_HOST, HN_HOST, NATIONAL, meetingBody, seedOrg, startApi, teacher, type Api } from '../helpers/orgFixture';

const ids = (list: { id: string }[]): string[] => list.map((m) => m.id);

describe.each(ENGINES)('meeting quota and lists on %s', (engine) => {
  const db = useDb(engine, { beforeAll, afterAll });
  let free: Api;
  let perHour: Api;
  let notEnded: Api;
  beforeAll(async () => {
    await seedOrg(db());
    free = await startApi(db());
    perHour = await startApi(db(), { quota: { perHour: 3, notEnded: 0 } });
    notEnded = await startApi(db(), { quota: { perHour: 0, notEnded: 2 } });
  });
  afterAll(async () => {
    await Promise.all([free?.close(), perHour?.close(), notEnded?.close()]);
    await db().query('SELECT 1');
  });

  const createdBy = async (sub: string): Promise<number> =>
    Number((await db().query<{ n: number }>('SELECT count(*)::int AS n FROM meetings WHERE created_by = $1', [sub]))[0]!.n);

  it('refuses the meetings over the hourly quota with 429 quota_exceeded and Retry-After; simultaneous requests cannot overshoot; other accounts unaffected', async () => {
    const who = { ...HCM_HOST, sub: 'so-hcm-quota' };
    const answers = await Promise.all(Array.from({ length: 6 }, () => perHour.call('POST', '/api/meetings', who, meetingBody({ kind: 'provinces', provinces: ['79'] }, 3600_000))));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(3);
    const refused = answers.filter((a) => a.status !== 201);
    expect(refused).toHaveLength(3);
    for (const r of refused) {
      expect(r.status).toBe(429);
      expect(r.body.error.code).toBe('quota_exceeded');
      expect(r.body.error.retryAfterMs).toBeGreaterThan(0);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(await createdBy('so-hcm-quota')).toBe(3);
    // Another account still schedules.
    expect((await perHour.call('POST', '/api/meetings', HCM_HOST, meetingBody({ kind: 'provinces', provinces: ['79'] }, 3600_000))).status).toBe(201);
  });

  it('refuses one more meeting not yet ended over the cap, and schedules again once one has ended', async () => {
    const who = { ...HN_HOST, sub: 'so-hn-cap' };
    const a = await notEnded.call('POST', '/api/meetings', who, meetingBody({ kind: 'provinces', provinces: ['01'] }, 3600_000));
    const b = await notEnded.call('POST', '/api/meetings', who, meetingBody({ kind: 'provinces', provinces: ['01'] }, 7200_000));
    expect([a.status, b.status]).toEqual([201, 201]);
    const c = await notEnded.call('POST', '/api/meetings', who, meetingBody({ kind: 'provinces', provinces: ['01'] }, 9000_000));
    expect(c.status).toBe(429);
    expect(c.body.error.code).toBe('quota_exceeded');
    expect(c.body.error.retryAfterMs).toBeUndefined();
    expect((await notEnded.call('POST', `/api/meetings/${a.body.id}/end`, who)).body.state).toBe('ended');
    expect((await notEnded.call('POST', '/api/meetings', who, meetingBody({ kind: 'provinces', provinces: ['01'] }, 9000_000))).status).toBe(201);
  });

  it('keeps the live national meeting first in everyone\'s list however many meetings a province host floods in, and pages through the rest', async () => {
    const national = (await free.call('POST', '/api/meetings', NATIONAL, meetingBody({ kind: 'country' }, -60_000))).body;
    expect(national.state).toBe('open');
    const flooder = { ...HN_HOST, sub: 'so-hn-flood' };
    const flood: string[] = [];
    for (let i = 0; i < 210; i += 30) {
      const part = await Promise.all(
        Array.from({ length: Math.min(30, 210 - i) }, (_, j) => free.call('POST', '/api/meetings', flooder, meetingBody({ kind: 'provinces', provinces: ['01'] }, 86_400_000 + (i + j) * 60_000))),
      );
      for (const p of part) {
        expect(p.status).toBe(201);
        flood.push(p.body.id);
      }
    }
    for (const who of [NATIONAL, HN_HOST, teacher('t-hn-a1'), teacher('t-dn-a1')]) {
      const lists = await free.call('GET', '/api/meetings', who);
      expect(lists.status).toBe(200);
      expect(ids(lists.body.live), who.sub).toContain(national.id);
    }
    // A teacher in Hà Nội pages through every upcoming meeting: each once, soonest first.
    const first = (await free.call('GET', '/api/meetings', teacher('t-hn-a1'))).body;
    expect(first.upcoming.length).toBeLessThanOrEqual(50);
    const seen: { id: string; startsAt: string }[] = [...first.upcoming];
    let cursor: string | null = first.next.upcoming;
    while (cursor) {
      const page = await free.call('GET', `/api/meetings?state=upcoming&limit=40&cursor=${encodeURIComponent(cursor)}`, teacher('t-hn-a1'));
      expect(page.status, page.text).toBe(200);
      expect(page.body.state).toBe('upcoming');
      expect(page.body.meetings.length).toBeLessThanOrEqual(40);
      seen.push(...page.body.meetings);
      cursor = page.body.next;
    }
    expect(new Set(ids(seen)).size).toBe(seen.length);
    for (const id of flood) expect(ids(seen)).toContain(id);
    expect(seen.map((m) => m.startsAt)).toEqual([...seen.map((m) => m.startsAt)].sort());
    // One list alone: happening now.
    const live = await free.call('GET', '/api/meetings?state=live', teacher('t-hn-a1'));
    expect(ids(live.body.meetings)).toContain(national.id);
    expect(live.body.meetings.every((m: { state: string }) => m.state === 'open' || m.state === 'live')).toBe(true);
    expect(live.body.next).toBeNull();
  });

  it('pages past meetings latest first, and refuses a bad state, limit or cursor with 400 naming it', async () => {
    const ended: string[] = [];
    for (let i = 0; i < 5; i++) {
      const m = (await free.call('POST', '/api/meetings', NATIONAL, meetingBody({ kind: 'country' }, -(10 + i) * 3600_000))).body;
      ended.push(m.id);
    }
    const pages: { id: string; startsAt: string }[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/api/meetings?state=ended&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await free.call('GET', q, NATIONAL);
      expect(page.status, page.text).toBe(200);
      pages.push(...page.body.meetings);
      cursor = page.body.next;
    } while (cursor);
    // Latest first, each once (the earlier test's ended meeting is among them).
    expect(ids(pages).filter((id) => ended.includes(id))).toEqual(ended);
    expect(new Set(ids(pages)).size).toBe(pages.length);
    expect(pages.map((m) => m.startsAt)).toEqual([...pages.map((m) => m.startsAt)].sort().reverse());
    for (const [q, field] of [
      ['state=soon', 'state'],
      ['state=upcoming&limit=0', 'limit'],
      ['state=upcoming&limit=100000', 'limit'],
      ['state=upcoming&cursor=bm90LWEtY3Vyc29y', 'cursor'],
      ['cursor=' + encodeURIComponent(Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', 'x'])).toString('base64url')), 'cursor'],
    ] as const) {
      const r = await free.call('GET', `/api/meetings?${q}`, NATIONAL);
      expect(r.status, q).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'bad_request', field });
    }
  });
});
