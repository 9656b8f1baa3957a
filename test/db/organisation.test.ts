/**
 * The organisation on both databases: CSV import (good rows in, bad rows reported by line), the
 * demo data generator, and the demo seed containing every demo account.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, useDb } from '../../harness/postgres';
import { importSchoolsCsv, importTeachersCsv } from '../../signaling/org/csvImport';
import { orgCounts, seedProvinces, teacherPlace, deleteTeacher } from '../../signaling/org/orgRepo';
import { generateSchools, generateTeachers } from '../../signaling/demo/demoData';
import { seedDemo } from '../../signaling/demo/seedDemo';
import { DEMO_ACCOUNTS } from '../../signaling/auth/demoAccounts';
import { PROVINCES } from '../../signaling/data/provinces';
import { MeetingRepo } from '../../signaling/schedule/meetingRepo';

describe.each(ENGINES)('organisation on %s', (engine) => {
  const db = useDb(engine, { beforeAll, afterAll });

  it('imports schools and teachers from CSV and reports bad rows with their line', async () => {
    await seedProvinces(db());
    const schools = await importSchoolsCsv(
      db(),
      Readable.from(['\uFEFFcode,name,province\n', 'CSV-1,"THPT Nguyễn Du, cơ sở 2",01\n', 'CSV-2,Tiểu học Kim Đồng,79\n', 'CSV-3,Bad province,99\n']),
    );
    expect(schools).toMatchObject({ imported: 2, skipped: 1 });
    expect(schools.errors[0]).toMatchObject({ line: 4 });
    const teachers = await importTeachersCsv(
      db(),
      Readable.from(['id,name,school,subject\r\n', 'CSV-T1,Đặng Thu Hà,CSV-1,Toán\r\n', 'CSV-T2,Bùi Văn Nam,CSV-2,\r\n', 'CSV-T3,,CSV-1,Văn\r\n', 'CSV-T4,Ngô Thị Yến,NO-SUCH,Sử\r\n']),
    );
    expect(teachers).toMatchObject({ imported: 2, skipped: 2 });
    expect(await teacherPlace(db(), 'CSV-T1')).toEqual({ id: 'CSV-T1', name: 'Đặng Thu Hà', school: 'CSV-1', schoolName: 'THPT Nguyễn Du, cơ sở 2', province: '01' });
    expect(await teacherPlace(db(), 'CSV-T4')).toBeNull();
  });

  it('refuses a CSV whose header lacks a required column', async () => {
    await expect(importSchoolsCsv(db(), Readable.from(['code,title\n', 'X,Y\n']))).rejects.toThrow(/missing column/);
  });

  it('generates schools in every province and exactly the teachers asked for, with Vietnamese names', () => {
    const opts = { schools: 500, teachers: 12_345, seed: 3, batch: 1000 };
    const schools = generateSchools(opts);
    expect(schools).toHaveLength(500);
    expect(new Set(schools.map((s) => s.province))).toEqual(new Set(PROVINCES.map((p) => p.code)));
    expect(new Set(schools.map((s) => s.code)).size).toBe(500);
    const teachers = [...generateTeachers(schools, opts)].flat();
    expect(teachers).toHaveLength(12_345);
    expect(new Set(teachers.map((t) => t.id)).size).toBe(12_345);
    const surnames = new Set(teachers.map((t) => t.name.split(' ')[0]));
    expect(surnames.has('Nguyễn')).toBe(true);
    expect(teachers.filter((t) => t.name.startsWith('Nguyễn ')).length / teachers.length).toBeGreaterThan(0.25);
    expect(teachers.every((t) => /^\S+ \S+ \S+$/.test(t.name))).toBe(true);
  });

  it('loads the demo set with every demo teacher in their province and the demo meeting open', async () => {
    await seedDemo(db(), { schools: 68, teachers: 700, meetingId: 'demo-meeting' });
    const counts = await orgCounts(db());
    expect(counts.provinces).toBe(34);
    expect(counts.teachers).toBeGreaterThanOrEqual(700);
    for (const a of DEMO_ACCOUNTS.filter((x) => x.claims.role === 'teacher')) {
      const place = await teacherPlace(db(), a.id);
      expect(place, a.id).not.toBeNull();
      expect(place!.province).toBe(a.claims.province);
      expect(place!.schoolName).toBe(a.claims.school);
    }
    const m = await new MeetingRepo(db()).get('demo-meeting');
    expect(m).toMatchObject({ state: 'open', audience: { kind: 'country' } });
    // Idempotent: a second start changes nothing.
    await seedDemo(db(), { schools: 68, teachers: 700, meetingId: 'demo-meeting' });
    expect((await orgCounts(db())).teachers).toBe(counts.teachers);
  });

  it('really deletes a teacher', async () => {
    expect(await deleteTeacher(db(), 'CSV-T2')).toBe(true);
    expect(await teacherPlace(db(), 'CSV-T2')).toBeNull();
    expect(await db().query('SELECT 1 FROM teachers WHERE id = $1', ['CSV-T2'])).toHaveLength(0);
  });
});
