/**
 * A meeting's invitation as a calendar file (iCalendar, RFC 5545): its time in Việt Nam's zone
 * (Asia/Ho_Chi_Minh, UTC+7 all year, described in the file so every calendar reads it alike),
 * the title, the agenda and the join link (which leads through sign-in to the lobby). Text is
 * escaped, and lines are folded at 75 octets without splitting a character.
 */
import type { MeetingInfo } from './types';

const ZONE = 'Asia/Ho_Chi_Minh';
/** Việt Nam keeps UTC+7 all year (no daylight saving since 1975). */
const OFFSET_MS = 7 * 3600_000;

/** `YYYYMMDDTHHMMSS` of an instant in Việt Nam's local time. */
function localStamp(iso: string): string {
  return new Date(Date.parse(iso) + OFFSET_MS).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, '');
}

function utcStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** TEXT value escaping (RFC 5545 3.3.11); control characters other than newlines are dropped. */
export function icsText(s: string): string {
  return s
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0009\u000B-\u001F\u007F]/g, '')
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\n/g, '\\n');
}

/** Folds a content line into lines of at most 75 octets (continuations start with a space). */
export function foldLine(line: string): string {
  const out: string[] = [];
  let current = '';
  let octets = 0;
  for (const ch of line) {
    const n = Buffer.byteLength(ch);
    const limit = out.length === 0 ? 75 : 74; // a continuation's leading space counts
    if (octets + n > limit) {
      out.push(current);
      current = '';
      octets = 0;
    }
    current += ch;
    octets += n;
  }
  out.push(current);
  return out.join('\r\n ');
}

/** The invitation of `m`, whose join link is `joinUrl`; `now` stamps it. */
export function invitationIcs(m: MeetingInfo, joinUrl: string, now = Date.now()): string {
  const description = [m.agenda.trim(), `Tham gia hội nghị: ${joinUrl}`].filter(Boolean).join('\n\n');
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//hoinghi//Hoi nghi truc tuyen nganh Giao duc//VI',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    'BEGIN:VTIMEZONE',
    `TZID:${ZONE}`,
    'BEGIN:STANDARD',
    'DTSTART:19750613T000000',
    'TZOFFSETFROM:+0700',
    'TZOFFSETTO:+0700',
    'TZNAME:ICT',
    'END:STANDARD',
    'END:VTIMEZONE',
    'BEGIN:VEVENT',
    `UID:${m.id}@hoinghi`,
    `DTSTAMP:${utcStamp(now)}`,
    `DTSTART;TZID=${ZONE}:${localStamp(m.startsAt)}`,
    `DTEND;TZID=${ZONE}:${localStamp(m.endsAt)}`,
    `SUMMARY:${icsText(m.title)}`,
    `DESCRIPTION:${icsText(description)}`,
    `URL:${icsText(joinUrl)}`,
    `LOCATION:${icsText(joinUrl)}`,
    m.state === 'ended' ? 'STATUS:CANCELLED' : 'STATUS:CONFIRMED',
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return `${lines.map(foldLine).join('\r\n')}\r\n`;
}
