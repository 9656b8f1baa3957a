/**
 * End-to-end in Chromium: a clip played from the server (signaling/clips/) reaches a real
 * browser. A host's page (the backstage) and a teacher's page are open; a second host plays the
 * test clip over the socket: the host's page decodes its frames and the SFU's counters of the
 * host's consumers rise; the teacher's page gets it only once it is on a live stage.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { call, connectClient, startServer, tokenFor, type TestSocket } from '../../harness/server';
import { closeAll, framesRise, inboundStats, launchChromium, openAs, waitFor } from '../../harness/browser';
import { consumerPackets } from '../helpers/flows';

const MEETING = 'e2e-clips';
const HOST = 'bo-truong';
const TEACHER = 'gv-hn-1';
let server: HoinghiServer;
let browser: Browser;
let root: string;
let producer: TestSocket;
const contexts: BrowserContext[] = [];
const pages: Record<string, Page> = {};

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-e2e-clips-'));
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=15', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', '60', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', path.join(root, 'clip.mp4'),
  ]);
  server = await startServer({ HOINGHI_DEMO_MEETING: MEETING, HOINGHI_CLIPS_DIR: root });
  browser = await launchChromium();
  pages[HOST] = await openAs(browser, contexts, server.url, HOST);
  pages[TEACHER] = await openAs(browser, contexts, server.url, TEACHER);
  producer = await connectClient(server, tokenFor(server, { role: 'host', sub: 'clip-producer', meetings: [MEETING] }));
  await call(producer, 'join', { meetingId: MEETING });
}, 120_000);

afterAll(async () => {
  producer?.close();
  await closeAll(contexts, browser, server);
  fs.rmSync(root, { recursive: true, force: true });
});

describe('a clip played from the server, in real browsers', () => {
  it('reaches the backstage at once, and the teacher only from a live stage', async () => {
    await call(producer, 'updateStage', { type: 'backstage', on: true });
    const { key } = await call(producer, 'playClip', { name: 'clip.mp4' });
    await framesRise(pages[HOST]!, "the host's page decodes the clip");
    const before = await consumerPackets(server, MEETING, HOST);
    await waitFor(() => consumerPackets(server, MEETING, HOST), (n) => n > before && before > 0, 10_000, "the host's clip consumer RTP counters rising");
    expect((await inboundStats(pages[TEACHER]!)).framesDecoded).toBe(0);

    await call(producer, 'updateStage', { type: 'put', key, on: true });
    await call(producer, 'updateStage', { type: 'goLive', inS: 0 });
    await framesRise(pages[TEACHER]!, "the teacher's page decodes the clip on air");
    expect(await call(producer, 'stopClip', {})).toEqual({ stopped: true });
  });
});
