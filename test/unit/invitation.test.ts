/**
 * A meeting's calendar invitation (signaling/schedule/invitation.ts): Việt Nam's time with its zone
 * described, the title, agenda and join link escaped, lines of at most 75 octets (a Vietnamese
 * character never split), CRLF endings; read back by unfolding, it says what the meeting says.
 */
import { describe, expect, it } from 'vitest';
import { foldLine, icsText, invitationIcs } from '../../signaling/schedule/invitation';
import type { MeetingInfo } from '../../signaling/schedule/types';

const MEETING: MeetingInfo = {
  id: 'hn-0123456789ab',
  title: 'Hội nghị triển khai nhiệm vụ năm học 2026–2027, toàn ngành; Giáo dục',
  agenda: '1. Khai mạc\n2. Báo cáo của Bộ trưởng về đổi mới chương trình, sách giáo khoa và đánh giá học sinh\n3. Hỏi đáp',
  startsAt: '2026-12-08T01:30:00.000Z',
  endsAt: '2026-12-08T03:00:00.000Z',
  audience: { kind: 'country' },
  ownerProvince: null,
  createdBy: 'bo-truong',
  coHosts: [],
  breakoutPlan: { provinces: [], durationMin: 0 },
  state: 'scheduled',
  openedAt: null,
  endedAt: null,
};

/** The content lines, unfolded (RFC 5545 3.1). */
const unfold = (ics: string): string[] => ics.replace(/\r\n /g, '').split('\r\n').filter(Boolean);

describe('invitation (.ics)', () => {
  const ics = invitationIcs(MEETING, 'https://hoinghi.moet.gov.vn/m/hn-0123456789ab', Date.parse('2026-12-01T00:00:00Z'));

  it('has CRLF lines of at most 75 octets, none splitting a character', () => {
    expect(ics.endsWith('\r\n')).toBe(true);
    expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const line of ics.split('\r\n')) {
      expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
      expect(line).not.toContain('\uFFFD');
    }
    expect(ics.split('\r\n').some((l) => l.startsWith(' '))).toBe(true); // something was folded
  });

  it('says the meeting\'s time in Việt Nam, its title, agenda and join link', () => {
    const lines = unfold(ics);
    expect(lines).toContain('DTSTART;TZID=Asia/Ho_Chi_Minh:20261208T083000');
    expect(lines).toContain('DTEND;TZID=Asia/Ho_Chi_Minh:20261208T100000');
    expect(lines).toContain('TZOFFSETTO:+0700');
    expect(lines).toContain('UID:hn-0123456789ab@hoinghi');
    expect(lines).toContain('DTSTAMP:20261201T000000Z');
    expect(lines).toContain(`SUMMARY:Hội nghị triển khai nhiệm vụ năm học 2026–2027\\, toàn ngành\\; Giáo dục`);
    const description = lines.find((l) => l.startsWith('DESCRIPTION:'))!;
    expect(description).toContain('1. Khai mạc\\n2. Báo cáo');
    expect(description).toContain('Tham gia hội nghị: https://hoinghi.moet.gov.vn/m/hn-0123456789ab');
    expect(lines).toContain('URL:https://hoinghi.moet.gov.vn/m/hn-0123456789ab');
    expect(lines).toContain('STATUS:CONFIRMED');
    expect(lines[0]).toBe('BEGIN:VCALENDAR');
    expect(lines.at(-1)).toBe('END:VCALENDAR');
  });

  it('escapes what would break the file, and marks an ended meeting cancelled', () => {
    expect(icsText('a\\b;c,d\r\ne\u0007f')).toBe('a\\\\b\\;c\\,d\\nef');
    expect(foldLine('x'.repeat(75))).toBe('x'.repeat(75));
    expect(foldLine('x'.repeat(76))).toBe(`${'x'.repeat(75)}\r\n x`);
    const injected = invitationIcs({ ...MEETING, title: 'Họp\r\nEND:VEVENT\r\nBEGIN:VEVENT', state: 'ended' }, 'https://x/m/1');
    expect(unfold(injected).filter((l) => l === 'BEGIN:VEVENT')).toHaveLength(1);
    expect(unfold(injected)).toContain('STATUS:CANCELLED');
  });
});
