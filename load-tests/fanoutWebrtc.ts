/**
 * Fan-out with real WebRTC viewers: Chromium pages (ICE, DTLS, SRTP, RTCP feedback, bandwidth
 * estimation, simulcast layer selection) on the full product, one worker, in the numbers two
 * cores can decode. The host is a Chromium page publishing its fake camera (simulcast) and
 * microphone. For each step the worker's CPU (from /metrics) and each viewer's received packets,
 * decoded frames and frame width are measured over a fixed window; the slope of worker CPU
 * against viewers is the per-viewer cost of a real WebRTC viewer, to set beside the plain-sink
 * figure of load-tests/fanout.ts.
 *
 * Usage: node --import tsx load-tests/fanoutWebrtc.ts [maxViewers=6] [windowSeconds=5]
 * Writes load-tests/results/fanout-webrtc.json.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { Browser, Page } from 'playwright-core';
import { BENCH_SECRET, botToken, machine, runBenchmark, startNode, writeResult } from './lib';
import { inboundStats, launchChromium, newContext, waitFor } from '../harness/browser';
import { setTimeout as sleep } from 'node:timers/promises';

const MAX = Number(process.argv[2] ?? 6);
const WINDOW_S = Number(process.argv[3] ?? 5);
const MEETING = 'bench-webrtc';

async function workerCpuSeconds(url: string): Promise<number> {
  const body = await (await fetch(`${url}/metrics`)).text();
  const line = body.split('\n').find((l) => l.startsWith('hoinghi_worker_cpu_seconds_total{'));
  if (!line) throw new Error('no worker CPU metric');
  return Number(line.split(' ')[1]);
}

/** A page signed in with a bench token (the session the sign-in page would have stored). */
async function openWithToken(browser: Browser, url: string, sub: string, role: 'host' | 'teacher'): Promise<Page> {
  const ctx = await newContext(browser);
  const token = botToken(MEETING, sub, role, role === 'teacher' ? '01' : null);
  const session = JSON.stringify({ token, meetingId: MEETING, account: { id: sub, name: sub, role, province: role === 'teacher' ? '01' : null, school: 'Bench school' } });
  await ctx.addInitScript((s) => sessionStorage.setItem('hoinghi.session', s), session);
  const page = await ctx.newPage();
  await page.goto(`${url}/${role === 'host' ? 'host' : 'teacher'}`);
  return page;
}

async function videoStats(page: Page): Promise<{ packets: number; frames: number; width: number; nacks: number; plis: number }> {
  return page.evaluate(async () => {
    const out = { packets: 0, frames: 0, width: 0, nacks: 0, plis: 0 };
    for (const pc of (window as unknown as { __testPcs: RTCPeerConnection[] }).__testPcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type !== 'inbound-rtp' || s.kind !== 'video' || s.trackIdentifier === 'probator') return;
        out.packets += Number(s.packetsReceived ?? 0);
        out.frames += Number(s.framesDecoded ?? 0);
        out.width = Math.max(out.width, Number(s.frameWidth ?? 0));
        out.nacks += Number(s.nackCount ?? 0);
        out.plis += Number(s.pliCount ?? 0);
      });
    }
    return out;
  });
}

async function main(): Promise<void> {
  const node = await startNode({
    HOINGHI_PORT: '0',
    HOINGHI_WORKERS: '1',
    HOINGHI_RTC_BASE_PORT: '0',
    HOINGHI_JWT_SECRET: BENCH_SECRET,
    HOINGHI_VIEWERS_PER_WORKER: '1000',
  });
  // The worker gets core 0 to itself; signaling, this process and Chromium (launched after,
  // so inheriting it) share the others.
  const pinned = os.availableParallelism() >= 2;
  if (pinned) {
    const others = `1-${os.availableParallelism() - 1}`;
    const workerPid = execFileSync('pgrep', ['-P', String(node.child.pid), 'mediasoup-work']).toString().trim().split('\n')[0]!;
    execFileSync('taskset', ['-a', '-p', '-c', '0', workerPid], { stdio: 'ignore' });
    execFileSync('taskset', ['-a', '-p', '-c', others, String(node.child.pid)], { stdio: 'ignore' });
    execFileSync('taskset', ['-a', '-p', '-c', others, String(process.pid)], { stdio: 'ignore' });
  }
  const browser = await launchChromium();
  const steps: Record<string, number>[] = [];
  try {
    const host = await openWithToken(browser, node.url, 'bench-host', 'host');
    await host.click('button[data-control="camera"]');
    await host.click('button[data-control="mic"]');
    await sleep(3_000);
    const viewers: Page[] = [];
    console.log('viewers  worker cpu%  video pkts/s/viewer  frames/s/viewer  width  nacks  plis');
    for (const target of [0, 1, 2, 4, 6, 8, 10].filter((k) => k <= MAX)) {
      while (viewers.length < target) {
        const p = await openWithToken(browser, node.url, `bench-viewer-${viewers.length}`, 'teacher');
        await waitFor(() => inboundStats(p), (s) => s.framesDecoded > 0, 30_000, 'first frame');
        viewers.push(p);
      }
      await sleep(3_000);
      const a = await Promise.all(viewers.map(videoStats));
      const cpuA = await workerCpuSeconds(node.url);
      const t0 = performance.now();
      await sleep(WINDOW_S * 1000);
      const b = await Promise.all(viewers.map(videoStats));
      const cpuB = await workerCpuSeconds(node.url);
      const dt = (performance.now() - t0) / 1000;
      const per = (f: (s: { packets: number; frames: number }) => number) =>
        viewers.length ? b.reduce((n, s, i) => n + f(s) - f(a[i]!), 0) / viewers.length / dt : 0;
      const step = {
        viewers: viewers.length,
        workerCpuPct: +((100 * (cpuB - cpuA)) / dt).toFixed(2),
        videoPacketsPerSPerViewer: +per((s) => s.packets).toFixed(1),
        framesPerSPerViewer: +per((s) => s.frames).toFixed(1),
        minFrameWidth: viewers.length ? Math.min(...b.map((s) => s.width)) : 0,
        nacks: b.reduce((n, s) => n + s.nacks, 0),
        plis: b.reduce((n, s) => n + s.plis, 0),
      };
      steps.push(step);
      console.log(Object.values(step).map((v, i) => String(v).padStart(i === 0 ? 7 : 12)).join(' '));
    }
  } finally {
    await browser.close();
    await node.stop();
  }
  // Marginal cost: least squares of worker CPU against viewers over every step.
  const pts = steps.map((s) => [s.viewers!, s.workerCpuPct!] as const);
  const mx = pts.reduce((n, p) => n + p[0], 0) / pts.length;
  const my = pts.reduce((n, p) => n + p[1], 0) / pts.length;
  const perViewer = pts.reduce((n, p) => n + (p[0] - mx) * (p[1] - my), 0) / Math.max(1e-9, pts.reduce((n, p) => n + (p[0] - mx) ** 2, 0));
  const result = {
    benchmark: 'fanout-webrtc',
    when: new Date().toISOString(),
    machine: machine(),
    command: `node --import tsx load-tests/fanoutWebrtc.ts ${MAX} ${WINDOW_S}`,
    viewer: 'Chromium page (teacher UI), WebRtcTransport via the worker\'s WebRtcServer, simulcast video + Opus',
    source: 'Chromium host page, fake camera 720p simulcast (3 layers) + fake microphone',
    workerPinnedToCore0: pinned,
    steps,
    workerCpuPctPerWebrtcViewer: +perViewer.toFixed(3),
  };
  const file = writeResult('fanout-webrtc', result);
  console.log(`\nfanout-webrtc: worker CPU per real WebRTC viewer ≈ ${perViewer.toFixed(3)}% of a core (least-squares slope over 0–${MAX} viewers); wrote ${file}`);
}

runBenchmark(main);
