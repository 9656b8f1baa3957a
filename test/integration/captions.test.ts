/**
 * Live captions on one node with the memory store (the behaviours: test/helpers/captionSuite.ts),
 * the transcript's download, and bad caption input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HoinghiServer } from '../../signaling/server';
import { call, connectClient, request, startServer, tokenFor, type TestSocket } from '../../harness/server';
import { captionSuite } from '../helpers/captionSuite';

let server: HoinghiServer;
const open: TestSocket[] = [];

beforeAll(async () => {
  server = await startServer();
}, 60_000);

afterAll(async () => {
  for (const s of open) s.close();
  await server?.close();
});

captionSuite('one node, memory', () => ({
  connect: (_node, claims) => connectClient(server, tokenFor(server, claims)),
  open,
}));

describe('captions: input and transcript', () => {
  it('refuses bad caption payloads with bad_request and keeps nothing', async () => {
    const host = await connectClient(server, tokenFor(server, { role: 'host', sub: 'cap-bad', meetings: ['cap-bad'] }));
    open.push(host);
    await call(host, 'join', { meetingId: 'cap-bad' });
    for (const payload of [{ id: 'a', text: 'x'.repeat(501) }, { id: 'a', text: '\u0007\u0008' }, { id: 'a b', text: 'x' }, { id: 'a', text: 'x', revision: -1 }, { id: 'a', text: 7 }, 'x']) {
      const res = await request(host, 'captionFinal', payload);
      expect(res.ok ? null : res.error.code).toBe('bad_request');
    }
    expect((await call(host, 'captionsRecent', {})).lines).toEqual([]);
  });

  it('offers the transcript as WebVTT and text to the meeting\'s audience only, with the corrected lines', async () => {
    const id = 'cap-transcript';
    const host = await connectClient(server, tokenFor(server, { role: 'host', sub: 'cap-tr', name: 'Bộ trưởng', meetings: [id] }));
    open.push(host);
    await call(host, 'join', { meetingId: id });
    await call(host, 'captionFinal', { id: 'a', text: 'Khai mạc hội nghị <trực tuyến> & chào mừng' });
    await call(host, 'captionFinal', { id: 'b', text: 'Thông tư 12' });
    await call(host, 'captionFinal', { id: 'b', text: 'Thông tư 21', revision: 1 });
    const get = (file: string, token?: string) => fetch(`${server.url}/api/meetings/${id}/${file}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    const teacher = tokenFor(server, { role: 'teacher', sub: 'cap-tr-t', meetings: [id] });
    const vtt = await get('transcript.vtt', teacher);
    expect(vtt.status).toBe(200);
    expect(vtt.headers.get('content-type')).toContain('text/vtt');
    const body = await vtt.text();
    expect(body.startsWith('WEBVTT\n')).toBe(true);
    expect(body).toContain('<v Bộ trưởng>Khai mạc hội nghị &lt;trực tuyến&gt; &amp; chào mừng');
    expect(body).toContain('Thông tư 21');
    expect(body).not.toContain('Thông tư 12');
    const txt = await (await get('transcript.txt', teacher)).text();
    expect(txt).toMatch(/\[\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}\] Bộ trưởng: Thông tư 21/);
    expect(txt).toContain('giờ Việt Nam, UTC+7');
    expect((await get('transcript.txt')).status).toBe(401);
    expect((await get('transcript.txt', tokenFor(server, { role: 'teacher', sub: 'x', meetings: ['other'] }))).status).toBe(403);
    expect((await get('transcript.pdf', teacher)).status).toBe(404);
  });
});
