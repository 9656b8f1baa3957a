/**
 * A studio encoder over WHIP, and WHEP playback, end to end in Debian's Chromium with its fake
 * camera and microphone. The clients are not ours: whip-whep's WHIPClient and WHEPClient (by the
 * protocol's author) and @eyevinn/whip-web-client, bundled as they ship and served to a page of
 * the node's origin. A national host mints the token in the host console's panel; a teacher's
 * page receives the encoder as it receives a host, read from its WebRTC stats.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'vite';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HoinghiServer } from '../../signaling/server';
import { startServer } from '../../harness/server';
import { closeAll, inboundStats, launchChromium, newContext, signIn, videoCodecs, waitFor } from '../../harness/browser';
import { eventually } from '../../harness/wait';

const require = createRequire(import.meta.url);
const MEETING = 'e2e-whip';

let server: HoinghiServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let host: Page;
let teacher: Page;
let whipUrl: string;
let token: string;

/** The page the encoders run in: the clients' own files, and a few globals to drive them. */
const APP = `
import { WHIPClient } from '/__whip-test/whip.js';
import { WHEPClient } from '/__whip-test/whep.js';
import { WHIPClient as EyevinnClient } from '/__whip-test/eyevinn.js';
const media = () => navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
window.medoozePublish = async (url, token) => {
  const stream = await media();
  const pc = new RTCPeerConnection();
  for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
  window.client = new WHIPClient();
  window.pc = pc;
  await window.client.publish(pc, url, token);
};
window.medoozeStop = () => window.client.stop();
window.eyevinnPublish = async (url, token) => {
  const stream = await media();
  // H.264 only, as OBS and most hardware encoders send.
  const factory = (config) => {
    const pc = new RTCPeerConnection(config);
    const addTrack = pc.addTrack.bind(pc);
    pc.addTrack = (track, ...streams) => {
      const sender = addTrack(track, ...streams);
      const h264 = RTCRtpSender.getCapabilities('video').codecs.filter((c) => /h264|rtx/i.test(c.mimeType));
      if (track.kind === 'video') pc.getTransceivers().find((t) => t.sender === sender).setCodecPreferences(h264);
      return sender;
    };
    window.pc = pc;
    return pc;
  };
  window.client = new EyevinnClient({ endpoint: url, opts: { authkey: token, iceServers: [] }, peerConnectionFactory: factory });
  await window.client.ingest(stream);
  await window.client.getResourceUrl();
};
window.eyevinnStop = () => window.client.destroy();
window.offeredVideoCodecs = () => {
  const video = (window.pc.localDescription?.sdp ?? '').split('\\nm=').find((m) => m.startsWith('video')) ?? '';
  return [...new Set([...video.matchAll(/a=rtpmap:\\d+ ([^/]+)/g)].map((m) => m[1]))];
};
window.sentVideoCodec = async () => {
  const report = await window.pc.getStats();
  let codecId = null;
  report.forEach((s) => { if (s.type === 'outbound-rtp' && s.kind === 'video' && s.codecId) codecId = s.codecId; });
  return codecId ? report.get(codecId).mimeType : null;
};
window.whepView = async (url, token) => {
  const pc = new RTCPeerConnection();
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.addTransceiver('video', { direction: 'recvonly' });
  // A stock client: the SFU's payload types are libwebrtc's, nothing to renumber.
  window.viewer = new WHEPClient();
  await window.viewer.view(pc, url, token);
};
`;

async function encoderPage(files: Record<string, string>): Promise<Page> {
  const ctx = await newContext(browser);
  contexts.push(ctx);
  const page = await ctx.newPage();
  await page.route(`${server.url}/__whip-test/**`, (route) => {
    const name = new URL(route.request().url()).pathname.split('/').pop()!;
    if (name === 'index.html') return route.fulfill({ contentType: 'text/html', body: '<!doctype html><meta charset="utf-8"><title>encoder</title><script type="module" src="/__whip-test/app.js"></script>' });
    const body = name === 'app.js' ? APP : files[name];
    return body === undefined ? route.fulfill({ status: 404 }) : route.fulfill({ contentType: 'text/javascript', body });
  });
  await page.goto(`${server.url}/__whip-test/index.html`);
  await page.waitForFunction('typeof window.whepView === "function"');
  return page;
}

let files: Record<string, string>;
const published = () => [...(server.sockets.registry.get(MEETING)?.published.values() ?? [])];

beforeAll(async () => {
  server = await startServer({ HOINGHI_DEMO_MEETING: MEETING });
  const bundled = await build({
    configFile: false,
    logLevel: 'silent',
    build: { write: false, minify: false, lib: { entry: require.resolve('@eyevinn/whip-web-client/dist/whip-client.modern.js'), formats: ['es'], fileName: 'eyevinn' } },
  });
  const output = (Array.isArray(bundled) ? bundled[0]! : bundled) as { output: { code: string }[] };
  files = {
    'whip.js': fs.readFileSync(require.resolve('whip-whep/whip.js'), 'utf8'),
    'whep.js': fs.readFileSync(require.resolve('whip-whep/whep.js'), 'utf8'),
    'eyevinn.js': output.output[0]!.code,
  };
  browser = await launchChromium();
  const hostCtx = await newContext(browser);
  contexts.push(hostCtx);
  host = await hostCtx.newPage();
  await signIn(host, server.url, 'bo-truong');
  const teacherCtx = await newContext(browser);
  contexts.push(teacherCtx);
  teacher = await teacherCtx.newPage();
  await signIn(teacher, server.url, 'gv-hn-1');
}, 120_000);

afterAll(() => closeAll(contexts, browser, server));

describe('a studio encoder over WHIP, and WHEP playback', () => {
  it('a national host mints the encoder’s token in the console: the URL, the token and its expiry are shown', async () => {
    await host.click('[data-testid="studio-encoder"] summary');
    await host.fill('[data-testid="encoder-name"]', 'Trường quay Hà Nội');
    await host.click('button[data-action="mint-encoder-token"]');
    await host.waitForSelector('[data-testid="encoder-result"]');
    whipUrl = await host.inputValue('[data-testid="encoder-url"]');
    token = await host.inputValue('[data-testid="encoder-token"]');
    expect(whipUrl).toBe(`${server.url}/whip/${MEETING}`);
    expect(token.split('.')).toHaveLength(3);
    expect(await host.textContent('[data-testid="encoder-expiry"]')).toMatch(/Trường quay Hà Nội/);
  });

  it('whip-whep’s WHIPClient publishes VP8 + Opus: the teacher decodes its frames and hears it; stop() takes it off air', async () => {
    const encoder = await encoderPage(files);
    await encoder.evaluate(`window.medoozePublish(${JSON.stringify(whipUrl)}, ${JSON.stringify(token)})`);
    const first = await waitFor(() => inboundStats(teacher), (s) => s.framesDecoded > 0 && s.audioPacketsReceived > 0, 30_000, 'the encoder’s first frames at the teacher');
    await waitFor(() => inboundStats(teacher), (s) => s.framesDecoded > first.framesDecoded && s.audioPacketsReceived > first.audioPacketsReceived, 15_000, 'frames and audio still rising');
    expect(published().map((p) => p.peerName)).toEqual(['Trường quay Hà Nội', 'Trường quay Hà Nội']);
    await encoder.evaluate('window.medoozeStop()');
    await eventually(() => expect(published()).toHaveLength(0));
    await eventually(() => expect(server.whip.size).toBe(0));
    await encoder.context().close();
  });

  it('@eyevinn/whip-web-client offering H.264 only (as OBS does): the server takes it, the teacher’s Chromium decodes H.264 frames', async () => {
    const encoder = await encoderPage(files);
    await encoder.evaluate(`window.eyevinnPublish(${JSON.stringify(whipUrl)}, ${JSON.stringify(token)})`);
    expect(await encoder.evaluate('window.offeredVideoCodecs()')).toEqual(['H264', 'rtx']);
    const before = (await inboundStats(teacher)).framesDecoded;
    await waitFor(() => inboundStats(teacher), (s) => s.framesDecoded > before + 10, 30_000, 'the H.264 encoder’s frames at the teacher');
    expect(await encoder.evaluate('window.sentVideoCodec()')).toBe('video/H264');
    expect(await videoCodecs(teacher, 'inbound')).toContain('video/H264');
    await encoder.evaluate('window.eyevinnStop()');
    await eventually(() => expect(published()).toHaveLength(0));
    await encoder.context().close();
  });

  it('a browser host still publishes VP8; whip-whep’s stock WHEPClient (its offer as Chromium makes it) receives the broadcast (frames decoded)', async () => {
    await host.click('button[data-control="camera"]');
    await host.click('button[data-control="mic"]');
    await host.waitForSelector('button[data-control="camera"][data-on="true"]');
    await eventually(() => expect(published().map((p) => p.kind).sort()).toEqual(['audio', 'video']));
    // mediasoup-client takes the router's first video codec the browser has: VP8 (simulcast), not H.264.
    await eventually(async () => expect(await videoCodecs(host, 'outbound')).toEqual(['video/VP8']), { timeoutMs: 20_000 });
    // A teacher's ordinary sign-in token for the meeting.
    const token = server.tokens.issue({ sub: 'gv-whep', name: 'Giáo viên', role: 'teacher', province: null, school: null, meetings: [MEETING] }, 600);
    const viewer = await encoderPage(files);
    await viewer.evaluate(`window.whepView(${JSON.stringify(`${server.url}/whep/${MEETING}`)}, ${JSON.stringify(token)})`);
    const first = await waitFor(() => inboundStats(viewer), (s) => s.framesDecoded > 0 && s.audioPacketsReceived > 0, 30_000, 'WHEP frames');
    await waitFor(() => inboundStats(viewer), (s) => s.framesDecoded > first.framesDecoded, 15_000, 'WHEP frames rising');
    expect(server.whep.size).toBe(1);
    expect(await videoCodecs(viewer, 'inbound')).toEqual(['video/VP8']);
  });
});
