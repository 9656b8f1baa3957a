/**
 * The demo start's data: the provinces, a small generated organisation, the demo accounts' own
 * schools and teachers, and the demo meeting (national, open now, for the whole country), so the
 * demo accounts can join it as before. Idempotent; nodes that start at once on one database take
 * turns, so the first loads the data and the others find it there.
 */
import type { Db } from '../db/Db';
import { logger } from '../../common/log';
import { MeetingRepo } from '../schedule/meetingRepo';
import { demoAccountOrg, generateSchools, generateTeachers } from './demoData';
import { orgCounts, seedProvinces, upsertSchools, upsertTeachers } from '../org/orgRepo';
import { upsertStaff } from '../org/staffRepo';
import { DEMO_ACCOUNTS } from '../auth/demoAccounts';

const log = logger('demo-data');

export interface DemoSeed {
  schools: number;
  teachers: number;
  meetingId: string;
}

export async function seedDemo(db: Db, seed: DemoSeed): Promise<void> {
  await db.exclusive('hoinghi:seed-demo', () => load(db, seed));
}

async function load(db: Db, seed: DemoSeed): Promise<void> {
  await seedProvinces(db);
  const counts = await orgCounts(db);
  if (counts.teachers < seed.teachers) {
    const opts = { schools: seed.schools, teachers: seed.teachers, seed: 1 };
    const schools = generateSchools(opts);
    await upsertSchools(db, schools);
    for (const batch of generateTeachers(schools, opts)) await upsertTeachers(db, batch);
  }
  const own = demoAccountOrg();
  await upsertSchools(db, own.schools);
  await upsertTeachers(db, own.teachers);
  // The demo's hosts and province hosts, for the co-host picker.
  await upsertStaff(
    db,
    DEMO_ACCOUNTS.flatMap(({ claims: c }) =>
      c.role === 'teacher' ? [] : [{ id: c.sub, name: c.name, role: c.role, province: c.role === 'province_host' ? (c.province ?? null) : null }],
    ),
  );
  const meetings = new MeetingRepo(db);
  if (!(await meetings.get(seed.meetingId))) {
    const now = Date.now();
    await meetings.create(
      seed.meetingId,
      {
        title: 'Hội nghị toàn quốc ngành Giáo dục',
        agenda: 'Khai mạc; triển khai nhiệm vụ năm học; thảo luận theo tỉnh; bế mạc.',
        startsAt: new Date(now - 60_000).toISOString(),
        endsAt: new Date(now + 12 * 3600_000).toISOString(),
        audience: { kind: 'country' },
        coHosts: ['vu-truong'],
        breakoutPlan: { provinces: [], durationMin: 0 },
      },
      'bo-truong',
      null,
    );
    await meetings.setState(seed.meetingId, 'open');
  } else {
    // The demo meeting stays open across restarts of a long-running demo.
    await db.query(
      `UPDATE meetings SET state = 'open', ended_at = NULL, starts_at = least(starts_at, now()), ends_at = now() + interval '12 hours' WHERE id = $1`,
      [seed.meetingId],
    );
  }
  log.info(await orgCounts(db), 'demo data ready');
}
