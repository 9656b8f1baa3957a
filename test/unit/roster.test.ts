/**
 * The roster rules both meeting stores share: who hosts a session, how a session's participants
 * are counted, and how the hosts' participant search matches (case and Vietnamese accents
 * ignored).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAIN, countBy, countSessions, fold, hostsSession, matchesQuery } from '../../signaling/store/roster';
import type { Participant } from '../../signaling/store/types';
import type { Role } from '../../signaling/protocol/events';

let n = 0;
function person(role: Role, over: Partial<Participant> = {}): Participant {
  n += 1;
  return { userId: `u${n}`, name: `User ${n}`, role, province: null, school: null, sessionKey: MAIN, node: 'n1', socketId: `s${n}`, joinedAt: 0, ...over };
}

describe('hostsSession', () => {
  it('lets national hosts host main, and only main', () => {
    expect(hostsSession({ role: 'host', province: null }, MAIN)).toBe(true);
    expect(hostsSession({ role: 'host', province: '01' }, '01')).toBe(false);
  });

  it('lets a province host host the breakout of their own province, and no other session', () => {
    expect(hostsSession({ role: 'province_host', province: '01' }, '01')).toBe(true);
    expect(hostsSession({ role: 'province_host', province: '01' }, '79')).toBe(false);
    expect(hostsSession({ role: 'province_host', province: '01' }, MAIN)).toBe(false);
    expect(hostsSession({ role: 'province_host', province: null }, '01')).toBe(false);
  });

  it('never lets a teacher host', () => {
    for (const s of [MAIN, '01']) expect(hostsSession({ role: 'teacher', province: '01' }, s)).toBe(false);
  });
});

describe('countSessions', () => {
  it('counts hosts and everyone else per session, hands left at zero for the store to fill', () => {
    const roster = [
      person('host'),
      person('teacher'),
      person('teacher'),
      person('province_host', { province: '01' }), // in main: a participant there, not its host
      person('province_host', { province: '01', sessionKey: '01' }),
      person('teacher', { province: '01', sessionKey: '01' }),
      person('host', { sessionKey: '79' }), // a national host visiting a breakout does not host it
    ];
    expect(countSessions(roster)).toEqual({
      [MAIN]: { hosts: 1, teachers: 3, hands: 0 },
      '01': { hosts: 1, teachers: 1, hands: 0 },
      '79': { hosts: 0, teachers: 1, hands: 0 },
    });
  });

  it('lists no session that nobody is in', () => {
    expect(countSessions([])).toEqual({});
  });

  it('counts everyone exactly once, in some session', () => {
    const role = fc.constantFrom<Role>('host', 'province_host', 'teacher');
    const key = fc.constantFrom(MAIN, '01', '79');
    fc.assert(
      fc.property(fc.array(fc.tuple(role, key, fc.constantFrom('01', '79', null)), { maxLength: 50 }), (rows) => {
        const roster = rows.map(([r, sessionKey, province]) => person(r, { sessionKey, province }));
        const counts = Object.values(countSessions(roster));
        expect(counts.reduce((sum, c) => sum + c.hosts + c.teachers, 0)).toBe(roster.length);
      }),
    );
  });
});

describe('countBy', () => {
  it('counts by province or school and leaves out those without one', () => {
    const roster = [
      person('teacher', { province: '01', school: 'A' }),
      person('teacher', { province: '01', school: 'B' }),
      person('teacher', { province: '79', school: 'A' }),
      person('host'),
    ];
    expect(countBy(roster, 'province')).toEqual({ '01': 2, '79': 1 });
    expect(countBy(roster, 'school')).toEqual({ A: 2, B: 1 });
  });
});

describe('fold', () => {
  it('drops case and Vietnamese accents, đ included', () => {
    expect(fold('Đà Nẵng')).toBe('da nang');
    expect(fold('Nguyễn Thị Ánh')).toBe('nguyen thi anh');
    expect(fold('đường Hồ Chí Minh')).toBe('duong ho chi minh');
    expect(fold('TRƯỜNG THPT Lê Quý Đôn')).toBe('truong thpt le quy don');
  });

  it('treats precomposed and decomposed spellings of a name alike', () => {
    const composed = 'Nguyễn';
    expect(fold(composed.normalize('NFD'))).toBe(fold(composed.normalize('NFC')));
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(fold(fold(s))).toBe(fold(s));
      }),
    );
  });
});

describe('matchesQuery', () => {
  const lan = person('teacher', { userId: 'gv-hn-1', name: 'Nguyễn Thị Lan', province: '01', school: 'THCS Đống Đa', sessionKey: '01' });
  const q = (over: Partial<{ text: string; province: string; sessionKey: string }>) => ({ offset: 0, limit: 10, ...over });

  it('matches everyone without a filter', () => {
    expect(matchesQuery(lan, q({}))).toBe(true);
    expect(matchesQuery(lan, q({ text: '' }))).toBe(true);
  });

  it('finds by a part of the name, the school or the user id, without accents or case', () => {
    expect(matchesQuery(lan, q({ text: 'nguyen thi' }))).toBe(true);
    expect(matchesQuery(lan, q({ text: 'LAN' }))).toBe(true);
    expect(matchesQuery(lan, q({ text: 'dong da' }))).toBe(true);
    expect(matchesQuery(lan, q({ text: 'Đống' }))).toBe(true);
    expect(matchesQuery(lan, q({ text: 'hn-1' }))).toBe(true);
    expect(matchesQuery(lan, q({ text: 'hoa' }))).toBe(false);
  });

  it('filters by province and by session, together with the text', () => {
    expect(matchesQuery(lan, q({ province: '01' }))).toBe(true);
    expect(matchesQuery(lan, q({ province: '79' }))).toBe(false);
    expect(matchesQuery(lan, q({ sessionKey: MAIN }))).toBe(false);
    expect(matchesQuery(lan, q({ sessionKey: '01', province: '01', text: 'lan' }))).toBe(true);
    expect(matchesQuery(lan, q({ sessionKey: '01', province: '79', text: 'lan' }))).toBe(false);
  });

  it('matches a teacher with no school by name', () => {
    const noSchool = person('teacher', { name: 'Trần Văn Hùng', school: null });
    expect(matchesQuery(noSchool, q({ text: 'hung' }))).toBe(true);
    expect(matchesQuery(noSchool, q({ text: 'thcs' }))).toBe(false);
  });

  it('finds anyone by any part of their name, typed without accents', () => {
    const names = fc.constantFrom('Nguyễn Thị Lan', 'Đặng Văn Đức', 'Lê Quý Đôn', 'Phạm Hồng Thái', 'Trương Ánh Nguyệt');
    fc.assert(
      fc.property(names, fc.nat(), fc.nat(), (name, a, b) => {
        const folded = fold(name);
        const start = a % folded.length;
        const part = folded.slice(start, start + 1 + (b % (folded.length - start)));
        expect(matchesQuery(person('teacher', { name }), q({ text: part.toUpperCase() }))).toBe(true);
      }),
    );
  });
});
