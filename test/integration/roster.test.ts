/**
 * The hosts' participant list (rosterFlow.ts), the host's feedback when an invitation is declined,
 * and the reason a connection is told before the server ends it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { MEETING, call, connectClient, next, request, startServer, tokenFor, type TestSocket } from '../../harness/server';
import { joinAsViewer, type Viewer } from '../helpers/flows';

let server: HoinghiServer;
let host: TestSocket;
let provinceHost: TestSocket;
const teachers: Viewer[] = [];

beforeAll(async () => {
  server = await startServer();
  host = await connectClient(server, tokenFor(server, { role: 'host', sub: 'host-1', name: 'Bộ trưởng' }));
  await call(host, 'join', { meetingId: MEETING });
  provinceHost = await connectClient(server, tokenFor(server, { role: 'province_host', sub: 'so-79', name: 'Sở HCM', province: '79' }));
  await call(provinceHost, 'join', { meetingId: MEETING });
  const people = [
    { sub: 'gv-1', name: 'Nguyễn Thị Lan', province: '01', school: 'THPT Chu Văn An' },
    { sub: 'gv-2', name: 'Trần Văn Minh', province: '01', school: 'THCS Giảng Võ' },
    { sub: 'gv-3', name: 'Lê Thị Hồng', province: '79', school: 'THPT Lê Hồng Phong' },
    { sub: 'gv-4', name: 'Đặng Văn Đức', province: '48', school: 'THPT Phan Châu Trinh' },
  ];
  for (const p of people) teachers.push(await joinAsViewer(server, p));
});

afterAll(async () => {
  for (const s of [host, provinceHost, ...teachers.map((t) => t.socket)]) s.close();
  await server.close();
});

describe('the participant list', () => {
  it('pages every participant for the national host', async () => {
    const first = await call(host, 'participantsPage', { offset: 0, limit: 2 });
    expect(first.total).toBe(6);
    expect(first.entries).toHaveLength(2);
    const rest = await call(host, 'participantsPage', { offset: 2, limit: 100 });
    const all = [...first.entries, ...rest.entries].map((e) => e.userId).sort();
    expect(all).toEqual(['gv-1', 'gv-2', 'gv-3', 'gv-4', 'host-1', 'so-79']);
    expect(rest.entries.concat(first.entries).find((e) => e.userId === 'gv-1')).toEqual({ userId: 'gv-1', name: 'Nguyễn Thị Lan', role: 'teacher', province: '01', school: 'THPT Chu Văn An', sessionKey: 'main' });
  });

  it('finds people by name or school, ignoring case and diacritics, and by province', async () => {
    const ids = async (query: string): Promise<string[]> =>
      (await call(host, 'participantsPage', { query, offset: 0, limit: 100 })).entries.map((e) => e.userId).sort();
    expect(await ids('duc')).toEqual(['gv-4']);
    expect(await ids('giang vo')).toEqual(['gv-2']);
    expect(await ids('thi lan')).toEqual(['gv-1']);
    expect(await ids('nobody')).toEqual([]);
    const byProvince = await call(host, 'participantsPage', { province: '01', offset: 0, limit: 100 });
    expect(byProvince.entries.map((e) => e.userId).sort()).toEqual(['gv-1', 'gv-2']);
  });

  it('shows a province host only their own province', async () => {
    const page = await call(provinceHost, 'participantsPage', { offset: 0, limit: 100 });
    expect(page.entries.map((e) => e.userId).sort()).toEqual(['gv-3', 'so-79']);
    const other = await request(provinceHost, 'participantsPage', { province: '01', offset: 0, limit: 100 });
    expect(other).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('refuses teachers, and malformed or oversized requests, with typed errors', async () => {
    const t = teachers[0]!.socket;
    expect(await request(t, 'participantsPage', { offset: 0, limit: 10 })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await request(host, 'participantsPage', { offset: -1, limit: 10 })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await request(host, 'participantsPage', { offset: 0, limit: 1000 })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await request(host, 'participantsPage', { offset: 0, limit: 10, province: 'xx' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await request(host, 'participantsPage', { offset: 0, limit: 10, extra: 1 })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await request(host, 'participantsPage', { offset: 0, limit: 10, query: 'x'.repeat(300) })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect((await call(host, 'participantsPage', { offset: 0, limit: 100 })).total).toBe(6);
  });
});

describe('invitations', () => {
  it('tells the inviting session\'s hosts when the invited teacher declines', async () => {
    const teacher = teachers[1]!;
    const invited = next(teacher.socket, 'speakState');
    await call(host, 'inviteSpeaker', { userId: 'gv-2', allowVideo: true });
    expect((await invited).invitation).toEqual({ allowVideo: true });
    const declined = next(host, 'inviteDeclined');
    await call(teacher.socket, 'respondInvitation', { accept: false });
    expect(await declined).toEqual({ userId: 'gv-2', name: 'Trần Văn Minh' });
  });
});

describe('the reason before a disconnect', () => {
  it('tells a connection it was replaced by the same account signing in elsewhere', async () => {
    const first = await joinAsViewer(server, { sub: 'twice', name: 'Hai nơi' });
    const reason = next(first.socket, 'disconnectReason');
    const gone = new Promise<string>((resolve) => first.socket.once('disconnect', resolve));
    const second = await joinAsViewer(server, { sub: 'twice', name: 'Hai nơi' });
    expect(await reason).toEqual({ reason: 'signed_in_elsewhere' });
    expect(await gone).toBe('io server disconnect');
    second.socket.close();
  });

  it('tells a flooding connection why it is disconnected', async () => {
    const flooder = await joinAsViewer(server, { sub: 'flooder' });
    const reason = next(flooder.socket, 'disconnectReason', 10_000);
    const flood = setInterval(() => {
      for (let i = 0; i < 20 && flooder.socket.connected; i++) (flooder.socket.emit as (e: string, p: unknown) => void)('nonsense', {});
    }, 10);
    try {
      expect(await reason).toEqual({ reason: 'flooding' });
    } finally {
      clearInterval(flood);
    }
  });
});
