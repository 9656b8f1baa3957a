/**
 * Questions, votes, polls and reactions kept on both databases (batched by QaWriter) and exported
 * as CSV and XLSX within the caller's scope: votes counted once, the latest moderation state, poll
 * tallies nationwide and by province, reaction totals summed across flushes, formula cells defused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { ENGINES, useDb } from '../../harness/postgres';
import { HCM_HOST, NATIONAL, bearer, meetingBody, seedOrg, startApi, teacher, type Api } from '../helpers/orgFixture';
import { QaWriter } from '../../signaling/qa/qaWriter';
import { MemoryQa } from '../../signaling/store/qaMemory';
import { INTERACTION_COLUMNS } from '../../signaling/qa/qaExport';

const limits = { maxQuestions: 100, maxPerUser: 10 };

describe.each(ENGINES)('questions, polls and reactions on %s', (engine) => {
  const db = useDb(engine, { beforeAll, afterAll });
  let api: Api;
  let meetingId = '';
  beforeAll(async () => {
    await seedOrg(db());
    api = await startApi(db());
    meetingId = (await api.call('POST', '/api/meetings', NATIONAL, meetingBody({ kind: 'country' }, 0))).body.id;
    expect(meetingId).toBeTruthy();
  });
  afterAll(async () => api?.close());

  it('writes in batches, counts a vote once, keeps the latest state and sums reactions across flushes', async () => {
    const store = new MemoryQa();
    const w = new QaWriter(db(), { flushMs: 10_000, maxRows: 10_000, maxBuffered: 10_000 });
    const q1 = await store.ask({ text: '=HYPERLINK("x") Lịch thi?', authorId: 't-hn-a1', authorName: 'Lan', province: '01', school: 'hn-a' }, limits);
    const q2 = await store.ask({ text: 'Tài liệu ở đâu?', authorId: 't-hcm-a1', authorName: 'Hồng', province: '79', school: 'hcm-a' }, limits);
    if (typeof q1 === 'string' || typeof q2 === 'string') throw new Error('not asked');
    w.question(meetingId, q1);
    w.question(meetingId, q2);
    w.question('no-such-meeting', { ...q1 });
    for (const u of ['u1', 'u2', 'u2']) w.questionVote(meetingId, q1.id, u, Date.now());
    w.questionVote(meetingId, q2.id, 'u1', Date.now());
    await w.flush();
    const answered = await store.moderate(q2.id, { answered: true });
    w.question(meetingId, answered!);
    const poll = await store.createPoll({ question: 'Phòng máy?', options: ['Có', 'Chưa'], multiple: true, durationS: null });
    const open = await store.launchPoll(poll.id);
    if (typeof open === 'string') throw new Error('not launched');
    w.poll(meetingId, open);
    w.pollVote(meetingId, poll.id, { userId: 'a', province: '01', choices: [0, 1], at: Date.now() });
    w.pollVote(meetingId, poll.id, { userId: 'b', province: '01', choices: [1], at: Date.now() });
    w.pollVote(meetingId, poll.id, { userId: 'c', province: '79', choices: [1], at: Date.now() });
    // The store lets one vote through per teacher; should a second reach the writer, the first stays.
    w.pollVote(meetingId, poll.id, { userId: 'c', province: '79', choices: [0], at: Date.now() });
    w.reaction(meetingId, 'cant_hear', '79');
    w.reaction(meetingId, 'cant_hear', '79');
    await w.flush();
    w.reaction(meetingId, 'cant_hear', '79');
    w.reaction(meetingId, 'applause', null);
    await w.close();
    expect(w.dropped).toBe(0);

    const votes = await db().query<{ question_id: string; n: string }>(
      'SELECT question_id, count(*) AS n FROM qa_votes WHERE meeting_id = $1 GROUP BY question_id ORDER BY question_id',
      [meetingId],
    );
    expect(votes.map((v) => [v.question_id, Number(v.n)])).toEqual([
      [q1.id, 2],
      [q2.id, 1],
    ]);
    const qs = await db().query<{ id: string; answered: boolean; text: string }>('SELECT id, answered, text FROM qa_questions WHERE meeting_id = $1 ORDER BY id', [meetingId]);
    expect(qs).toEqual([
      { id: q1.id, answered: false, text: q1.text },
      { id: q2.id, answered: true, text: q2.text },
    ]);
    expect(await db().query("SELECT 1 FROM qa_questions WHERE meeting_id = 'no-such-meeting'")).toEqual([]);
    const pv = await db().query<{ user_id: string; choices: number[] }>('SELECT user_id, choices FROM poll_votes WHERE meeting_id = $1 ORDER BY user_id', [meetingId]);
    expect(pv.map((r) => [r.user_id, r.choices.map(Number)])).toEqual([
      ['a', [0, 1]],
      ['b', [1]],
      ['c', [1]],
    ]);
    const rx = await db().query<{ kind: string; province: string; count: string }>('SELECT kind, province, count FROM reaction_totals WHERE meeting_id = $1 ORDER BY kind', [meetingId]);
    expect(rx.map((r) => [r.kind, r.province, Number(r.count)])).toEqual([
      ['applause', '--', 1],
      ['cant_hear', '79', 3],
    ]);
  });

  it('exports them as CSV within the caller’s scope, formulas defused, and refuses teachers', async () => {
    const csv = await api.call('GET', `/api/meetings/${meetingId}/interaction.csv`, NATIONAL);
    expect(csv.status).toBe(200);
    const [header, ...lines] = csv.text.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(header).toBe(INTERACTION_COLUMNS.join(','));
    // Questions by votes; the formula-looking text starts with an apostrophe.
    expect(lines[0]).toMatch(/^question,q1,01,Lan,hn-a,"'=HYPERLINK\(""x""\) Lịch thi\?",2,visible,/);
    expect(lines[1]).toMatch(/^question,q2,79,Hồng,hcm-a,Tài liệu ở đâu\?,1,visible\+answered,/);
    const poll = lines.filter((l) => l.startsWith('poll_'));
    expect(poll.map((l) => l.split(',').slice(0, 3).concat(l.split(',').slice(5, 8)).join(','))).toEqual([
      'poll_voters,p1,01,,2,open',
      'poll_option,p1,01,Có,1,open',
      'poll_option,p1,01,Chưa,2,open',
      'poll_voters,p1,79,,1,open',
      'poll_option,p1,79,Có,0,open',
      'poll_option,p1,79,Chưa,1,open',
      'poll_voters,p1,all,,3,open',
      'poll_option,p1,all,Có,1,open',
      'poll_option,p1,all,Chưa,3,open',
    ]);
    expect(lines.filter((l) => l.startsWith('reaction,'))).toEqual(['reaction,applause,,,,,1,,', 'reaction,cant_hear,79,,,,3,,']);

    const hcm = await api.call('GET', `/api/meetings/${meetingId}/interaction.csv`, HCM_HOST);
    expect(hcm.status).toBe(200);
    expect(hcm.text).not.toContain('Lịch thi');
    expect(hcm.text).toContain('Tài liệu ở đâu?');
    expect(hcm.text).not.toMatch(/^poll_voters,p1,01/m);
    expect((await api.call('GET', `/api/meetings/${meetingId}/interaction.csv`, teacher('t-hn-a1'))).status).toBe(403);
  });

  it('exports them as XLSX, one sheet each for questions, polls and reactions', async () => {
    const res = await fetch(`${api.url}/api/meetings/${meetingId}/interaction.xlsx`, { headers: { authorization: `Bearer ${bearer(NATIONAL)}` } });
    expect(res.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await res.arrayBuffer()) as never);
    expect(wb.worksheets.map((s) => s.name)).toEqual(['Questions', 'Polls', 'Reactions']);
    const questions = wb.getWorksheet('Questions')!;
    expect(questions.rowCount).toBe(3);
    expect(questions.getRow(2).getCell(6).value).toBe(`'=HYPERLINK("x") Lịch thi?`);
    expect(questions.getRow(2).getCell(7).value).toBe(2);
    expect(wb.getWorksheet('Polls')!.rowCount).toBe(10);
    const reaction = wb.getWorksheet('Reactions')!.getRow(3);
    expect([1, 2, 3, 7].map((c) => reaction.getCell(c).value)).toEqual(['reaction', 'cant_hear', '79', 3]);
  });
});
